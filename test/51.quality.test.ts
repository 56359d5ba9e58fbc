import { readdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { poseOf, qualityOf, normaliseQualityOptions, sharpness, sharpnessRaw } from '../dist/pipeline/quality.js';
import { convertColor, setSimd, bestSimdLevel } from '../dist/preprocess.js';
import { hasSharedData, sharedData, SKIP_SHARED } from './helpers/shared.js';
import { seededRandom as rng } from '../dist/util/random.js';


/** Reference in plain JS: variances of the 4-neighbour Laplacian and of intensity over a gray region. */
function reference(y: Uint8Array, stride: number, x0: number, y0: number, w: number, h: number) {
  let n = 0, sl = 0, sl2 = 0, si = 0, si2 = 0;
  for (let r = 1; r < h - 1; r++) {
    for (let c = 1; c < w - 1; c++) {
      const at = (dy: number, dx: number) => y[(y0 + r + dy) * stride + x0 + c + dx]!;
      const v = at(0, 0);
      const l = 4 * v - at(0, -1) - at(0, 1) - at(-1, 0) - at(1, 0);
      n++; sl += l; sl2 += l * l; si += v; si2 += v * v;
    }
  }
  return { lap: sl2 / n - (sl / n) ** 2, int: si2 / n - (si / n) ** 2 };
}

describe('sharpness (native)', () => {
  it('equals a JS reference, scalar and SIMD alike, for gray, NV12 and I420 frames with odd boxes', async () => {
    const r = rng(11);
    const width = 203;
    const height = 97;
    const stride = 224;
    const ySize = stride * height;
    const data = new Uint8Array(ySize * 2);
    for (let i = 0; i < data.length; i++) data[i] = Math.floor(r() * 256);
    const boxes = [
      { x: 0, y: 0, width, height },
      { x: 3.7, y: 5.2, width: 17, height: 9 },
      { x: 150, y: 40, width: 80, height: 80 }, // clipped at the right and bottom edges
      { x: 10, y: 10, width: 2, height: 50 }, // too thin: 0
    ];
    const levels = ['scalar', bestSimdLevel()] as const;
    const results: Float64Array[] = [];
    try {
      for (const level of levels) {
        setSimd(level);
        for (const format of ['gray', 'nv12', 'i420'] as const) {
          const frame = { data, width, height, format, stride };
          const got = sharpness(frame, boxes);
          results.push(got);
          for (const [i, b] of boxes.entries()) {
            const x0 = Math.floor(b.x), y0 = Math.floor(b.y);
            const w = Math.floor(Math.min(b.x + b.width, width)) - x0;
            const h = Math.floor(Math.min(b.y + b.height, height)) - y0;
            if (w < 3 || h < 3) {
              expect(got[i]).toBe(0);
              continue;
            }
            const ref = reference(data, stride, x0, y0, w, h);
            const raw = sharpnessRaw(frame, b);
            expect(raw.laplacianVariance).toBeCloseTo(ref.lap, 6);
            expect(raw.intensityVariance).toBeCloseTo(ref.int, 6);
            expect(got[i]).toBeCloseTo(Math.sqrt(ref.lap) / (Math.sqrt(ref.int) + 4), 9);
          }
        }
      }
    } finally {
      setSimd('auto');
    }
    // Scalar and SIMD: the same integers, so the same doubles.
    for (let k = 0; k < 3; k++) expect(Array.from(results[k + 3]!)).toEqual(Array.from(results[k]!));
  });

  it('reads packed RGB through BT.601 luma', async () => {
    const r = rng(5);
    const width = 64, height = 48;
    const rgb = new Uint8Array(width * height * 3).map(() => Math.floor(r() * 256));
    const frame = { data: rgb, width, height, format: 'rgb' as const };
    const gray = await convertColor(frame, 'gray');
    const box = { x: 4, y: 4, width: 50, height: 40 };
    expect(sharpness(frame, [box])[0]).toBeCloseTo(sharpness(gray, [box])[0]!, 2);
  });

  it('rejects bad input with typed errors naming the parameter', () => {
    const frame = { data: new Uint8Array(100), width: 10, height: 10, format: 'gray' as const };
    expect(() => sharpness(frame, [{ x: 0, y: 0, width: Number.NaN, height: 3 }])).toThrow(/boxes\[0\]\.width/);
    expect(() => sharpness(frame, 'x' as never)).toThrow(TypeError);
    expect(() => sharpness({ ...frame, width: 11 }, [])).toThrow(/frame\.data/);
  });

  it.skipIf(!hasSharedData)('ranks real faces: sharp above blurred at the same size, and size-normalised across sizes', async () => {
    const dir = sharedData('lfw-dev', 'images');
    const people = readdirSync(dir).sort().slice(0, 12);
    const o = normaliseQualityOptions(undefined);
    for (const size of [32, 56, 96]) {
      let wins = 0;
      const sharpTerms: number[] = [];
      for (const p of people) {
        const file = path.join(dir, p, readdirSync(path.join(dir, p)).sort()[0]!);
        const crop = sharp(file).extract({ left: 65, top: 65, width: 120, height: 120 }).resize(size, size);
        const a = await crop.clone().raw().toBuffer({ resolveWithObject: true });
        const b = await sharp(a.data, { raw: a.info }).blur(1.5).raw().toBuffer({ resolveWithObject: true });
        const box = { x: 0, y: 0, width: size, height: size };
        const sa = sharpness({ data: a.data, width: size, height: size, format: 'rgb' }, [box])[0]!;
        const sb = sharpness({ data: b.data, width: size, height: size, format: 'rgb' }, [box])[0]!;
        if (sa > 1.5 * sb) wins++;
        sharpTerms.push(qualityOf({ box, score: 1, landmarks: [] }, sa, o).sharp);
      }
      expect(wins).toBe(people.length);
      // A sharp face's sharpness term is high at every size (the measure is size-normalised).
      expect(sharpTerms.filter((t) => t >= 0.8).length).toBeGreaterThanOrEqual(people.length - 2);
    }
  });
});

describe('pose and quality', () => {
  const frontal: [number, number][] = [[40, 50], [80, 50], [60, 72], [45, 90], [75, 90]];
  it('measures yaw, roll and pitch proxies from 5 landmarks', () => {
    const p = poseOf(frontal)!;
    expect(p.yaw).toBeCloseTo(0, 6);
    expect(p.roll).toBeCloseTo(0, 6);
    expect(p.pitch).toBeCloseTo(0.55, 2);
    const turned = poseOf([[40, 50], [80, 50], [78, 72], [50, 90], [78, 90]])!;
    expect(turned.yaw).toBeCloseTo(0.45, 2);
    const a = Math.PI / 6; // rotate the frontal face by 30 degrees: roll 30, yaw unchanged
    const rot = frontal.map(([x, y]) => [60 + (x - 60) * Math.cos(a) - (y - 70) * Math.sin(a), 70 + (x - 60) * Math.sin(a) + (y - 70) * Math.cos(a)] as [number, number]);
    const pr = poseOf(rot)!;
    expect(pr.roll).toBeCloseTo(30, 6);
    expect(pr.yaw).toBeCloseTo(0, 6);
    expect(poseOf([])).toBeNull();
  });

  it('scores small, turned or blurred faces lower, and refuses faces under minSize', () => {
    const o = normaliseQualityOptions(undefined);
    const face = (s: number, lm = frontal) => ({ box: { x: 0, y: 0, width: s, height: s }, score: 0.9, landmarks: lm });
    const good = qualityOf(face(80), 0.4, o).score;
    expect(good).toBeCloseTo(1, 6);
    expect(qualityOf(face(32), 0.9, o).score).toBeLessThan(good);
    expect(qualityOf(face(80, [[40, 50], [80, 50], [78, 72], [50, 90], [78, 90]]), 0.4, o).score).toBeLessThan(0.1);
    expect(qualityOf(face(80), 0.1, o).score).toBeLessThan(0.6);
    expect(qualityOf(face(19), 2, o).score).toBe(0);
    expect(() => normaliseQualityOptions({ minSize: -1 })).toThrow(/options\.quality\.minSize/);
  });
});

describe('track evidence and motion (the best few faces of a track)', () => {
  it('keeps its best `capacity` faces: a better face replaces the worst, its scores stay in the evidence', async () => {
    const { TrackEvidence } = await import('../dist/pipeline/evidence.js');
    const ev = new TrackEvidence(2, 2);
    const e = (a: number, b: number) => Float32Array.of(a, b);
    ev.add(e(1, 0), [{ id: 'p', score: 0.2 }], 0.5, 10);
    ev.add(e(0, 1), [{ id: 'p', score: 0.3 }], 0.4, 20);
    expect(ev.full).toBe(true);
    expect(ev.embeddedAt).toBe(20);
    ev.add(e(0.6, 0.8), [{ id: 'p', score: 0.6 }], 0.9, 30); // better than both: takes the row of the worst (0.4)
    expect([...ev.embeddings]).toEqual([1, 0, Math.fround(0.6), Math.fround(0.8)]);
    expect(ev.bestQuality).toBe(0.9);
    expect(ev.fused('max').get('p')).toBe(0.6);
    expect(ev.fused('top2-mean').get('p')).toBeCloseTo(0.45, 6);
    ev.add(e(9, 9), [{ id: 'q', score: 0.99 }], 0.7, 40); // not better than the best: not kept, no evidence
    expect([...ev.embeddings]).toEqual([1, 0, Math.fround(0.6), Math.fround(0.8)]);
    expect(ev.fused('max').has('q')).toBe(false);
    // A face 1.25x larger than the largest embedded (a walker coming closer) is kept even at no better quality.
    const grown = new TrackEvidence(2, 1);
    grown.add(e(1, 0), [{ id: 'p', score: 0.3 }], 1, 1, 40);
    expect(grown.grown(49)).toBe(false);
    expect(grown.grown(50)).toBe(true);
    grown.add(e(0, 1), [{ id: 'p', score: 0.5 }], 1, 2, 50);
    expect([...grown.embeddings]).toEqual([0, 1]);
    expect(grown.fused('max').get('p')).toBe(0.5);
    expect(grown.bestSide).toBe(50);
    ev.wipe();
    expect(ev.embeddings.every((v) => v === 0)).toBe(true);
    expect(ev.fused('max').size).toBe(0);
  });

  it('tells a moving face from a still one and from one seen once', async () => {
    const { motionOf, MOVING_SPEED } = await import('../dist/pipeline/pipeline.js');
    const b = (x: number, w = 40) => ({ x, y: 100, width: w, height: w });
    const t = (x0: number, x1: number, frames: number) => ({ firstFrame: 10, lastSeen: 10 + frames, firstBox: b(x0), last: { box: b(x1), score: 0.9 } });
    expect(motionOf(t(100, 100, 0))).toBe(1); // seen once
    expect(motionOf(t(100, 101, 25))).toBe(0); // jitter
    expect(motionOf(t(100, 100 + 40 * MOVING_SPEED * 25 + 1, 25))).toBe(2); // half a face width a second at 25 fps
    expect(motionOf(t(100, 100 + 40 * MOVING_SPEED * 25 - 1, 25))).toBe(0);
  });
});
