/**
 * Frames: views over caller memory. Nothing here copies pixels; the native
 * core reads `data` in place. `validateFrame` checks every size before any
 * native code touches the memory.
 */
import { invalidType, outOfRange } from './errors.js';
import { checkInteger, isPlainObject } from './validate.js';

export const PIXEL_FORMATS = ['rgb', 'bgr', 'rgba', 'bgra', 'gray', 'nv12', 'i420'] as const;
export type PixelFormat = (typeof PIXEL_FORMATS)[number];

/**
 * A view over pixels in caller memory.
 *
 * - Packed formats (`rgb`, `bgr`, `rgba`, `bgra`, `gray`): `stride` is the
 *   number of bytes from one row to the next (default: width x channels).
 * - `nv12`: a Y plane of `height` rows of `stride` bytes, then an interleaved
 *   UV plane of ceil(height/2) rows of `stride` bytes
 *   (stride >= 2 x ceil(width/2)).
 * - `i420`: a Y plane of `height` rows of `stride` bytes, then a U plane and a
 *   V plane, each ceil(height/2) rows of ceil(stride/2) bytes.
 */
export interface Frame {
  data: Uint8Array;
  width: number;
  height: number;
  format: PixelFormat;
  stride?: number;
}

/** A validated frame with its layout made explicit. */
export interface FrameLayout {
  data: Uint8Array;
  width: number;
  height: number;
  format: PixelFormat;
  /** Bytes per row of the (first) plane. */
  stride: number;
  /** Bytes per row of the chroma planes (nv12, i420), else 0. */
  chromaStride: number;
  /** Bytes the frame spans in `data`. */
  byteLength: number;
}

export const MAX_DIMENSION = 32768;

export function channelsOf(format: PixelFormat): number {
  switch (format) {
    case 'rgb':
    case 'bgr':
      return 3;
    case 'rgba':
    case 'bgra':
      return 4;
    default:
      return 1;
  }
}

/** Checks a frame and returns its layout; throws a typed error naming `param`. */
export function validateFrame(frame: unknown, param = 'frame'): FrameLayout {
  if (!isPlainObject(frame)) throw invalidType(param, 'a Frame object { data, width, height, format }', frame);
  const f = frame as Record<string, unknown>;
  const data = f.data;
  if (!(data instanceof Uint8Array) && !(data instanceof Uint8ClampedArray)) {
    throw invalidType(`${param}.data`, 'a Uint8Array or Buffer', data);
  }
  const width = checkInteger(`${param}.width`, f.width, 1, MAX_DIMENSION);
  const height = checkInteger(`${param}.height`, f.height, 1, MAX_DIMENSION);
  const format = f.format;
  if (typeof format !== 'string' || !(PIXEL_FORMATS as readonly string[]).includes(format)) {
    const fn = typeof format === 'string' ? outOfRange : invalidType;
    throw fn(`${param}.format`, `one of ${PIXEL_FORMATS.map((p) => `'${p}'`).join(', ')}`, format);
  }
  const fmt = format as PixelFormat;
  const ch = channelsOf(fmt);
  const chromaW = Math.ceil(width / 2);
  const chromaH = Math.ceil(height / 2);
  const minStride = fmt === 'nv12' ? 2 * chromaW : width * ch;
  const stride = f.stride === undefined ? minStride : checkInteger(`${param}.stride`, f.stride, 1, MAX_DIMENSION * 4);
  if (stride < minStride) throw outOfRange(`${param}.stride`, `at least ${minStride} bytes per row for ${width} px of ${fmt}`, stride);
  let byteLength: number;
  let chromaStride = 0;
  switch (fmt) {
    case 'nv12':
      chromaStride = stride;
      byteLength = stride * height + stride * (chromaH - 1) + 2 * chromaW;
      break;
    case 'i420':
      chromaStride = Math.ceil(stride / 2);
      byteLength = stride * height + chromaStride * chromaH + chromaStride * (chromaH - 1) + chromaW;
      break;
    default:
      byteLength = stride * (height - 1) + width * ch;
  }
  if (data.byteLength < byteLength) {
    throw outOfRange(`${param}.data`, `at least ${byteLength} bytes for a ${width}x${height} ${fmt} frame with stride ${stride}`, data);
  }
  // Without a stride the rows are packed, so the buffer holds exactly the
  // frame: a longer one means width, height or format is wrong (a frame a
  // few pixels too narrow would otherwise be read as sheared rows).
  if (f.stride === undefined && data.byteLength !== byteLength) {
    throw outOfRange(
      `${param}.data`,
      `exactly ${byteLength} bytes for a packed ${width}x${height} ${fmt} frame (or a stride saying how long its rows are); ` +
        `${data.byteLength} bytes would fit ${describeFit(data.byteLength, width, height, fmt)}`,
      data,
    );
  }
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return { data: bytes, width, height, format: fmt, stride, chromaStride, byteLength };
}

/** What a packed buffer of `bytes` would fit, for the error message. */
function describeFit(bytes: number, width: number, height: number, fmt: PixelFormat): string {
  const ch = channelsOf(fmt);
  if (fmt !== 'nv12' && fmt !== 'i420' && bytes % (height * ch) === 0) return `a width of ${bytes / (height * ch)} px at height ${height}`;
  return `neither this width nor this height (${(bytes / (width * height)).toFixed(3)} bytes per pixel)`;
}

// loadImage (decoding with byte, pixel and format limits) lives in load-image.ts.
export { loadImage, LOAD_IMAGE_LIMITS } from './load-image.js';
export type { LoadImageOptions } from './load-image.js';
