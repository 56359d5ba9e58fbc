/**
 * Renders the frames of a live-like set (set.ts) with sharp: the crowd
 * photo cropped, mirrored and scaled to the frame, each probe face cut as a
 * feathered ellipse, scaled to its width (Lanczos), blurred and blended in,
 * then the whole frame JPEG-encoded. Frames are cached as JPEG files under
 * `<cacheDir>/live/<set key>/`, so every detector sees the same bytes.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DecodeError } from '../../errors.js';
import { FOOTPRINT, type LiveFrame, type LiveSet } from './set.js';

/** Alpha of a feathered ellipse filling a side x side square (1 inside, 0 outside). */
function ellipseAlpha(side: number): Uint8Array {
  const a = new Uint8Array(side * side);
  const c = (side - 1) / 2;
  // Semi-axes: the face (half of the footprint) plus hair and chin; feather over the outer 25%.
  const rx = 0.4 * side;
  const ry = 0.48 * side;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const d = Math.hypot((x - c) / rx, (y - c) / ry);
      const t = d <= 0.75 ? 1 : d >= 1 ? 0 : 1 - (d - 0.75) / 0.25;
      a[y * side + x] = Math.round(255 * t * t * (3 - 2 * t));
    }
  }
  return a;
}

async function facePatch(image: string, width: number, blur: number, faceFraction: number): Promise<{ data: Buffer; side: number }> {
  const { default: sharp } = await import('sharp');
  const src = sharp(image).rotate();
  const meta = await src.metadata();
  const iw = meta.width!;
  const ih = meta.height!;
  const face = faceFraction * iw;
  // The footprint around the image centre (the face), clipped to the image.
  const want = Math.round(FOOTPRINT * face);
  const sideSrc = Math.min(want, iw, ih);
  const left = Math.floor((iw - sideSrc) / 2);
  const top = Math.floor((ih - sideSrc) / 2);
  const side = Math.max(4, Math.round((sideSrc * width) / face));
  let p = sharp(image).rotate().toColourspace('srgb').removeAlpha().extract({ left, top, width: sideSrc, height: sideSrc }).resize(side, side, { kernel: 'lanczos3', fit: 'fill' });
  if (blur >= 0.3) p = p.blur(blur);
  const rgb = await p.raw().toBuffer();
  const alpha = ellipseAlpha(side);
  const rgba = Buffer.alloc(side * side * 4);
  for (let i = 0; i < side * side; i++) {
    rgba[4 * i] = rgb[3 * i]!;
    rgba[4 * i + 1] = rgb[3 * i + 1]!;
    rgba[4 * i + 2] = rgb[3 * i + 2]!;
    rgba[4 * i + 3] = alpha[i]!;
  }
  return { data: rgba, side };
}

/** Renders one frame of the set: JPEG bytes. */
export async function renderFrame(set: LiveSet, frame: LiveFrame): Promise<Buffer> {
  const { default: sharp } = await import('sharp');
  const [W, H] = set.options.frameSize;
  try {
    let bg = sharp(frame.scene).rotate().toColourspace('srgb').removeAlpha().extract({ left: frame.crop.x, top: frame.crop.y, width: frame.crop.width, height: frame.crop.height });
    if (frame.mirror) bg = bg.flop();
    const base = await bg.resize(W, H, { fit: 'fill', kernel: 'lanczos3' }).raw().toBuffer();
    const layers = [];
    for (const f of frame.faces) {
      const { data, side } = await facePatch(f.image, f.width, f.blur, set.options.faceFraction);
      const left = Math.round(f.cx - side / 2);
      const top = Math.round(f.cy - side / 2);
      // Patches reaching past the frame edge are cut to the frame (composite refuses overflow).
      const x0 = Math.max(0, -left);
      const y0 = Math.max(0, -top);
      const x1 = Math.min(side, W - left);
      const y1 = Math.min(side, H - top);
      if (x1 <= x0 || y1 <= y0) continue;
      let patch = sharp(data, { raw: { width: side, height: side, channels: 4 } });
      if (x0 > 0 || y0 > 0 || x1 < side || y1 < side) patch = patch.extract({ left: x0, top: y0, width: x1 - x0, height: y1 - y0 });
      const buf = await patch.raw().toBuffer();
      layers.push({ input: buf, raw: { width: x1 - x0, height: y1 - y0, channels: 4 as const }, left: left + x0, top: top + y0 });
    }
    return await sharp(base, { raw: { width: W, height: H, channels: 3 } }).composite(layers).jpeg({ quality: frame.jpeg, chromaSubsampling: '4:2:0' }).toBuffer();
  } catch (err) {
    throw new DecodeError(`Cannot render live-like frame ${frame.index} (scene ${frame.scene}): ${(err as Error).message}`, { cause: err });
  }
}

/** The frame's JPEG bytes, from the cache folder when rendered before (null: no disk cache). */
export async function frameBytes(set: LiveSet, frame: LiveFrame, cacheDir: string | null): Promise<Buffer> {
  if (cacheDir === null) return renderFrame(set, frame);
  const dir = path.join(cacheDir, 'live', set.key.slice(0, 24));
  const file = path.join(dir, `frame-${String(frame.index).padStart(5, '0')}.jpg`);
  if (existsSync(file)) return readFileSync(file);
  const bytes = await renderFrame(set, frame);
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, file);
  return bytes;
}
