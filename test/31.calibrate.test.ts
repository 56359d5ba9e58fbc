// Threshold calibration to a false-alert target (lib/calibrate.ts).
// Protocol: calibrate on one set of impostor scores, measure the false-alert
// rate (FPIR) on a disjoint set, and check it lies in the interval calibrate()
// states. Synthetic scores run everywhere; real LFW scores (calibrate on one
// half of the people, test on the other) need ../shared.
import { seededRandom } from '../dist/util/random.js';
import { describe, expect, it } from 'vitest';
import { applyCalibration, calibrate, fmrFromFpir, fpirFromFmr, fpirPredictionInterval } from '../dist/eval/calibrate.js';
import path from 'node:path';
import { hasShared, repoRoot, sharedData, sharedModel } from './helpers/shared.js';

/** Seeded standard normal samples (mulberry32 + Box-Muller). */
function normals(seed: number, n: number, sigma: number): Float32Array {
  const rnd = seededRandom(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = Math.max(rnd(), 1e-12);
    const v = rnd();
    const r = Math.sqrt(-2 * Math.log(u)) * sigma;
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/** FPIR of `searches` searches, each the max of `size` impostor comparisons. */
function measuredFpir(scores: Float32Array, size: number, threshold: number): { fpir: number; searches: number } {
  const searches = Math.floor(scores.length / size);
  let alerts = 0;
  for (let s = 0; s < searches; s++) {
    let max = -Infinity;
    for (let j = 0; j < size; j++) max = Math.max(max, scores[s * size + j]!);
    if (max >= threshold) alerts++;
  }
  return { fpir: alerts / searches, searches };
}

describe('FMR <-> FPIR relation', () => {
  it('FPIR = 1 - (1 - FMR)^N and its inverse', () => {
    expect(fpirFromFmr(1e-6, 1000)).toBeCloseTo(1 - (1 - 1e-6) ** 1000, 12);
    expect(fpirFromFmr(1e-6, 1000)).toBeCloseTo(9.995e-4, 6);
    expect(fmrFromFpir(fpirFromFmr(3e-5, 500), 500)).toBeCloseTo(3e-5, 12);
    expect(fpirFromFmr(0.01, 1)).toBe(0.01);
  });
});

describe('calibrate() on synthetic impostor scores (runs everywhere)', () => {
  // Score model: impostor comparisons are iid N(0, 0.1), as cosine similarities of
  // unrelated faces roughly are. Calibration and test scores come from different seeds.
  const calib = normals(1, 400_000, 0.1);
  const held = normals(2, 3_000_000, 0.1);

  it('per-comparison: measured FPIR on held-apart searches lies in the stated interval', () => {
    for (const [size, target] of [
      [100, 0.01],
      [30, 0.05],
    ] as const) {
      const c = calibrate({ impostorScores: calib, targetFPIR: target, watchlistSize: size });
      expect(c.method).toBe('per-comparison');
      expect(c.targetRate).toBeCloseTo(fmrFromFpir(target, size), 12);
      expect(c.expectedFPIR).toBeLessThanOrEqual(target);
      const m = measuredFpir(held, size, c.threshold);
      // The stated interval for a test of m.searches searches: calibration uncertainty + test noise.
      const [lo, hi] = fpirPredictionInterval(c, m.searches);
      expect(lo).toBeLessThanOrEqual(c.fpirInterval[0]);
      expect(hi).toBeGreaterThanOrEqual(c.fpirInterval[1]);
      expect(m.fpir).toBeGreaterThanOrEqual(lo);
      expect(m.fpir).toBeLessThanOrEqual(hi);
      expect(c.thresholdInterval[0]).toBeLessThanOrEqual(c.threshold);
      expect(c.thresholdInterval[1]).toBeGreaterThanOrEqual(c.threshold);
    }
  });

  it('a bigger watchlist needs a higher threshold', () => {
    const t = [10, 100, 1000].map((n) => calibrate({ impostorScores: calib, targetFPIR: 0.05, watchlistSize: n }).threshold);
    expect(t[1]).toBeGreaterThan(t[0]!);
    expect(t[2]).toBeGreaterThan(t[1]!);
  });

  it('open-set: from non-mated top-1 scores at the watchlist size, no independence assumption', () => {
    const size = 50;
    const top = new Float32Array(8000);
    for (let s = 0; s < top.length; s++) {
      let max = -Infinity;
      for (let j = 0; j < size; j++) max = Math.max(max, calib[s * size + j]!);
      top[s] = max;
    }
    const c = calibrate({ nonMatedScores: top, targetFPIR: 0.01, watchlistSize: size });
    expect(c.method).toBe('open-set');
    expect(c.comparisons).toBe(1);
    const m = measuredFpir(held, size, c.threshold);
    const [lo, hi] = fpirPredictionInterval(c, m.searches);
    expect(m.fpir).toBeGreaterThanOrEqual(lo);
    expect(m.fpir).toBeLessThanOrEqual(hi);
    // Same data through an eval result; another size cannot use these scores.
    expect(calibrate({ evalResult: { nonMatedScores: top, watchlistSize: size }, targetFPIR: 0.01, watchlistSize: size }).threshold).toBe(c.threshold);
    expect(() => calibrate({ evalResult: { nonMatedScores: top, watchlistSize: size }, targetFPIR: 0.01, watchlistSize: 80 })).toThrow(/watchlistSize/);
  });

  it('refuses too few scores and bad options with typed errors naming the parameter', () => {
    expect(() => calibrate({ impostorScores: calib.subarray(0, 1000), targetFPIR: 0.001, watchlistSize: 1000 })).toThrow(
      expect.objectContaining({ name: 'RangeError', message: expect.stringMatching(/at least 299\d{4} scores.*options\.impostorScores/) }),
    );
    expect(() => calibrate({ impostorScores: calib, targetFPIR: 0, watchlistSize: 10 })).toThrow(expect.objectContaining({ name: 'RangeError', message: expect.stringMatching(/targetFPIR/) }));
    expect(() => calibrate({ impostorScores: calib, targetFPIR: 0.01, watchlistSize: 0 })).toThrow(/watchlistSize/);
    expect(() => calibrate({ impostorScores: calib, targetFPIR: 0.01, watchlistSize: 10, bogus: 1 } as never)).toThrow(/options\.bogus/);
    expect(() => calibrate({ targetFPIR: 0.01, watchlistSize: 10 })).toThrow(expect.objectContaining({ name: 'TypeError' }));
    expect(() => calibrate({ impostorScores: [0.1, NaN], targetFPIR: 0.5, watchlistSize: 1 })).toThrow(/impostorScores\[1\]/);
    expect(() => applyCalibration({} as never, {} as never)).toThrow(/watchlist/);
  });
});

describe.skipIf(!hasShared)('calibrate() on real LFW scores (held-apart people)', () => {
  // LFW-dev embedded with YuNet + MobileFaceNet-128 (cached in .livefr-cache).
  // People split by index parity: calibrate on even-indexed people (A), test on odd (B).
  // Test searches: 5 watchlists of `size` B people (seeds 11..15, one image each), searched
  // with every image of the other B people; FPIR = searches whose top-1 score >= threshold.
  const size = 100;
  const target = 0.05;
  let emb: import('../dist/eval/embed.js').Embeddings;
  let inA: (id: string) => boolean;
  let testScores: Float32Array;

  async function setup() {
    if (emb) return;
    const { embedDataset, openDataset, defaultEncoderConfig, searchTopScores } = await import('../dist/eval/index.js');
    const ds = await openDataset(sharedData('lfw-dev'));
    const cfg = defaultEncoderConfig({
      detector: 'yunet', detectorModel: sharedModel('yunet.onnx'), embedderModel: sharedModel('mobilefacenet-128.onnx'),
      embedderMean: [127, 127, 127], embedderStd: [128, 128, 128],
    });
    emb = await embedDataset(ds, cfg, { cacheDir: path.join(repoRoot, '.livefr-cache') });
    const a = new Set(ds.people.filter((_, i) => i % 2 === 0).map((p) => p.id));
    inA = (id) => a.has(id);
    const parts = [11, 12, 13, 14, 15].map((seed) => searchTopScores(emb, (id) => !inA(id), size, seed));
    testScores = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      testScores.set(p, o);
      o += p.length;
    }
  }

  function measured(threshold: number): number {
    let alerts = 0;
    for (const s of testScores) if (s >= threshold) alerts++;
    return alerts / testScores.length;
  }

  it('open-set calibration on people A holds on people B', async () => {
    await setup();
    const { searchTopScores } = await import('../dist/eval/index.js');
    const calibTop = searchTopScores(emb, inA, size, 3);
    const c = calibrate({ nonMatedScores: calibTop, targetFPIR: target, watchlistSize: size });
    const fpir = measured(c.threshold);
    const [lo, hi] = fpirPredictionInterval(c, testScores.length);
    console.log(`LFW open-set calibration: ${c.samples} non-mated searches, threshold ${c.threshold.toFixed(4)}, ` +
      `FPIR interval [${c.fpirInterval.map((x) => x.toFixed(4)).join(', ')}], for ${testScores.length} test searches [${lo.toFixed(4)}, ${hi.toFixed(4)}]; measured ${fpir.toFixed(4)}`);
    expect(fpir).toBeGreaterThanOrEqual(lo);
    expect(fpir).toBeLessThanOrEqual(hi);
  });

  it('per-comparison calibration (FPIR = 1 - (1 - FMR)^N) on people A holds on people B; bigger N, higher threshold', async () => {
    await setup();
    const { crossIdentityScores } = await import('../dist/eval/index.js');
    const calibScores = crossIdentityScores(emb, inA);
    const c = calibrate({ impostorScores: calibScores, targetFPIR: target, watchlistSize: size });
    const fpir = measured(c.threshold);
    const [lo, hi] = fpirPredictionInterval(c, testScores.length);
    console.log(`LFW per-comparison calibration: ${calibScores.length} impostor pairs, FMR ${c.targetRate.toExponential(2)}, threshold ${c.threshold.toFixed(4)}, ` +
      `FPIR interval [${c.fpirInterval.map((x) => x.toFixed(4)).join(', ')}], for ${testScores.length} test searches [${lo.toFixed(4)}, ${hi.toFixed(4)}]; measured ${fpir.toFixed(4)}`);
    expect(fpir).toBeGreaterThanOrEqual(lo);
    expect(fpir).toBeLessThanOrEqual(hi);
    const t = [10, 100, 1000].map((n) => calibrate({ impostorScores: calibScores, targetFPIR: target, watchlistSize: n }).threshold);
    expect(t[1]).toBeGreaterThan(t[0]!);
    expect(t[2]).toBeGreaterThan(t[1]!);
  });

  it('applies to a Watchlist, which then refuses a lower threshold unless forced', async () => {
    await setup();
    const { Watchlist } = await import('../dist/index.js');
    const { searchTopScores } = await import('../dist/eval/index.js');
    const c = calibrate({ nonMatedScores: searchTopScores(emb, inA, size, 3), targetFPIR: target, watchlistSize: size });
    const w = new Watchlist({ dim: emb.dim });
    applyCalibration(w, c);
    expect(w.threshold).toBe(c.threshold);
    expect(() => w.setThreshold(c.threshold - 0.05)).toThrow(expect.objectContaining({ name: 'RangeError', message: expect.stringMatching(/calibrated/) }));
    w.setThreshold(c.threshold - 0.05, { force: true });
    expect(w.threshold).toBeCloseTo(c.threshold - 0.05, 6);
  });
});
