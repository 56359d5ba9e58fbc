/**
 * Bad input never crashes the process. A seeded generator feeds random
 * sizes, strides, formats, truncated buffers, wrong types, NaN vectors and
 * wrong dimensions to every public entry point; each call must either
 * succeed (when the input happens to be valid) or reject with one of
 * livefr's typed errors whose message names a parameter. A native crash
 * would take this test process down and fail the file.
 */
import { seededRandom } from '../dist/util/random.js';
import { describe, expect, it } from 'vitest';
import {
  Detector,
  Embedder,
  LivefrError,
  LivefrRangeError,
  LivefrTypeError,
  Watchlist,
  alignFaces,
  convertColor,
  letterbox,
  loadImage,
  validateFrame,
} from '../dist/index.js';
import { hasSharedModels, sharedModel } from './helpers/shared.js';

const rand = seededRandom(20261122);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

const FORMATS = ['rgb', 'bgr', 'rgba', 'bgra', 'gray', 'nv12', 'i420'] as const;
const CH: Record<string, number> = { rgb: 3, bgr: 3, rgba: 4, bgra: 4, gray: 1, nv12: 1, i420: 1 };

function exactLength(w: number, h: number, format: string, stride: number): number {
  const cw = Math.ceil(w / 2);
  const chh = Math.ceil(h / 2);
  if (format === 'nv12') return stride * h + stride * (chh - 1) + 2 * cw;
  if (format === 'i420') {
    const cs = Math.ceil(stride / 2);
    return stride * h + cs * chh + cs * (chh - 1) + cw;
  }
  return stride * (h - 1) + w * CH[format]!;
}

/** A frame-like value: valid about a third of the time, otherwise broken in one random way. */
function randomFrame(): { frame: any; valid: boolean } {
  const w = pick([1, 2, 3, 17, 37, 64, 161]);
  const h = pick([1, 2, 5, 23, 48, 97]);
  const format = pick(FORMATS);
  const minStride = format === 'nv12' ? 2 * Math.ceil(w / 2) : w * CH[format]!;
  const stride = minStride + pick([0, 0, 1, 7, 64]);
  const len = exactLength(w, h, format, stride);
  const data = new Uint8Array(len + pick([0, 0, 3]));
  for (let i = 0; i < data.length; i += 7) data[i] = (i * 31) & 255;
  const frame: any = { data, width: w, height: h, format, stride };
  const fault = pick(['none', 'none', 'none', 'truncate', 'stride', 'format', 'width', 'height', 'data', 'extra', 'nan', 'missing']);
  switch (fault) {
    case 'truncate':
      frame.data = data.subarray(0, Math.max(0, len - 1 - Math.floor(rand() * 10)));
      break;
    case 'stride':
      frame.stride = pick([0, -3, minStride - 1, 1.5, NaN, '12']);
      if (frame.stride === minStride - 1 && minStride - 1 >= minStride) frame.stride = 0;
      break;
    case 'format':
      frame.format = pick(['yuv', 'RGB', '', 5, undefined, null]);
      break;
    case 'width':
      frame.width = pick([0, -1, 1.5, NaN, Infinity, '64', 1e9]);
      break;
    case 'height':
      frame.height = pick([0, -7, 2.5, NaN, null]);
      break;
    case 'data':
      frame.data = pick([null, undefined, [1, 2, 3], new Float32Array(len), 'pixels', new ArrayBuffer(len)]);
      break;
    case 'extra':
      return { frame: pick([null, undefined, 42, 'frame', [], new Uint8Array(12)]), valid: false };
    case 'nan':
      frame.width = NaN;
      break;
    case 'missing':
      delete frame[pick(['data', 'width', 'height', 'format'])];
      break;
  }
  return { frame, valid: fault === 'none' };
}

function expectTyped(err: unknown): void {
  const typed = err instanceof LivefrTypeError || err instanceof LivefrRangeError || err instanceof LivefrError;
  if (!typed) throw new Error(`untyped error: ${(err as Error)?.stack ?? String(err)}`);
  expect((err as Error).message.length).toBeGreaterThan(10);
}

async function outcome(fn: () => unknown): Promise<'ok' | 'typed'> {
  try {
    await fn();
    return 'ok';
  } catch (err) {
    expectTyped(err);
    return 'typed';
  }
}

describe('bad input to every entry point gives typed errors, never a crash', () => {
  it('validateFrame / letterbox / convertColor / alignFaces on 300 random frames', async () => {
    let valid = 0;
    let rejected = 0;
    for (let i = 0; i < 300; i++) {
      const { frame, valid: shouldWork } = randomFrame();
      const v = await outcome(() => validateFrame(frame));
      const l = await outcome(() => letterbox(frame, { width: pick([32, 33, 64]), height: pick([32, 48]) }));
      const c = await outcome(() => convertColor(frame, pick(['rgb', 'bgr', 'gray'] as const)));
      const lm = new Float32Array(10).map((_, j) => (j % 2 ? 0.4 : 0.6) * (frame?.width || 10) + j);
      const a = await outcome(() => alignFaces(frame, lm, { size: 32 }));
      if (shouldWork) {
        expect([v, l, c, a]).toEqual(['ok', 'ok', 'ok', 'ok']);
        valid++;
      } else {
        expect(v).toBe('typed');
        // Whatever validateFrame rejects, every consumer rejects too.
        expect([l, c, a]).toEqual(['typed', 'typed', 'typed']);
        rejected++;
      }
    }
    expect(valid).toBeGreaterThan(50);
    expect(rejected).toBeGreaterThan(50);
  });

  it('letterbox and alignFaces reject bad options, outputs and landmarks', async () => {
    const frame = { data: new Uint8Array(40 * 30 * 3), width: 40, height: 30, format: 'rgb' as const };
    const bad: Array<[() => unknown, RegExp]> = [
      [() => letterbox(frame, { width: 0, height: 32 }), /width/],
      [() => letterbox(frame, { width: 32, height: 32, bogus: 1 } as never), /bogus/],
      [() => letterbox(frame, { width: 32, height: 32, mean: [NaN, 0, 0] }), /mean/],
      [() => letterbox(frame, { width: 32, height: 32, std: 0 }), /std/],
      [() => letterbox(frame, { width: 32, height: 32, roi: { x: 30, y: 0, width: 20, height: 10 } }), /roi/],
      [() => letterbox(frame, { width: 32, height: 32 }, new Float32Array(10)), /out/],
      [() => letterbox(frame, { width: 32, height: 32 }, new Uint8Array(3 * 32 * 32) as never), /out/],
      [() => alignFaces(frame, new Float32Array(9)), /landmarks/],
      [() => alignFaces(frame, new Float32Array(10).fill(NaN)), /landmarks/],
      [() => alignFaces(frame, [{ box: { x: 0, y: 0, width: 1, height: 1 }, score: 1, landmarks: [[1, 2]] }] as never), /landmarks|faces/],
      [() => alignFaces(frame, new Float32Array(10), { size: -4 }), /size/],
    ];
    for (const [fn, param] of bad) {
      const err = await Promise.resolve()
        .then(fn)
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(err, String(fn)).not.toBeNull();
      expectTyped(err);
      expect((err as Error).message).toMatch(param);
    }
  });

  it('loadImage rejects random bytes, truncated files and wrong types with DecodeError / TypeError', async () => {
    for (let i = 0; i < 20; i++) {
      const bytes = new Uint8Array(Math.floor(rand() * 2000));
      for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(rand() * 256);
      // a JPEG header followed by garbage, sometimes
      if (i % 2) bytes.set([0xff, 0xd8, 0xff, 0xe0], 0);
      expect(await outcome(() => loadImage(bytes))).toBe('typed');
    }
    expect(await outcome(() => loadImage('/nonexistent/face.jpg'))).toBe('typed');
    expect(await outcome(() => loadImage(42 as never))).toBe('typed');
  });

  it('Watchlist rejects NaN vectors, wrong dimensions, bad ids, k and thresholds', async () => {
    const dim = 8;
    const wl = new Watchlist({ dim });
    const unit = () => {
      const v = new Float32Array(dim).map(() => rand() - 0.5);
      const n = Math.hypot(...v);
      return v.map((x) => x / n);
    };
    await wl.add('a', unit());
    const nan = unit();
    nan[3] = NaN;
    const cases: Array<() => unknown> = [
      () => wl.add('b', nan),
      () => wl.add('b', new Float32Array(dim + 1)),
      () => wl.add('b', new Float32Array(dim)),
      () => wl.add('', unit()),
      () => wl.add(7 as never, unit()),
      () => wl.add('b', [1, 2, 3] as never),
      () => wl.match(nan),
      () => wl.match(new Float32Array(dim * 2 + 1)),
      () => wl.match(unit(), { k: 0 }),
      () => wl.match(unit(), { k: 1.5 }),
      () => wl.match(unit(), { threshold: NaN }),
      () => wl.match(unit(), { bogus: true } as never),
      () => wl.remove(undefined as never),
      () => new Watchlist({ dim: 0 }),
      () => new Watchlist({ dim: 8, index: 'annoy' as never }),
      () => new Watchlist({} as never),
      () => Watchlist.load('/nonexistent/watchlist.lfr'),
    ];
    for (const fn of cases) expect(await outcome(fn), String(fn)).toBe('typed');
    // the list is intact afterwards
    expect(wl.size).toBe(1);
    const [r] = await wl.match(unit(), { k: 1 });
    expect(r!.candidates[0]!.id).toBe('a');
  });

  describe.skipIf(!hasSharedModels)('models (fixtures from ../shared/models)', () => {
    it('Detector and Embedder: bad options, bad frames, bad faces', async () => {
      expect(await outcome(() => Detector.load({ family: 'yunet', model: '/nonexistent.onnx' }))).toBe('typed');
      expect(await outcome(() => Detector.load({ family: 'nosuch' as never, model: sharedModel('yunet.onnx') }))).toBe('typed');
      expect(await outcome(() => Detector.load({ family: 'yunet', model: sharedModel('mobilefacenet-128.onnx') }))).toBe('typed');
      expect(await outcome(() => Embedder.load({ family: 'arcface', model: sharedModel('yunet.onnx') }))).toBe('typed');
      const detector = await Detector.load({ family: 'yunet', model: sharedModel('yunet.onnx') });
      const embedder = await Embedder.load({ family: 'arcface', model: sharedModel('mobilefacenet-128.onnx'), mean: 127, std: 128 });
      try {
        for (let i = 0; i < 60; i++) {
          const { frame, valid } = randomFrame();
          const d = await outcome(() => detector.detect(frame, pick([undefined, { minScore: 0.5 }, { minScore: 2 }, { bogus: 1 }] as never)));
          if (!valid) expect(d).toBe('typed');
          const faces = pick([
            [],
            [{ box: { x: 0, y: 0, width: 10, height: 10 }, score: 0.9, landmarks: [] }],
            [{ box: { x: 0, y: 0, width: NaN, height: 10 }, score: 0.9, landmarks: [] }],
            [{ box: { x: 1, y: 1, width: 5, height: 5 }, score: 0.9, landmarks: [[1, 1], [2, 1], [1.5, 2], [1, 3], [2, 3]] }],
            [{ box: { x: 1, y: 1, width: 5, height: 5 }, score: 0.9, landmarks: [[NaN, 1], [2, 1], [1.5, 2], [1, 3], [2, 3]] }],
            null,
            'faces',
          ] as never[]);
          const e = await outcome(() => embedder.embed(frame, faces));
          if (!valid) expect(e).toBe('typed');
        }
      } finally {
        await detector.close();
        await embedder.close();
      }
    });
  });
});
