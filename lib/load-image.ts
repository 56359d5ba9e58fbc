/**
 * loadImage: decodes a JPEG, PNG or WebP file (or its bytes) into a frame,
 * with bounds on what it reads and what it allocates, because an image is
 * input from outside: a 27 KB PNG can declare 225 megapixels (675 MB of
 * RGB), a device such as /dev/zero never ends, and sharp decodes far more
 * formats (SVG, TIFF, GIF, HEIF, ...) than livefr documents.
 *
 * - `maxBytes` (default 256 MiB): files are read in chunks and refused as
 *   soon as they pass it; the format is recognised from the first bytes,
 *   so a stream of zeros stops after its first chunk.
 * - `maxPixels` (default 8192 x 8192 = 67,108,864): checked against the
 *   header before any pixel is decoded.
 * - Only JPEG, PNG and WebP are decoded; anything else is a DecodeError.
 */
import { open } from 'node:fs/promises';
import { DecodeError, LivefrRangeError, invalidType, outOfRange } from './errors.js';
import type { Frame } from './frame.js';
import { checkInteger, checkOptions } from './validate.js';

export interface LoadImageOptions {
  /** Output format (default 'rgb'). */
  format?: 'rgb' | 'bgr' | 'gray';
  /** Largest width x height decoded (default 67,108,864 = 8192 x 8192). */
  maxPixels?: number;
  /** Largest file or buffer read, in bytes (default 256 MiB). */
  maxBytes?: number;
}

export const LOAD_IMAGE_LIMITS = Object.freeze({ maxPixels: 8192 * 8192, maxBytes: 256 * 1024 * 1024 });

/** The largest side a frame may have (lib/frame.ts MAX_DIMENSION). */
const MAX_SIDE = 32768;
const CHUNK = 1 << 20;
const FORMATS = ['jpeg', 'png', 'webp'] as const;
type ImageFormat = (typeof FORMATS)[number];

/** The format from the first bytes, or a short description of what they look like instead. */
export function sniffImageFormat(head: Uint8Array): ImageFormat | { unsupported: string } {
  const b = head;
  const ascii = (from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && b[0] === 0x89 && ascii(1, 4) === 'PNG' && b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a) return 'png';
  if (b.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  if (b.length >= 6 && (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a')) return { unsupported: 'GIF' };
  if (b.length >= 4 && (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*')) return { unsupported: 'TIFF' };
  if (b.length >= 12 && ascii(4, 8) === 'ftyp') return { unsupported: `ISO media (${ascii(8, 12).trim()}: HEIF/AVIF)` };
  if (b.length >= 2 && ascii(0, 2) === 'BM') return { unsupported: 'BMP' };
  const text = ascii(0, Math.min(b.length, 256)).trimStart().toLowerCase();
  if (text.startsWith('<?xml') || text.startsWith('<svg') || text.includes('<svg')) return { unsupported: 'SVG' };
  if (b.length === 0) return { unsupported: 'empty' };
  if (b.subarray(0, Math.min(b.length, 64)).every((x) => x === 0)) return { unsupported: 'zero bytes' };
  return { unsupported: 'unknown' };
}

function unsupported(name: string, what: string): DecodeError {
  return new DecodeError(`Cannot decode image ${name}: expected JPEG, PNG or WebP but the data is ${what === 'unknown' ? 'of an unknown format' : what === 'empty' ? 'empty' : what === 'zero bytes' ? 'all zero bytes' : what}`);
}

/** A RangeError naming `input`: the image is beyond a limit (and how to raise it, when it can be). */
function tooLarge(name: string, what: string, option: 'maxBytes' | 'maxPixels' | null, limit: number): LivefrRangeError {
  const rule = option === null ? `more than ${limit} pixels on a side (the largest frame)` : `more than options.${option} (${limit}${option === 'maxBytes' ? ' bytes' : ' pixels'})`;
  const raise = option === null ? '' : `; pass loadImage(input, { ${option}: N }) to allow more`;
  return new LivefrRangeError('input', `Image ${name} ${what}: ${rule}${raise}`);
}

/** Reads a file in chunks, stopping at maxBytes or at the first chunk that is not an image. */
async function readFileCapped(file: string, maxBytes: number): Promise<Uint8Array> {
  const name = JSON.stringify(file);
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    throw new DecodeError(`Cannot read image file ${name}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw new DecodeError(`Cannot read image file ${name}: it is a folder`);
    if (st.isFile() && st.size > maxBytes) throw tooLarge(name, `is ${st.size} bytes`, 'maxBytes', maxBytes);
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const want = Math.min(CHUNK, maxBytes + 1 - total);
      const buf = new Uint8Array(want);
      const { bytesRead } = await fh.read(buf, 0, want, null);
      if (bytesRead === 0) break;
      if (total === 0) {
        const kind = sniffImageFormat(buf.subarray(0, bytesRead));
        if (typeof kind !== 'string') throw unsupported(name, kind.unsupported);
      }
      chunks.push(bytesRead === want ? buf : buf.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) throw tooLarge(name, 'is larger', 'maxBytes', maxBytes);
    }
    if (chunks.length === 1) return chunks[0]!;
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  } catch (err) {
    if (err instanceof DecodeError || err instanceof LivefrRangeError) throw err;
    throw new DecodeError(`Cannot read image file ${name}: ${(err as Error).message}`, { cause: err });
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/**
 * Decodes a JPEG, PNG or WebP file (or its bytes) into an RGB (or BGR,
 * gray) frame. EXIF orientation is applied. Corrupt or unsupported input
 * throws a DecodeError; input beyond `maxBytes` or `maxPixels` a
 * RangeError naming `input`; bad options a TypeError/RangeError naming
 * the option.
 */
export async function loadImage(input: string | Uint8Array, options?: LoadImageOptions): Promise<Frame> {
  const o = checkOptions('options', options, ['format', 'maxPixels', 'maxBytes']);
  const format = o.format ?? 'rgb';
  if (typeof format !== 'string') throw invalidType('options.format', "'rgb', 'bgr' or 'gray'", format);
  if (!['rgb', 'bgr', 'gray'].includes(format)) throw outOfRange('options.format', "'rgb', 'bgr' or 'gray'", format);
  const maxPixels = o.maxPixels === undefined ? LOAD_IMAGE_LIMITS.maxPixels : checkInteger('options.maxPixels', o.maxPixels, 1);
  const maxBytes = o.maxBytes === undefined ? LOAD_IMAGE_LIMITS.maxBytes : checkInteger('options.maxBytes', o.maxBytes, 1);

  let bytes: Uint8Array;
  let name: string;
  if (typeof input === 'string') {
    if (input.length === 0) throw invalidType('input', 'a file path or image bytes', input);
    name = JSON.stringify(input);
    bytes = await readFileCapped(input, maxBytes);
  } else if (input instanceof Uint8Array) {
    name = 'buffer';
    if (input.byteLength > maxBytes) throw tooLarge(name, `is ${input.byteLength} bytes`, 'maxBytes', maxBytes);
    bytes = input;
  } else {
    throw invalidType('input', 'a file path or a Uint8Array/Buffer of JPEG, PNG or WebP bytes', input);
  }
  const kind = sniffImageFormat(bytes.subarray(0, 256));
  if (typeof kind !== 'string') throw unsupported(name, kind.unsupported);

  const { default: sharp } = await import('sharp');
  let meta;
  try {
    meta = await sharp(bytes, { failOn: 'error' }).metadata();
  } catch (err) {
    throw new DecodeError(`Cannot decode image ${name} (expected JPEG, PNG or WebP): ${(err as Error).message}`, { cause: err });
  }
  if (!(FORMATS as readonly string[]).includes(meta.format ?? '')) throw unsupported(name, String(meta.format ?? 'unknown'));
  const w = meta.width ?? 0;
  const h = meta.pageHeight ?? meta.height ?? 0;
  if (w < 1 || h < 1) throw new DecodeError(`Cannot decode image ${name}: its header gives no size`);
  if (w * h > maxPixels) throw tooLarge(name, `is ${w}x${h} = ${w * h} pixels`, 'maxPixels', maxPixels);
  if (w > MAX_SIDE || h > MAX_SIDE) throw tooLarge(name, `is ${w}x${h}`, null, MAX_SIDE);

  try {
    let img = sharp(bytes, { failOn: 'error', limitInputPixels: maxPixels, pages: 1 }).rotate();
    img = format === 'gray' ? img.grayscale().toColourspace('b-w') : img.toColourspace('srgb').removeAlpha();
    const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
    const expectCh = format === 'gray' ? 1 : 3;
    if (info.channels !== expectCh) throw new Error(`decoder returned ${info.channels} channels`);
    if (format === 'bgr') {
      for (let i = 0; i < data.length; i += 3) {
        const r = data[i]!;
        data[i] = data[i + 2]!;
        data[i + 2] = r;
      }
    }
    return { data, width: info.width, height: info.height, format: format as 'rgb' | 'bgr' | 'gray' };
  } catch (err) {
    throw new DecodeError(`Cannot decode image ${name} (expected JPEG, PNG or WebP): ${(err as Error).message}`, { cause: err });
  }
}
