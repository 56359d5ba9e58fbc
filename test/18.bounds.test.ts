// Bounds and typed refusals (issue 7 items 8, 9 and 10; issue 8 item 2):
// absolute caps on tiling, tensor and crop sizes, bounded embed batches
// (in a child process: the faults took gigabytes), frames whose buffer does
// not match their size, embedders that are not embedders, and embed()
// errors that name the face.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../dist/convert/onnx-builder.js';
import { Embedder, LivefrRangeError, ModelError, letterbox, validateFrame } from '../dist/index.js';
import { seededRandom } from '../dist/util/random.js';
import { hasSharedModels, repoRoot, sharedModel, SKIP_SHARED } from './helpers/shared.js';

interface ChildReport {
  cases: Record<string, { ok?: unknown; error?: { name: string; code: string; parameter: string; message: string } }>;
  peakRssMiB: number;
  embedPeakMiB: number;
  embedRows: number;
}

/** The tiny recogniser of helpers/bounds-child.mjs: [N, 3, S, S] -> [N, 8]. */
function tinyEmbedder(size: number): Uint8Array {
  const g = new GraphBuilder('tiny-embedder');
  const x = g.input('input', ['N', 3, size, size]);
  const flat = g.op('Flatten', [g.op('GlobalAveragePool', [x])], { axis: 1 });
  const r = seededRandom(3);
  const w = g.floats('w', Array.from({ length: 24 }, () => r() - 0.5), [3, 8]);
  g.output(g.op('Add', [g.op('MatMul', [flat, w]), g.floats('b', Array.from({ length: 8 }, (_, i) => 0.1 + i / 10), [8])]), 'embedding');
  return g.toBytes();
}

describe('memory stays bounded: absolute caps with typed errors (child process)', () => {
  it('tiling, letterbox and alignFaces sizes are capped; embed of 5,000 faces runs in bounded batches', () => {
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'test/helpers/bounds-child.mjs'), '--faces', '5000'], { cwd: repoRoot, encoding: 'utf8', timeout: 300_000 });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildReport;
    const refused = (name: string, parameter: string) => {
      expect(rep.cases[name]?.error, name).toMatchObject({ name: 'RangeError', code: 'ERR_LIVEFR_OUT_OF_RANGE', parameter });
    };
    refused('detect 4096x4096 tile: true smallestFace 4', 'options.smallestFace');
    expect(rep.cases['detect 4096x4096 tile: true smallestFace 4']!.error!.message).toMatch(/passes/);
    // 'auto' never refuses: it tiles more coarsely, within the caps.
    expect(rep.cases['detect 4096x4096 tile: auto smallestFace 4 maxTiles 255']!.ok).toBeLessThanOrEqual(256);
    refused('letterbox 8192 x 8192 tensor', 'options.width');
    refused('alignFaces size 2048 x 600 faces', 'landmarks');
    expect(rep.cases['embed 5000 faces']!.ok).toBe(5000);
    // 5,000 aligned 112 x 112 crops are 750 MB; a few batches of 32 are about 5 MB each.
    console.log(`[bounds] embed of 5,000 faces: RSS grew ${rep.embedPeakMiB} MiB at its peak; process peak ${rep.peakRssMiB} MiB`);
    expect(rep.embedPeakMiB).toBeLessThan(200);
    expect(rep.peakRssMiB).toBeLessThan(1200);
  });

  it('letterbox refuses a tensor beyond 4096 x 4096 in-process too, before allocating it', async () => {
    const frame = { data: new Uint8Array(12), width: 2, height: 2, format: 'rgb' as const };
    await expect(letterbox(frame, { width: 5000, height: 4000 })).rejects.toMatchObject({ name: 'RangeError', code: 'ERR_LIVEFR_OUT_OF_RANGE', parameter: 'options.width' });
  });
});

describe('frames whose buffer does not match their size are errors (issue 8, item 2)', () => {
  const W = 64;
  const H = 48;
  const exact = new Uint8Array(W * H * 3);
  it('a packed frame a little too narrow, or a buffer larger than width x height x bpp without a stride, is a RangeError', () => {
    for (const [what, frame] of [
      ['10 px too narrow', { data: exact, width: W - 10, height: H, format: 'rgb' }],
      ['one row too short', { data: exact, width: W, height: H - 1, format: 'rgb' }],
      ['rgb read as gray', { data: exact, width: W, height: H, format: 'gray' }],
      ['one byte extra', { data: new Uint8Array(W * H * 3 + 1), width: W, height: H, format: 'rgb' }],
      ['nv12 with room to spare', { data: new Uint8Array(W * H * 2), width: W, height: H, format: 'nv12' }],
    ] as const) {
      let err: unknown;
      try {
        validateFrame(frame);
      } catch (e) {
        err = e;
      }
      expect(err, what).toBeInstanceOf(LivefrRangeError);
      expect(err, what).toMatchObject({ code: 'ERR_LIVEFR_OUT_OF_RANGE', parameter: 'frame.data' });
    }
    const narrow = (() => {
      try {
        validateFrame({ data: exact, width: W - 10, height: H, format: 'rgb' });
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    expect(narrow).toMatch(/width of 64 px/); // says what the buffer would fit
    // Too wide stays an error; 10 px too wide:
    expect(() => validateFrame({ data: exact, width: W + 10, height: H, format: 'rgb' })).toThrow(expect.objectContaining({ parameter: 'frame.data' }));
  });

  it('exact buffers, and larger ones whose stride says so, are accepted', () => {
    expect(validateFrame({ data: exact, width: W, height: H, format: 'rgb' }).stride).toBe(W * 3);
    expect(validateFrame({ data: exact, width: W - 10, height: H, format: 'rgb', stride: W * 3 }).width).toBe(W - 10);
    expect(validateFrame({ data: new Uint8Array(W * H * 3 + 100), width: W, height: H, format: 'rgb', stride: W * 3 }).byteLength).toBe(W * H * 3);
    expect(validateFrame({ data: new Uint8Array(W * H * 1.5), width: W, height: H, format: 'nv12' }).format).toBe('nv12');
    expect(validateFrame({ data: new Uint8Array(W * H + 2 * (W / 2) * (H / 2)), width: W, height: H, format: 'i420' }).format).toBe('i420');
  });
});

describe('Embedder.load checks the model is an embedder; embed() errors name the face (issue 7, items 9 and 10)', () => {
  it('a detector model is refused with a ModelError saying what was expected', async () => {
    // The default landmark stage's model (MTCNN O-Net: a square input, three outputs), always converted by setup.
    const detectorModel = path.join(repoRoot, 'models', 'mtcnn-onet.onnx');
    const err = await Embedder.load({ model: readFileSync(detectorModel) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect(err).toMatchObject({ code: 'ERR_LIVEFR_MODEL' });
    expect((err as Error).message).toMatch(/one output .* this one has 3/);
  });

  it("the default detector's model (one non-square input) is refused too", async () => {
    const err = await Embedder.load({ model: readFileSync(path.join(repoRoot, 'models', 'fr-detect.onnx')) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect((err as Error).message).toMatch(/square crops/);
  });

  it.skipIf(!hasSharedModels)('SCRFD and RetinaFace are refused as embedders', async () => {
    for (const file of ['scrfd-500m-kps.onnx', 'retinaface-mnet025.onnx']) {
      const err = await Embedder.load({ model: sharedModel(file) }).catch((e: unknown) => e);
      expect(err, file).toBeInstanceOf(ModelError);
      expect((err as Error).message, file).toMatch(/not an 'arcface' embedder/);
    }
  });
  it.skipIf(hasSharedModels)(`SCRFD and RetinaFace as embedders: ${SKIP_SHARED}`, () => undefined);

  it('coincident landmarks and coordinates beyond float32 are errors naming the face, with the native error as cause', async () => {
    const embedder = await Embedder.load({ model: tinyEmbedder(112), mean: 127.5, std: 128 });
    try {
      const frame = { data: new Uint8Array(200 * 200 * 3).fill(100), width: 200, height: 200, format: 'rgb' as const };
      const good = { box: { x: 50, y: 50, width: 80, height: 90 }, score: 0.9, landmarks: [[70, 80], [110, 80], [90, 100], [75, 120], [105, 120]] as [number, number][] };
      const same = { ...good, landmarks: Array.from({ length: 5 }, () => [90, 90]) as [number, number][] };
      const faces = [...Array.from({ length: 40 }, () => good), same]; // the bad face is in the second batch of 32
      const err = await embedder.embed(frame, faces).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LivefrRangeError);
      expect(err).toMatchObject({ code: 'ERR_LIVEFR_OUT_OF_RANGE', parameter: 'faces[40].landmarks' });
      expect((err as Error).cause).toBeInstanceOf(LivefrRangeError);
      expect((err as Error).stack).toContain('18.bounds.test');
      const huge = { ...good, landmarks: [[1e39, 80], [110, 80], [90, 100], [75, 120], [105, 120]] as [number, number][] };
      await expect(embedder.embed(frame, [good, huge])).rejects.toMatchObject({ name: 'RangeError', parameter: 'faces[1].landmarks[0][0]' });
      const wide = { box: { x: 0, y: 0, width: 1e39, height: 5 }, score: 1, landmarks: [] };
      await expect(embedder.embed(frame, [wide])).rejects.toMatchObject({ name: 'RangeError', parameter: 'faces[0].box.width' });
      expect((await embedder.embed(frame, [good, good])).length).toBe(2 * embedder.dim);
    } finally {
      await embedder.close();
    }
  });
});
