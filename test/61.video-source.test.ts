/**
 * What the video sources hand the pipeline: ffmpeg's own planar I420
 * frames, byte for byte (no conversion on the way), and with
 * `deblock: false` the frames of a decoder that skips the in-loop filter.
 * The video is made here by ffmpeg (a synthetic pattern, H.264 at a low
 * bitrate, where deblocking changes many pixels): no ../shared needed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipeline } from '../dist/pipeline/index.js';
import { Watchlist } from '../dist/index.js';
import { hasFfmpeg } from './helpers/pipeline-fixture.js';
const W = 320;
const H = 240;
const FRAMES = 12;

/** ffmpeg's own raw yuv420p decode of the first FRAMES frames. */
function ffmpegFrames(file: string, extra: string[] = []): Buffer {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', ...extra, '-i', file, '-frames:v', String(FRAMES), '-f', 'rawvideo', '-pix_fmt', 'yuv420p', 'pipe:1'], { maxBuffer: 64 << 20 });
  expect(r.status).toBe(0);
  return r.stdout;
}

describe.skipIf(!hasFfmpeg)('video sources', () => {
  let dir = '';
  let file = '';
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'livefr-source-'));
    file = path.join(dir, 'pattern.mp4');
    const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${W}x${H}:rate=25`, '-t', '1', '-c:v', 'libx264', '-preset', 'veryfast', '-b:v', '60k', '-pix_fmt', 'yuv420p', '-y', file]);
    expect(r.status, r.stderr?.toString()).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function read(options: { deblock?: boolean } = {}): Promise<{ format: string; bytes: Buffer }> {
    const { VideoSource } = await import('../dist/pipeline/source.js');
    const src = new VideoSource(file, { realtime: false, ...options });
    const parts: Buffer[] = [];
    let format = '';
    await new Promise<void>((resolve, reject) => {
      src.on('frame', (f) => {
        format = f.format;
        if (f.index < FRAMES) parts.push(Buffer.from(f.data));
        src.release(f);
      });
      src.on('end', (e) => (e ? reject(e) : resolve()));
      src.start();
    });
    return { format, bytes: Buffer.concat(parts) };
  }

  it("hands over ffmpeg's I420 frames byte for byte", async () => {
    const { format, bytes } = await read();
    expect(format).toBe('i420');
    const want = ffmpegFrames(file);
    expect(want.length).toBe(FRAMES * (W * H * 3) / 2);
    expect(bytes.equals(want)).toBe(true);
  });

  it('with deblock: false, decodes without the in-loop filter (other pixels, the same as ffmpeg -skip_loop_filter all)', async () => {
    const { bytes } = await read({ deblock: false });
    const skipped = ffmpegFrames(file, ['-skip_loop_filter', 'all']);
    expect(bytes.equals(skipped)).toBe(true);
    // At 60 kbit/s the filter changes many pixels: the option reached the decoder.
    const filtered = ffmpegFrames(file);
    let differ = 0;
    for (let i = 0; i < filtered.length; i++) if (filtered[i] !== skipped[i]) differ++;
    expect(differ).toBeGreaterThan(filtered.length / 100);
  });

  it('refuses a deblock option that is not a boolean, naming it', async () => {
    const watchlist = new Watchlist({ dim: 4 });
    const pipeline = await createPipeline({ watchlist, detector: { detect: async () => [], close: async () => {} } as never, embedder: { dim: 4, embed: async () => new Float32Array(0), close: async () => {} } as never });
    try {
      expect(() => pipeline.addStream('cam', file, { deblock: 'no' as never })).toThrow(/options\.deblock/);
      expect(pipeline.status()).toEqual([]);
    } finally {
      await pipeline.close();
    }
  });
});

describe.skipIf(hasFfmpeg)('video sources', () => {
  it.skip('needs ffmpeg on PATH (node scripts/setup.mjs installs it as root); absent, so skipped', () => {});
});
