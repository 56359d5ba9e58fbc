/**
 * The tuning options around the recogniser (docs/models.md, "Tuning around
 * the models"): the alignment warp's sampling and sharpening, flip-averaged
 * embeddings and fused embedders, on the registry's real recognisers
 * (fr-feature, faceapi-resnet) and real faces (../shared/data/cast, with the
 * default detector's landmarks). The warp options are also checked on
 * synthetic frames whose exact crops are known.
 */
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Detector, Embedder, StateError, Watchlist, alignFaces, loadImage } from '../dist/index.js';
import type { Face, Frame } from '../dist/index.js';
import { fuseEmbeddings } from '../dist/embedder.js';
import { FUSIONS, findSpec } from '../dist/models/catalog.js';
import { SKIP_SHARED, hasSharedData, sharedData } from './helpers/shared.js';

const dot = (a: Float32Array, i: number, b: Float32Array, j: number, d: number) => {
  let s = 0;
  for (let k = 0; k < d; k++) s += a[i * d + k]! * b[j * d + k]!;
  return s;
};

/** A 320x240 RGB frame with value f(x, y) in every channel. */
function synthetic(f: (x: number, y: number) => number): Frame {
  const W = 320;
  const H = 240;
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data.fill(f(x, y), (y * W + x) * 3, (y * W + x) * 3 + 3);
  return { data, width: W, height: H, format: 'rgb' };
}

/** A face of about 20 px (eyes 12 px apart): the warp enlarges it about 3x into a 112 px crop. */
const SMALL: Face = { box: { x: 150, y: 110, width: 20, height: 24 }, score: 1, landmarks: [[154, 118], [166, 118], [160, 124], [155, 130], [165, 130]] };
/** A face of about 200 px: the warp shrinks it. */
const LARGE: Face = { box: { x: 60, y: 20, width: 200, height: 220 }, score: 1, landmarks: [[110, 90], [210, 90], [160, 140], [120, 185], [200, 185]] };
const RAW = { mean: 0, std: 1 };

describe('alignment warp options (interpolation, sharpen)', () => {
  it('every sampling reproduces a flat frame exactly, and sharpening leaves it flat', async () => {
    const flat = synthetic(() => 100);
    for (const interpolation of ['bilinear', 'bicubic', 'area'] as const) {
      for (const sharpen of [0, 1]) {
        const crop = await alignFaces(flat, [SMALL], { ...RAW, interpolation, sharpen });
        for (const v of crop) expect(Math.abs(v - 100)).toBeLessThan(1e-3);
      }
    }
  });

  it('bicubic and area agree with bilinear on a linear ramp (all three are exact on linear images)', async () => {
    const ramp = synthetic((x, y) => Math.min(255, Math.round(0.4 * x + 0.3 * y)));
    const base = await alignFaces(ramp, [SMALL], RAW);
    for (const interpolation of ['bicubic', 'area'] as const) {
      const crop = await alignFaces(ramp, [SMALL], { ...RAW, interpolation });
      let worst = 0;
      for (let i = 0; i < crop.length; i++) worst = Math.max(worst, Math.abs(crop[i]! - base[i]!));
      // The ramp is rounded to integers: samplings differ by less than a grey level.
      expect(worst, interpolation).toBeLessThan(1);
    }
  });

  it('on a textured frame the samplings differ, sharpening changes enlarged faces only', async () => {
    const tex = synthetic((x, y) => ((x * 7919 + y * 104729) % 251));
    const base = await alignFaces(tex, [SMALL], RAW);
    const meanDiff = (a: Float32Array) => a.reduce((s, v, i) => s + Math.abs(v - base[i]!), 0) / a.length;
    expect(meanDiff(await alignFaces(tex, [SMALL], { ...RAW, interpolation: 'bicubic' }))).toBeGreaterThan(0.5);
    expect(meanDiff(await alignFaces(tex, [SMALL], { ...RAW, interpolation: 'area' }))).toBeGreaterThan(0.5);
    expect(meanDiff(await alignFaces(tex, [SMALL], { ...RAW, sharpen: 0.5 }))).toBeGreaterThan(0.5);
    // A face larger than the crop is not sharpened.
    const big = await alignFaces(tex, [LARGE], RAW);
    const bigSharp = await alignFaces(tex, [LARGE], { ...RAW, sharpen: 2 });
    expect(Array.from(bigSharp)).toEqual(Array.from(big));
  });

  it('bad options are typed errors naming the option', async () => {
    const flat = synthetic(() => 0);
    await expect(alignFaces(flat, [SMALL], { interpolation: 'nearest' as never })).rejects.toMatchObject({ name: 'RangeError', message: /options\.interpolation/ });
    await expect(alignFaces(flat, [SMALL], { interpolation: 1 as never })).rejects.toMatchObject({ name: 'TypeError', message: /options\.interpolation/ });
    await expect(alignFaces(flat, [SMALL], { sharpen: -0.1 })).rejects.toMatchObject({ name: 'RangeError', message: /options\.sharpen/ });
    await expect(alignFaces(flat, [SMALL], { sharpen: 5 })).rejects.toMatchObject({ name: 'RangeError', message: /options\.sharpen/ });
    await expect(alignFaces(flat, [SMALL], { sharpen: '1' as never })).rejects.toMatchObject({ name: 'TypeError', message: /options\.sharpen/ });
    await expect(Embedder.load({ interpolation: 'lanczos' as never })).rejects.toMatchObject({ name: 'RangeError', message: /options\.interpolation/ });
  });
});

describe('flip and fusion: bad options are typed errors (no model loaded)', () => {
  it('names the option', async () => {
    await expect(Embedder.load({ flip: 'yes' as never })).rejects.toMatchObject({ name: 'TypeError', message: /options\.flip/ });
    await expect(Embedder.load({ fuse: 'fr-feature' as never })).rejects.toMatchObject({ name: 'TypeError', message: /options\.fuse/ });
    await expect(Embedder.load({ fuse: [{ model: 'fr-feature' }] })).rejects.toMatchObject({ name: 'RangeError', message: /options\.fuse.*2 to 4/ });
    await expect(Embedder.load({ fuse: [{}, {}, {}, {}, {}] })).rejects.toMatchObject({ name: 'RangeError', message: /options\.fuse/ });
    await expect(Embedder.load({ model: 'fr-feature', fuse: [{ model: 'fr-feature' }, { model: 'faceapi-resnet' }] })).rejects.toMatchObject({ name: 'RangeError', message: /options\.model.*options\.fuse/ });
    await expect(Embedder.load({ fuse: [{ model: 'fr-feature' }, { model: 'faceapi-resnet', weight: 0 }] })).rejects.toMatchObject({ name: 'RangeError', message: /options\.fuse\[1\]\.weight/ });
    await expect(Embedder.load({ fuse: [{ model: 'fr-feature' }, { model: 'faceapi-resnet', weight: -1 }] })).rejects.toMatchObject({ name: 'RangeError', message: /options\.fuse\[1\]\.weight/ });
    await expect(Embedder.load({ fuse: [{ model: 'fr-feature', workers: 2 } as never, { model: 'faceapi-resnet' }] })).rejects.toMatchObject({ name: 'RangeError', message: /options\.fuse\[0\]\.workers/ });
    await expect(Embedder.load({ fuse: [{ model: 'fr-feature' }, { fuse: [] } as never] })).rejects.toMatchObject({ name: 'RangeError', message: /options\.fuse\[1\]\.fuse/ });
    await expect(Embedder.load({ fuse: [{ model: 'fr-feature' }, 'faceapi-resnet' as never] })).rejects.toMatchObject({ name: 'TypeError', message: /options\.fuse\[1\]/ });
    await expect(Embedder.load({ fuse: [{ model: 'fr-feature' }, { model: 'faceapi-resnet', flip: 1 as never }] })).rejects.toMatchObject({ name: 'TypeError', message: /options\.fuse\[1\]\.flip/ });
    await expect(Embedder.load({ fuse: [{ model: 'fr-feature' }, { model: 'no-such-model' }] })).rejects.toMatchObject({ message: /options\.fuse\[1\]\.model/ });
  });

  it('fuseEmbeddings checks its parts', () => {
    expect(() => fuseEmbeddings([new Float32Array(4)], [4, 2], [1, 1])).toThrow(/parts/);
    expect(() => fuseEmbeddings([new Float32Array(4), new Float32Array(3)], [4, 2], [1, 1])).toThrow(/parts\[1\]/);
    expect(() => fuseEmbeddings([new Float32Array(4), new Float32Array(2)], [4, 2], [0, 0])).toThrow(/weights/);
  });
});

describe.skipIf(!hasSharedData)(`flip-averaged and fused embedders on real faces ${hasSharedData ? '' : `(${SKIP_SHARED})`}`, () => {
  // Two images each of three people of the cast set, default detector + landmark stage.
  const people = ['amy', 'howard', 'raj'];
  const shots: { person: string; frame: Frame; face: Face }[] = [];
  let detector: Detector;
  let plain: Embedder;
  let resnet: Embedder;

  beforeAll(async () => {
    detector = await Detector.load({});
    for (const p of people) {
      const files = readdirSync(sharedData('cast', p)).sort().slice(0, 2);
      for (const f of files) {
        const frame = await loadImage(sharedData('cast', p, f));
        const faces = await detector.detect(frame);
        const face = faces.sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height)[0];
        if (face) shots.push({ person: p, frame, face });
      }
    }
    plain = await Embedder.load({ model: 'fr-feature' });
    resnet = await Embedder.load({ model: 'faceapi-resnet' });
  }, 120_000);
  const opened: Embedder[] = [];
  const track = (e: Embedder) => (opened.push(e), e);
  afterAll(async () => {
    await Promise.all([detector?.close(), plain?.close(), resnet?.close(), ...opened.map((e) => e.close())]);
  });

  const embedAll = async (e: Embedder) => {
    const out = new Float32Array(shots.length * e.dim);
    for (const [i, s] of shots.entries()) out.set(await e.embed(s.frame, [s.face]), i * e.dim);
    return out;
  };

  it('a fused embedder scores exactly the weighted sum of its members\' scores', async () => {
    expect(shots.length).toBe(6);
    const fused = track(await Embedder.load({ fuse: [{ model: 'fr-feature', weight: 2 }, { model: 'faceapi-resnet', weight: 1 }] }));
    expect(fused.dim).toBe(plain.dim + resnet.dim);
    expect(fused.members!.map((m) => m.weight)).toEqual([2 / 3, 1 / 3]);
    expect(fused.members!.map((m) => m.embedder.modelName)).toEqual(['fr-feature', 'faceapi-resnet']);
    const [a, b, f] = [await embedAll(plain), await embedAll(resnet), await embedAll(fused)];
    let checked = 0;
    for (let i = 0; i < shots.length; i++) {
      expect(dot(f, i, f, i, fused.dim)).toBeCloseTo(1, 5);
      for (let j = i + 1; j < shots.length; j++) {
        const want = (2 / 3) * dot(a, i, a, j, plain.dim) + (1 / 3) * dot(b, i, b, j, resnet.dim);
        expect(Math.abs(dot(f, i, f, j, fused.dim) - want)).toBeLessThan(1e-5);
        checked++;
      }
    }
    expect(checked).toBe(15);
    // A Watchlist takes the fused embeddings unchanged: its match score is the same weighted sum.
    const wl = new Watchlist({ dim: fused.dim });
    for (let i = 0; i < shots.length; i += 2) await wl.add(`${shots[i]!.person}`, f.slice(i * fused.dim, (i + 1) * fused.dim));
    const res = await wl.match(f.slice(1 * fused.dim, 2 * fused.dim), { k: 3 });
    for (const c of res[0]!.candidates) {
      const j = shots.findIndex((x) => x.person === c.id);
      expect(Math.abs(c.score - ((2 / 3) * dot(a, 1, a, j, plain.dim) + (1 / 3) * dot(b, 1, b, j, resnet.dim)))).toBeLessThan(1e-4);
    }
    expect(res[0]!.best!.id).toBe(shots[1]!.person);
    // A fused embedder has no single crop to take.
    await expect(fused.embedAligned(new Float32Array(3 * 112 * 112), 1)).rejects.toThrow(StateError);
    // No measured operating point for these weights: no suggested threshold.
    expect(fused.suggestedThreshold).toBeUndefined();
  }, 120_000);

  it('equal weights give the catalog\'s measured fusion and its live threshold', async () => {
    const spec = FUSIONS.find((x) => x.members.map((m) => m.model).join('+') === 'fr-feature+faceapi-resnet');
    expect(spec, 'FUSIONS records fr-feature + faceapi-resnet').toBeDefined();
    const fused = track(await Embedder.load({ fuse: [{ model: 'fr-feature' }, { model: 'faceapi-resnet' }] }));
    expect(fused.suggestedThreshold).toBe(spec!.live.threshold);
    // A flip-averaged member is another measured fusion.
    const withFlip = track(await Embedder.load({ fuse: [{ model: 'fr-feature', flip: true }, { model: 'faceapi-resnet' }] }));
    expect(withFlip.suggestedThreshold).toBe(FUSIONS.find((x) => x.members[0]!.model === 'fr-feature:flip')!.live.threshold);
    expect(fused.liveOperatingPoint).toEqual(spec!.live);
  }, 120_000);

  it('flip: true gives different, valid embeddings (unit rows, near the plain ones, same-person above different-person)', async () => {
    const flipped = track(await Embedder.load({ model: 'fr-feature', flip: true }));
    expect(flipped.flip).toBe(true);
    expect(plain.flip).toBe(false);
    const [p, q] = [await embedAll(plain), await embedAll(flipped)];
    const d = plain.dim;
    for (let i = 0; i < shots.length; i++) {
      expect(dot(q, i, q, i, d)).toBeCloseTo(1, 5);
      const self = dot(p, i, q, i, d);
      expect(self).toBeGreaterThan(0.9);
      expect(self).toBeLessThan(0.99999);
    }
    // Each person's two images score above every pair of different people.
    let minSame = Infinity;
    let maxOther = -Infinity;
    for (let i = 0; i < shots.length; i++) {
      for (let j = i + 1; j < shots.length; j++) {
        const s = dot(q, i, q, j, d);
        if (shots[i]!.person === shots[j]!.person) minSame = Math.min(minSame, s);
        else maxOther = Math.max(maxOther, s);
      }
    }
    expect(minSame).toBeGreaterThan(maxOther);
    // Several faces in one call give the same rows as one at a time (the mirrored half is batched with the rest).
    const s0 = shots[0]!;
    const twice = await flipped.embed(s0.frame, [s0.face, s0.face]);
    for (let k = 0; k < d; k++) expect(Math.abs(twice[k]! - q[k]!)).toBeLessThan(1e-5);
    for (let k = 0; k < d; k++) expect(Math.abs(twice[d + k]! - q[k]!)).toBeLessThan(1e-5);
    // The catalog's flip operating point is the suggested threshold.
    const live = findSpec('fr-feature')!.liveVariants?.flip;
    expect(live, 'catalog records fr-feature flip').toBeDefined();
    expect(flipped.suggestedThreshold).toBe(live!.threshold);
  }, 120_000);
});
