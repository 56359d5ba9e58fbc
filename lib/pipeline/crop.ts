/**
 * The alert's crop: a JPEG of one face (its box plus a small margin, clipped
 * to the frame), cut from the frame in its own pixel format, converted by
 * the native core and encoded by sharp. Intermediate pixels are zeroed.
 */
import { channelsOf, validateFrame, type Frame } from '../frame.js';
import { convertColor } from '../preprocess.js';
import type { Box } from '../types.js';

export interface CropRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The face box grown by `margin` of its size on each side, even-aligned, inside the frame. */
export function cropRect(box: Box, width: number, height: number, margin = 0.15): CropRect {
  const mx = box.width * margin;
  const my = box.height * margin;
  let x0 = Math.max(0, Math.floor(box.x - mx)) & ~1;
  let y0 = Math.max(0, Math.floor(box.y - my)) & ~1;
  let x1 = Math.min(width, Math.ceil(box.x + box.width + mx));
  let y1 = Math.min(height, Math.ceil(box.y + box.height + my));
  if (x1 - x0 < 2) x1 = Math.min(width, x0 + 2);
  if (y1 - y0 < 2) y1 = Math.min(height, y0 + 2);
  if (x1 - x0 < 2) x0 = Math.max(0, x1 - 2);
  if (y1 - y0 < 2) y0 = Math.max(0, y1 - 2);
  // Even sizes, so the chroma planes of NV12/I420 line up.
  return { x: x0, y: y0, width: Math.max(1, (x1 - x0) & ~1), height: Math.max(1, (y1 - y0) & ~1) };
}

/** Copies a region of a frame into a new frame of the same format. */
export function extractRegion(frame: Frame, r: CropRect): Frame {
  const l = validateFrame(frame, 'frame');
  const { x, y, width: w, height: h } = r;
  if (l.format === 'nv12' || l.format === 'i420') {
    const cw = Math.ceil(w / 2);
    const ch = Math.ceil(h / 2);
    const out = new Uint8Array(w * h + 2 * cw * ch);
    for (let row = 0; row < h; row++) out.set(l.data.subarray((y + row) * l.stride + x, (y + row) * l.stride + x + w), row * w);
    const yPlane = l.stride * l.height;
    const fch = Math.ceil(l.height / 2);
    if (l.format === 'nv12') {
      for (let row = 0; row < ch; row++) {
        const src = yPlane + ((y >> 1) + row) * l.chromaStride + x;
        out.set(l.data.subarray(src, src + 2 * cw), w * h + row * 2 * cw);
      }
      return { data: out, width: w, height: h, format: 'nv12', stride: w };
    }
    for (let p = 0; p < 2; p++) {
      const base = yPlane + p * l.chromaStride * fch;
      for (let row = 0; row < ch; row++) {
        const src = base + ((y >> 1) + row) * l.chromaStride + (x >> 1);
        out.set(l.data.subarray(src, src + cw), w * h + p * cw * ch + row * cw);
      }
    }
    return { data: out, width: w, height: h, format: 'i420', stride: w };
  }
  const c = channelsOf(l.format);
  const out = new Uint8Array(w * h * c);
  for (let row = 0; row < h; row++) {
    const src = (y + row) * l.stride + x * c;
    out.set(l.data.subarray(src, src + w * c), row * w * c);
  }
  return { data: out, width: w, height: h, format: l.format };
}

/** A JPEG of the face at `box` in `frame`. */
export async function faceCrop(frame: Frame, box: Box, quality = 90): Promise<Buffer> {
  const region = extractRegion(frame, cropRect(box, frame.width, frame.height));
  let rgb: Frame | undefined;
  try {
    rgb = region.format === 'rgb' ? region : await convertColor(region, 'rgb');
    const { default: sharp } = await import('sharp');
    return await sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } }).jpeg({ quality }).toBuffer();
  } finally {
    region.data.fill(0);
    rgb?.data.fill(0);
  }
}
