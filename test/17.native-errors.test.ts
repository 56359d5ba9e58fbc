// Every error the native core raises for bad input is one of livefr's
// classes with `code` and `parameter`, and its stack shows the caller (this
// file), whether it was thrown while the arguments were parsed (synchronous)
// or when the worker completed (a rejection). The raw binding is called
// directly, bypassing the TypeScript checks, so the native checks are what
// is tested; then the public calls whose errors come from native code.
import { describe, expect, it } from 'vitest';
import {
  FileFormatError,
  LivefrRangeError,
  LivefrTypeError,
  StateError,
  Watchlist,
  alignFaces,
  similarityTransform,
} from '../dist/index.js';
import { createWatchIndex, detect, image, quality, raw } from '../dist/native/index.js';

const THIS_FILE = '17.native-errors.test';

type Cls = typeof LivefrTypeError | typeof LivefrRangeError | typeof FileFormatError | typeof StateError;
const CODES = new Map<Cls, string>([
  [LivefrTypeError, 'ERR_LIVEFR_INVALID_TYPE'],
  [LivefrRangeError, 'ERR_LIVEFR_OUT_OF_RANGE'],
  [FileFormatError, 'ERR_LIVEFR_FILE_FORMAT'],
  [StateError, 'ERR_LIVEFR_STATE'],
]);

function check(err: unknown, cls: Cls, parameter: string | undefined, what: string): void {
  expect(err, what).toBeInstanceOf(cls);
  const e = err as Error & { code: string; parameter?: string };
  expect(e.code, what).toBe(CODES.get(cls));
  if (parameter !== undefined) expect(e.parameter, what).toBe(parameter);
  expect(e.stack, `${what}: the caller's stack`).toContain(THIS_FILE);
}

/** Runs fn (sync or async) and returns what it threw or rejected with. */
async function failure(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

const rgb = (w: number, h: number) => ({ data: new Uint8Array(w * h * 3).fill(90), width: w, height: h, format: 'rgb' as const, stride: w * 3 });
const lbParams = {
  roiX: 0, roiY: 0, roiW: 8, roiH: 8, dstW: 8, dstH: 8, contentW: 8, contentH: 8, padX: 0, padY: 0,
  scaleX: 1, scaleY: 1, mean: [0, 0, 0] as [number, number, number], std: [1, 1, 1] as [number, number, number], bgr: false, padValue: 0, threads: 1,
};
const alignParams = {
  size: 16, template: new Float32Array([5, 5, 11, 5, 8, 8, 6, 12, 10, 12]), points: [0, 1, 2, 3, 4],
  mean: [0, 0, 0] as [number, number, number], std: [1, 1, 1] as [number, number, number], bgr: false, padValue: 0,
};

describe('errors from native code are livefr errors with code, parameter and the caller stack', () => {
  it('argument checks of the raw binding (thrown while parsing)', async () => {
    const r = raw();
    const cases: [string, () => unknown, Cls, string][] = [
      ['letterbox: short frame data', () => r.letterbox({ ...rgb(8, 8), data: new Uint8Array(10) }, lbParams, new Float32Array(192)), LivefrRangeError, 'frame.data'],
      ['letterbox: roi outside', () => r.letterbox(rgb(8, 8), { ...lbParams, roiW: 99 }, new Float32Array(192)), LivefrRangeError, 'options.roi.width'],
      ['letterbox: output size', () => r.letterbox(rgb(8, 8), lbParams, new Float32Array(191)), LivefrRangeError, 'out'],
      ['letterbox: frame not an object', () => r.letterbox(7 as never, lbParams, new Float32Array(192)), LivefrTypeError, 'frame'],
      ['letterbox: format', () => r.letterbox({ ...rgb(8, 8), format: 'yuv' as never }, lbParams, new Float32Array(192)), LivefrRangeError, 'frame.format'],
      ['alignFaces: landmark count', () => r.alignFaces(rgb(8, 8), new Float32Array(7), alignParams, new Float32Array(768)), LivefrRangeError, 'landmarks'],
      ['alignFaces: infinite landmark', () => r.alignFaces(rgb(8, 8), new Float32Array(10).fill(Infinity), alignParams, new Float32Array(768)), LivefrRangeError, 'landmarks'],
      ['alignFaces: huge landmark', () => r.alignFaces(rgb(8, 8), new Float32Array(10).fill(3e38), alignParams, new Float32Array(768)), LivefrRangeError, 'landmarks'],
      ['alignFaces: template', () => r.alignFaces(rgb(8, 8), new Float32Array(10), { ...alignParams, template: new Float32Array(3) }, new Float32Array(768)), LivefrRangeError, 'options.template'],
      ['similarityTransform: coincident points', () => r.similarityTransform(new Float32Array([1, 1, 1, 1]), new Float32Array([0, 0, 2, 2])), LivefrRangeError, 'src'],
      ['similarityTransform: not floats', () => r.similarityTransform([1, 2] as never, new Float32Array(2)), LivefrTypeError, 'src'],
      ['convertColor: target', () => r.convertColor(rgb(8, 8), 'hsv' as never, new Uint8Array(192)), LivefrRangeError, 'to'],
      ['setSimd: level', () => r.setSimd('sse9' as never), LivefrRangeError, 'level'],
      ['detectPostprocess: family', () => r.detectPostprocess({ family: 'ssd' } as never), LivefrRangeError, 'job.family'],
      ['detectPostprocess: output sizes', () => r.detectPostprocess({ family: 'ultraface', landmarks: false, minScore: 0.5, iouThreshold: 0.3, minFaceSize: 0, maxFaces: 0, clipWidth: 10, clipHeight: 10, passes: [{ inputWidth: 320, inputHeight: 240, outputs: [new Float32Array(3)], scale: 1, padX: 0, padY: 0, originX: 0, originY: 0 }] }), LivefrRangeError, 'job.passes[0].outputs'],
      ['qualitySharpness: boxes', () => r.qualitySharpness(rgb(8, 8), new Float32Array(3)), LivefrRangeError, 'boxes'],
      ['WatchIndex: dim', () => new r.WatchIndex!({ dim: 0, kind: 'flat' } as never), LivefrRangeError, 'options.dim'],
      ['WatchIndex: kind', () => new r.WatchIndex!({ dim: 4, kind: 'lsh' } as never), LivefrRangeError, 'options.kind'],
      ['WatchIndex.add: ids type', () => new r.WatchIndex!({ dim: 2, kind: 'flat' } as never).add([1] as never, new Float32Array(2)), LivefrTypeError, 'ids'],
      ['WatchIndex.search: k', () => new r.WatchIndex!({ dim: 2, kind: 'flat' } as never).search(new Float32Array(2), 0), LivefrRangeError, 'k'],
      ['ioCreatePipe: capacity type', () => r.ioCreatePipe('big' as never), LivefrTypeError, 'capacity'],
      ['ioCreatePipe: capacity range', () => r.ioCreatePipe(-1), LivefrRangeError, 'capacity'],
      ['ioCreatePipe: no capacity', () => (r.ioCreatePipe as unknown as () => unknown)(), LivefrTypeError, 'capacity'],
    ];
    for (const [what, fn, cls, param] of cases) check(await failure(fn), cls, param, what);
  });

  it('creates the decoder pipe: both ends close-on-exec, the kernel buffer raised, bytes through it', async () => {
    const { closeSync, readSync, writeSync } = await import('node:fs');
    const p = raw().ioCreatePipe(1 << 20);
    try {
      expect(p.read).toBeGreaterThan(2);
      expect(p.write).toBeGreaterThan(2);
      expect(p.capacity).toBeGreaterThanOrEqual(64 * 1024); // 1 MiB where /proc/sys/fs/pipe-max-size allows it
      expect(writeSync(p.write, Buffer.from('livefr'))).toBe(6);
      const got = Buffer.alloc(6);
      expect(readSync(p.read, got)).toBe(6);
      expect(got.toString()).toBe('livefr');
      const { readlinkSync, readFileSync } = await import('node:fs');
      expect(readlinkSync(`/proc/self/fd/${p.read}`)).toMatch(/^pipe:/);
      // close-on-exec: flags in /proc/self/fdinfo (octal; O_CLOEXEC is 02000000)
      for (const fd of [p.read, p.write]) {
        const flags = parseInt(/flags:\s*([0-7]+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8);
        expect(flags & 0o2000000).toBe(0o2000000);
      }
    } finally {
      closeSync(p.read);
      closeSync(p.write);
    }
  });

  it('failures found by a worker (rejections) carry the caller stack too', async () => {
    const cases: [string, () => Promise<unknown>, Cls, string | undefined][] = [
      ['alignFaces: coincident landmarks', () => image.alignFaces(rgb(8, 8), new Float32Array(20).fill(4), alignParams, new Float32Array(2 * 768)), LivefrRangeError, 'landmarks[0]'],
      ['index add: negative id', () => createWatchIndex({ dim: 2, kind: 'flat', M: 8, efSearch: 8, efConstruction: 8, nlist: 2, nprobe: 1 }).add(new Float64Array([-1]), new Float32Array([1, 0])), LivefrRangeError, 'ids'],
      ['index load: not index bytes', () => createWatchIndex({ dim: 2, kind: 'hnsw', M: 8, efSearch: 8, efConstruction: 8, nlist: 2, nprobe: 1 }).load(new Uint8Array(64)), FileFormatError, undefined],
      ['index vectors: unknown id', () => createWatchIndex({ dim: 2, kind: 'flat', M: 8, efSearch: 8, efConstruction: 8, nlist: 2, nprobe: 1 }).vectors(new Float64Array([5])), LivefrRangeError, 'ids'],
      ['index train: not ivf', () => createWatchIndex({ dim: 2, kind: 'flat', M: 8, efSearch: 8, efConstruction: 8, nlist: 2, nprobe: 1 }).train(), StateError, undefined],
      ['index train: too few vectors', () => createWatchIndex({ dim: 2, kind: 'ivf', M: 8, efSearch: 8, efConstruction: 8, nlist: 4, nprobe: 1 }).train(), LivefrRangeError, 'nlist'],
    ];
    for (const [what, fn, cls, param] of cases) check(await failure(fn), cls, param, what);
    // The rest of the surface resolves normally.
    expect(await detect.postprocess({ family: 'candidates', landmarks: false, minScore: 0.5, iouThreshold: 0.3, minFaceSize: 0, maxFaces: 0, clipWidth: 10, clipHeight: 10, passes: [] })).toHaveLength(0);
    expect(quality.sharpness(rgb(8, 8), new Float32Array(0))).toHaveLength(0);
  });

  it('public calls restate native errors in their own parameters, keeping the cause', async () => {
    const frame = rgb(40, 40);
    const flat = new Float32Array(10).fill(12);
    check(await failure(() => alignFaces(frame, flat)), LivefrRangeError, 'landmarks[0]', 'alignFaces: coincident');
    check(await failure(() => alignFaces(frame, [{ box: { x: 0, y: 0, width: 9, height: 9 }, score: 1, landmarks: [[1e39, 0], [0, 0], [0, 0], [0, 0], [0, 0]] }])), LivefrRangeError, 'landmarks[0].landmarks[0][0]', 'alignFaces: 1e39');
    check(await failure(() => similarityTransform([3, 3, 3, 3], [0, 0, 1, 1])), LivefrRangeError, 'src', 'similarityTransform');
    const wl = new Watchlist({ dim: 2, index: 'ivf', ivf: { nlist: 4 } });
    await wl.add('a', new Float32Array([1, 0]));
    check(await failure(() => wl.train()), LivefrRangeError, 'ivf.nlist', 'Watchlist.train');
    const err = (await failure(() => wl.save('/nonexistent-dir/x.lfw'))) as Error & { cause?: { code?: string } };
    check(err, LivefrRangeError, 'path', 'Watchlist.save: missing directory');
    expect(err.cause?.code).toBe('ENOENT');
    for (const bad of ['/tmp', '/tmp/a\0b', `/tmp/${'x'.repeat(300)}.lfw`]) {
      const e = (await failure(() => wl.save(bad))) as Error & { cause?: unknown };
      check(e, LivefrRangeError, 'path', `Watchlist.save(${JSON.stringify(bad.slice(0, 12))})`);
      expect(e.cause).toBeDefined();
    }
  });
});
