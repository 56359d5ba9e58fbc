/**
 * Embedder on a real recogniser (../shared/models/mobilefacenet-128.onnx)
 * with landmarks from a real detector (YuNet), on real faces (LFW).
 */
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Detector, Embedder, ModelError, alignFaces, loadImage } from '../dist/index.js';
import type { Face, Frame } from '../dist/index.js';
import { SKIP_SHARED, hasShared, sharedData, sharedModel } from './helpers/shared.js';

const require = createRequire(import.meta.url);

// The fixture README: RGB, (x - 127) / 128, ArcFace 112 alignment.
const MFN = { family: 'arcface' as const, mean: 127, std: 128, channelOrder: 'rgb' as const };

function dot(a: Float32Array, i: number, b: Float32Array, j: number, dim: number): number {
  let s = 0;
  for (let k = 0; k < dim; k++) s += a[i * dim + k]! * b[j * dim + k]!;
  return s;
}

/** The detection nearest the image centre (LFW images are centred on their subject). */
function central(faces: Face[], frame: Frame): Face | undefined {
  let best: Face | undefined;
  let bd = Infinity;
  for (const f of faces) {
    const d = Math.hypot(f.box.x + f.box.width / 2 - frame.width / 2, f.box.y + f.box.height / 2 - frame.height / 2);
    if (d < bd) (bd = d), (best = f);
  }
  return best;
}

describe('Embedder: argument and model errors', () => {
  it('rejects unknown options, families and bad values with RangeError/TypeError naming them', async () => {
    await expect(Embedder.load({ model: '/x.onnx', bogus: 1 } as never)).rejects.toMatchObject({ name: 'RangeError', message: /options\.bogus/ });
    await expect(Embedder.load({ family: 'facenet' as never, model: '/x.onnx' })).rejects.toMatchObject({ name: 'RangeError', message: /options\.family/ });
    await expect(Embedder.load({ model: '/x.onnx', std: [1, 0, 1] })).rejects.toMatchObject({ name: 'RangeError', message: /options\.std\[1\]/ });
    await expect(Embedder.load({ model: '/x.onnx', channelOrder: 'rbg' as never })).rejects.toMatchObject({ name: 'RangeError', message: /options\.channelOrder/ });
    await expect(Embedder.load({ model: 42 as never })).rejects.toMatchObject({ name: 'TypeError', message: /options\.model/ });
  });

  it('a missing model file is a ModelError naming the path', async () => {
    await expect(Embedder.load({ family: 'arcface', model: '/nonexistent/rec.onnx' })).rejects.toThrow(ModelError);
    await expect(Embedder.load({ family: 'arcface', model: '/nonexistent/rec.onnx' })).rejects.toThrow(/nonexistent\/rec\.onnx/);
  });

  it('corrupt model bytes are a ModelError', async () => {
    await expect(Embedder.load({ model: new Uint8Array([8, 1, 2, 3]) })).rejects.toThrow(ModelError);
  });
});

describe.skipIf(!hasShared)(`Embedder on mobilefacenet-128 (${hasShared ? 'shared fixtures present' : SKIP_SHARED})`, () => {
  let embedder: Embedder;
  let detector: Detector;
  let frame: Frame;
  let face: Face;

  beforeAll(async () => {
    embedder = await Embedder.load({ ...MFN, model: sharedModel('mobilefacenet-128.onnx') });
    // YuNet at 256x256: LFW images are 250x250, and it is ~20x cheaper than SCRFD at 640 on this shared machine.
    detector = await Detector.load({ family: 'yunet', model: sharedModel('yunet.onnx'), inputSize: [256, 256] });
    frame = await loadImage(sharedData('lfw-dev', 'images', 'Abel_Pacheco', 'Abel_Pacheco_0001.jpg'));
    face = central(await detector.detect(frame, { tile: false }), frame)!;
  });
  afterAll(async () => {
    await embedder?.close();
    await detector?.close();
  });

  it('reads the model: 128-d, 112 px, fixed batch', () => {
    expect(embedder.dim).toBe(128);
    expect(embedder.inputSize).toBe(112);
    expect(embedder.dynamicBatch).toBe(false);
    expect(embedder.input).toEqual({ mean: [127, 127, 127], std: [128, 128, 128], channelOrder: 'rgb', cropScale: 1 });
  });

  it('embeddings are unit-norm, the same image twice gives identical embeddings, rows follow faces', async () => {
    expect(face.landmarks).toHaveLength(5);
    const a = await embedder.embed(frame, [face]);
    const b = await embedder.embed(frame, [face]);
    expect(a.length).toBe(128);
    expect(Math.abs(dot(a, 0, a, 0, 128) - 1)).toBeLessThan(1e-5);
    expect(Array.from(b)).toEqual(Array.from(a));
    const boxOnly = { ...face, landmarks: [] };
    const three = await embedder.embed(frame, [boxOnly, face, boxOnly]);
    expect(three.length).toBe(3 * 128);
    expect(Array.from(three.subarray(128, 256))).toEqual(Array.from(a));
    expect(Array.from(three.subarray(256))).toEqual(Array.from(three.subarray(0, 128)));
    expect(dot(three, 0, three, 1, 128)).toBeLessThan(0.999); // the box crop is a different image
    expect((await embedder.embed(frame, [])).length).toBe(0);
  });

  it('embedAligned on alignFaces output equals embed', async () => {
    const t = await alignFaces(frame, [face], { size: 112, mean: 127, std: 128 });
    const copy = t.slice();
    const a = await embedder.embedAligned(t, 1);
    expect(Array.from(a)).toEqual(Array.from(await embedder.embed(frame, [face])));
    expect(Array.from(t)).toEqual(Array.from(copy)); // caller's tensor untouched
    await expect(embedder.embedAligned(t, 2)).rejects.toMatchObject({ name: 'RangeError', message: /tensor/ });
  });

  it('zeroes its input buffers after each run (no face stays in memory)', async () => {
    await embedder.embed(frame, [face, face]);
    const free = (embedder as unknown as { free: Map<number, Float32Array[]> }).free;
    const bufs = [...free.values()].flat();
    expect(bufs.length).toBeGreaterThan(0);
    for (const b of bufs) {
      expect(b.length).toBe(3 * 112 * 112);
      expect(b.every((v) => v === 0)).toBe(true);
    }
  });

  it('bad faces arguments give typed errors naming the parameter', async () => {
    await expect(embedder.embed(frame, 'x' as never)).rejects.toMatchObject({ name: 'TypeError', message: /faces/ });
    await expect(embedder.embed(frame, [null as never])).rejects.toMatchObject({ name: 'TypeError', message: /faces\[0\]/ });
    await expect(embedder.embed(frame, [{ ...face, landmarks: [[1, 2]] }])).rejects.toMatchObject({ name: 'RangeError', message: /faces\[0\]\.landmarks/ });
    const nan = { ...face, landmarks: face.landmarks.map((p, k) => (k === 2 ? [NaN, p[1]] : p)) as Face['landmarks'] };
    await expect(embedder.embed(frame, [face, nan])).rejects.toMatchObject({ name: 'RangeError', message: /faces\[1\]\.landmarks\[2\]\[0\]/ });
    await expect(embedder.embed(frame, [{ box: { x: 0, y: 0, width: 0, height: 5 }, score: 1, landmarks: [] }])).rejects.toMatchObject({
      name: 'RangeError',
      message: /faces\[0\]\.box\.width/,
    });
    await expect(embedder.embed({ ...frame, format: 'xyz' as never }, [face])).rejects.toMatchObject({ name: 'RangeError', message: /frame\.format/ });
  });

  it('a dynamic-batch model runs all faces in one call and agrees with the batch-1 model', async () => {
    // The same network with a symbolic batch dimension (and its final Reshape made batch-agnostic).
    const { onnx } = require('onnx-proto') as typeof import('onnx-proto');
    const m = onnx.ModelProto.decode(await readFile(sharedModel('mobilefacenet-128.onnx')));
    const g = m.graph!;
    g.input![0]!.type!.tensorType!.shape!.dim![0] = { dimParam: 'N' };
    g.output![0]!.type!.tensorType!.shape!.dim![0] = { dimParam: 'N' };
    for (const n of g.node!) {
      if (n.opType !== 'Reshape') continue;
      const init = g.initializer!.find((t) => t.name === n.input![1]);
      if (init) {
        init.int64Data = [];
        init.rawData = new Uint8Array(new BigInt64Array([-1n, 128n]).buffer);
        init.dims = [2];
      }
    }
    const dyn = await Embedder.load({ ...MFN, model: onnx.ModelProto.encode(m).finish() });
    try {
      expect(dyn.dynamicBatch).toBe(true);
      const boxOnly = { ...face, landmarks: [] };
      const a = await dyn.embed(frame, [face, boxOnly, face]);
      const b = await embedder.embed(frame, [face, boxOnly, face]);
      for (let i = 0; i < 3; i++) expect(dot(a, i, b, i, 128)).toBeGreaterThan(0.9999);
    } finally {
      await dyn.close();
    }
  });

  it('close() makes later calls a StateError', async () => {
    const e = await Embedder.load({ ...MFN, model: sharedModel('mobilefacenet-128.onnx') });
    await e.close();
    await expect(e.embed(frame, [face])).rejects.toMatchObject({ name: 'StateError' });
  });

  /*
   * Closed-set identification on LFW (development half, ../shared/data/lfw-dev):
   * people = the first 200 folders of images/ in code-point sorted order that
   * hold 3 or more images (1,593 images). Faces: YuNet at 256x256, the
   * detection nearest the image centre. Enrol the first image (sorted) with a
   * detection; every other image of the person is a probe, and a probe
   * without a detection counts as a miss. Rank-1 = the nearest enrolled
   * template by cosine similarity is the right person. Aligned = 5-point
   * similarity to the ArcFace template; unaligned = a square crop of side
   * max(w, h) centred on the same detection box, same model, same pixels.
   * Measured here 2026-11-22: aligned 97.85% (1,363 / 1,393), unaligned
   * 45.08%; 0 images without a detection. The bounds sit below those: the
   * brief's 95% floor raised to 97%, and a gap of at least 40 points.
   */
  it('LFW rank-1 identification: aligned >= 95%, and clearly better than an unaligned centre crop', async () => {
    const root = sharedData('lfw-dev', 'images');
    const people = readdirSync(root)
      .sort()
      .map((name) => ({ name, files: readdirSync(path.join(root, name)).filter((f) => f.endsWith('.jpg')).sort() }))
      .filter((p) => p.files.length >= 3)
      .slice(0, 200);
    expect(people).toHaveLength(200);
    const dim = embedder.dim;
    const gallery = { aligned: new Float32Array(200 * dim), crop: new Float32Array(200 * dim) };
    const probes: { person: number; aligned: Float32Array | null; crop: Float32Array | null }[] = [];
    let undetected = 0;
    for (let p = 0; p < people.length; p++) {
      const { name, files } = people[p]!;
      let enrolled = false;
      for (const file of files) {
        const img = await loadImage(path.join(root, name, file));
        const f = central(await detector.detect(img, { tile: false }), img);
        if (!f) undetected++;
        const aligned = f ? await embedder.embed(img, [f]) : null;
        const crop = f ? await embedder.embed(img, [{ ...f, landmarks: [] }]) : null;
        if (!enrolled && f) {
          gallery.aligned.set(aligned!, p * dim);
          gallery.crop.set(crop!, p * dim);
          enrolled = true;
        } else {
          probes.push({ person: p, aligned, crop });
        }
      }
      expect(enrolled, `${name} has an image with a detection`).toBe(true);
    }
    const rank1 = (kind: 'aligned' | 'crop') => {
      let hits = 0;
      for (const pr of probes) {
        const v = pr[kind];
        if (!v) continue;
        let best = -1;
        let bs = -Infinity;
        for (let g = 0; g < 200; g++) {
          const s = dot(v, 0, gallery[kind], g, dim);
          if (s > bs) (bs = s), (best = g);
        }
        if (best === pr.person) hits++;
      }
      return hits / probes.length;
    };
    const aligned = rank1('aligned');
    const crop = rank1('crop');
    console.log(
      `[04.embedder] LFW rank-1 over ${probes.length} probes, 200 enrolled (${undetected} images without detection): ` +
        `aligned ${(aligned * 100).toFixed(2)}%, unaligned centre crop ${(crop * 100).toFixed(2)}%`,
    );
    expect(probes.length).toBe(1593 - 200);
    expect(aligned).toBeGreaterThanOrEqual(0.97);
    expect(aligned - crop).toBeGreaterThanOrEqual(0.4);
  }, 1_500_000);
});
