/**
 * loadImage bounds what it reads and allocates (issue 7 item 7) and checks
 * its options (item 9): a PNG whose header declares 225 megapixels, an SVG,
 * /dev/zero, a file over the byte limit, formats livefr does not document,
 * unknown option keys and null options. Each of these decoded (675 MB,
 * 432 MB), read forever, or failed with a raw TypeError before.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecodeError, LOAD_IMAGE_LIMITS, loadImage } from '../dist/index.js';

const require = createRequire(import.meta.url);
const sample = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo', 'sample1.jpg');

/** CRC-32 of PNG chunks. */
function crc32(buf: Uint8Array): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}
function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
/** A valid gray PNG of w x h, one zero row repeated: tiny on disk, w x h pixels decoded. */
function bigPng(w: number, h: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // gray
  const raw = Buffer.alloc((w + 1) * h); // filter byte 0 + zeros, compresses to a few KB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', new Uint8Array(0))]);
}

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'livefr-load-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('loadImage limits', () => {
  it('has documented defaults: 8192 x 8192 pixels and 256 MiB', () => {
    expect(LOAD_IMAGE_LIMITS).toEqual({ maxPixels: 8192 * 8192, maxBytes: 256 * 1024 * 1024 });
  });

  it('refuses a small PNG whose header declares 15000 x 15000 pixels before decoding it, and allows it when asked', async () => {
    const png = bigPng(15000, 15000);
    expect(png.length).toBeLessThan(300_000);
    await expect(loadImage(png)).rejects.toMatchObject({ name: 'RangeError', parameter: 'input', message: /15000x15000 = 225000000 pixels.*maxPixels/ });
    const file = path.join(dir, 'big.png');
    writeFileSync(file, png);
    await expect(loadImage(file)).rejects.toMatchObject({ name: 'RangeError', parameter: 'input' });
    // A smaller one with a raised limit decodes.
    const f = await loadImage(bigPng(3000, 2000), { maxPixels: 3000 * 2000, format: 'gray' });
    expect([f.width, f.height, f.data.length]).toEqual([3000, 2000, 6_000_000]);
    await expect(loadImage(bigPng(3000, 2000), { maxPixels: 3000 * 2000 - 1 })).rejects.toMatchObject({ name: 'RangeError', parameter: 'input' });
  });

  it('refuses SVG, GIF, TIFF and unknown bytes as DecodeErrors naming what they are', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="12000" height="12000"><rect width="1" height="1"/></svg>');
    await expect(loadImage(svg)).rejects.toThrow(DecodeError);
    await expect(loadImage(svg)).rejects.toThrow(/expected JPEG, PNG or WebP but the data is SVG/);
    const gif = await sharp(sample).resize(32, 32).gif().toBuffer();
    await expect(loadImage(gif)).rejects.toThrow(/is GIF/);
    const tiff = await sharp(sample).resize(32, 32).tiff().toBuffer();
    await expect(loadImage(tiff)).rejects.toThrow(/is TIFF/);
    const svgFile = path.join(dir, 'x.svg');
    writeFileSync(svgFile, svg);
    await expect(loadImage(svgFile)).rejects.toThrow(DecodeError);
    await expect(loadImage(new Uint8Array(0))).rejects.toThrow(/empty/);
  });

  it('stops reading /dev/zero after its first chunk', async () => {
    await expect(loadImage('/dev/zero')).rejects.toThrow(/all zero bytes/);
  });

  it('refuses a file or buffer over maxBytes, reading no further than the limit', async () => {
    const jpeg = await sharp(sample).jpeg().toBuffer();
    const file = path.join(dir, 'a.jpg');
    writeFileSync(file, jpeg);
    await expect(loadImage(file, { maxBytes: 1000 })).rejects.toMatchObject({ name: 'RangeError', parameter: 'input', message: /maxBytes \(1000 bytes\)/ });
    await expect(loadImage(jpeg, { maxBytes: 1000 })).rejects.toMatchObject({ name: 'RangeError', parameter: 'input' });
    expect((await loadImage(file, { maxBytes: jpeg.length })).width).toBeGreaterThan(0);
  });

  it('a folder is a DecodeError, not EISDIR', async () => {
    await expect(loadImage(dir)).rejects.toThrow(/is a folder/);
  });
});

describe('loadImage options', () => {
  it('rejects unknown keys, null and bad values with errors naming the option', async () => {
    const jpeg = await sharp(sample).resize(64, 64).jpeg().toBuffer();
    await expect(loadImage(jpeg, { formt: 'rgb' } as never)).rejects.toMatchObject({ name: 'RangeError', parameter: 'options.formt' });
    await expect(loadImage(jpeg, null as never)).rejects.toMatchObject({ name: 'TypeError', parameter: 'options' });
    await expect(loadImage(jpeg, { maxPixels: 0 })).rejects.toMatchObject({ name: 'RangeError', parameter: 'options.maxPixels' });
    await expect(loadImage(jpeg, { maxBytes: 1.5 })).rejects.toMatchObject({ name: 'TypeError', parameter: 'options.maxBytes' });
    await expect(loadImage(jpeg, { format: 'rgba' as never })).rejects.toMatchObject({ name: 'RangeError', parameter: 'options.format' });
    await expect(loadImage(jpeg, { format: 3 as never })).rejects.toMatchObject({ name: 'TypeError', parameter: 'options.format' });
  });

  it('still decodes JPEG, PNG and WebP in rgb, bgr and gray', async () => {
    for (const enc of ['jpeg', 'png', 'webp'] as const) {
      const bytes = await sharp(sample).resize(40, 30)[enc]().toBuffer();
      const rgb = await loadImage(bytes);
      const bgr = await loadImage(bytes, { format: 'bgr' });
      const gray = await loadImage(bytes, { format: 'gray' });
      expect([rgb.width, rgb.height, rgb.format, rgb.data.length]).toEqual([40, 30, 'rgb', 3600]);
      expect([bgr.data[0], bgr.data[2]]).toEqual([rgb.data[2], rgb.data[0]]);
      expect(gray.data.length).toBe(1200);
    }
  });
});
