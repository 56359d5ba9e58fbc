/**
 * The live-like protocol's metrics against hand-computed cases, its
 * detection-to-paste assignment, and the determinism of the set (same seed,
 * same plan and frame bytes; another seed, another set). The figures on the
 * real set are in test/34.live-defaults.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { liveFigures } from '../dist/eval/live/metrics.js';
import { assignDetections, runLive } from '../dist/eval/live/run.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pairedBootstrap, tpirAt, type SearchRow } from '../dist/eval/live/scores.js';
import { buildLiveSet, listScenes, resolveLiveSetOptions } from '../dist/eval/live/set.js';
import { renderFrame } from '../dist/eval/live/render.js';
import { openDataset } from '../dist/eval/dataset.js';
import { createHash } from 'node:crypto';
import { hasSharedData, sharedData, SKIP_SHARED } from './helpers/shared.js';

const f32 = (x: number) => Math.fround(x);
/** The smallest float32 above x. */
function nextUp(x: number): number {
  const a = new Float32Array([x]);
  const u = new Uint32Array(a.buffer);
  u[0] = a[0]! >= 0 ? u[0]! + 1 : u[0]! - 1;
  return a[0]!;
}

describe('live-like metrics, hand-computed', () => {
  // 6 pasted faces: widths 32 (3) and 64 (3); 4 mated (2 per width), 2 non-mated.
  const pasted = [
    { width: 32, mated: true, detected: true },
    { width: 32, mated: true, detected: false },
    { width: 32, mated: false, detected: true },
    { width: 64, mated: true, detected: true },
    { width: 64, mated: true, detected: true },
    { width: 64, mated: false, detected: false },
  ];
  const mated = [
    { width: 32, score: f32(0.9), hit: true },
    { width: 32, score: -Infinity, hit: false }, // not detected
    { width: 64, score: f32(0.7), hit: true },
    { width: 64, score: f32(0.95), hit: false }, // wrong person at rank 1
  ];
  // 3000 non-mated searches: 0.8, 0.6, 0.5, 0.45 and 2996 at 0.1.
  const nonMated = [0.8, 0.6, 0.5, 0.45, ...new Array(2996).fill(0.1)].map(f32);
  const fig = liveFigures({ pasted, mated, nonMated }, [1e-2, 1e-3, 1e-4]);

  it('recall per width counts every pasted face, mated or not', () => {
    expect(fig.recall.map((r) => [r.width, r.count, r.of])).toEqual([[32, 2, 3], [64, 2, 3], ['all', 4, 6]]);
  });

  it('rank-1 per width counts an undetected face and a wrong rank-1 as misses', () => {
    expect(fig.rank1.map((r) => [r.width, r.count, r.of])).toEqual([[32, 1, 2], [64, 1, 2], ['all', 2, 4]]);
  });

  it('TPIR at FPIR 1e-2: 30 of 3000 may alert, threshold just above the 31st highest (0.1)', () => {
    const t = fig.tpirAtFpir[0]!;
    expect(t.threshold).toBe(nextUp(f32(0.1)));
    // The 4 non-mated above 0.1 alert; the 2996 ties at 0.1 do not (ties are never split).
    expect(t.falseAlerts).toBe(4);
    // Mated: 0.9 hit, 0.7 hit alert; the wrong rank-1 (0.95) and the undetected do not.
    expect(t.tpir).toBe(2 / 4);
    expect(t.byWidth!.map((r) => [r.width, r.count, r.of])).toEqual([[32, 1, 2], [64, 1, 2], ['all', 2, 4]]);
  });

  it('TPIR at FPIR 1e-3: 3 of 3000 may alert, threshold just above the 4th highest (0.45)', () => {
    const t = fig.tpirAtFpir[1]!;
    expect(t.threshold).toBe(nextUp(f32(0.45)));
    expect(t.falseAlerts).toBe(3);
    expect(t.tpir).toBe(2 / 4);
    expect(t.refused).toBeNull();
  });

  it('TPIR at FPIR 1e-4 is refused: 3000 non-mated searches < 3 / 1e-4', () => {
    const t = fig.tpirAtFpir[2]!;
    expect(t.tpir).toBeNull();
    expect(t.threshold).toBeNull();
    expect(t.refused).toMatch(/30000 non-mated searches.*3000/);
  });

  it('a threshold above a mate\'s score loses it; fewer than 3 / FPIR searches is refused', () => {
    const strict = liveFigures({ pasted, mated, nonMated: [0.8, 0.75, 0.72, 0.71, ...new Array(2996).fill(0.1)].map(f32) }, [1e-3]);
    // 3 of 3000 may alert: threshold above the 4th highest (0.71); the 0.7 mate is lost.
    expect(strict.tpirAtFpir[0]!.threshold).toBe(nextUp(f32(0.71)));
    expect(strict.tpirAtFpir[0]!.tpir).toBe(1 / 4);
    const few = liveFigures({ pasted, mated, nonMated: new Array(2999).fill(0.1).map(f32) }, [1e-3]);
    expect(few.tpirAtFpir[0]!.refused).toMatch(/3000 non-mated searches.*2999/);
    // With minExpectedErrors 1, 1000 suffice: 1 may alert, threshold above the 2nd highest.
    const one = liveFigures({ pasted, mated, nonMated: [0.8, 0.75, ...new Array(998).fill(0.1)].map(f32) }, [1e-3], 1);
    expect(one.tpirAtFpir[0]!.threshold).toBe(nextUp(f32(0.75)));
    expect(one.tpirAtFpir[0]!.tpir).toBe(1 / 4);
  });

  it('the interval brackets the TPIR', () => {
    const t = fig.tpirAtFpir[1]!;
    expect(t.tpirInterval!.low).toBeLessThan(0.5);
    expect(t.tpirInterval!.high).toBeGreaterThan(0.5);
  });
});

describe('paired comparison of two rules, hand-computed', () => {
  // 10 frames; each: 1 mated search and 100 non-mated (1,000 in all, so FPIR 1e-2 lets 10 alert).
  const rows = (matedScore: (f: number) => number, hit: (f: number) => boolean): SearchRow[] => {
    const out: SearchRow[] = [];
    for (let f = 0; f < 10; f++) {
      out.push({ frame: f, mated: true, hit: hit(f), score: matedScore(f), size: 40 });
      for (let k = 0; k < 100; k++) out.push({ frame: f, mated: false, hit: false, score: k === 0 ? 0.9 : k / 1000, size: 40 });
    }
    return out;
  };
  it('tpirAt: the threshold lets floor(FPIR x n) non-mated searches alert', () => {
    // Non-mated: ten at 0.9, the rest <= 0.099. FPIR 1e-2 -> 10 may alert: threshold just above 0.099.
    const a = rows((f) => (f < 5 ? 0.5 : 0.05), () => true);
    const t = tpirAt(a, 1e-2);
    expect(t.falseAlerts).toBe(10);
    expect(t.threshold).toBeGreaterThan(0.099);
    expect(t.threshold).toBeLessThan(0.0991);
    expect(t.hits).toBe(5);
    expect(t.tpir).toBe(0.5);
    // FPIR 1e-3 -> 1 may alert, but ten tie at 0.9: the threshold goes above them all, no false alert.
    expect(tpirAt(a, 1e-3)).toMatchObject({ falseAlerts: 0, hits: 0 });
  });
  it('pairedBootstrap: the same rule differs by exactly 0; a rule better on every frame has an interval above 0', () => {
    const a = rows((f) => (f < 5 ? 0.5 : 0.05), () => true);
    const same = pairedBootstrap(a, a, 1e-2, { rounds: 200 });
    expect(same).toMatchObject({ diff: 0, low: 0, high: 0, rounds: 200 });
    const b = rows(() => 0.5, () => true);
    const better = pairedBootstrap(a, b, 1e-2, { rounds: 200, seed: 7 });
    expect(better.diff).toBe(0.5);
    expect(better.low).toBeGreaterThan(0);
    expect(better.high).toBeLessThanOrEqual(1);
    // Deterministic: same seed, same interval.
    expect(pairedBootstrap(a, b, 1e-2, { rounds: 200, seed: 7 })).toEqual(better);
    // A wrong rank-1 never counts, whatever its score.
    expect(pairedBootstrap(a, rows(() => 0.5, () => false), 1e-2, { rounds: 50 }).diff).toBe(-0.5);
  });
});

describe('live-like detection assignment', () => {
  const face = (x: number, y: number, w: number) => ({ box: { x: x - w / 2, y: y - w / 2, width: w, height: w }, score: 0.9, landmarks: [] });
  it('takes the nearest detection of the right size, marks duplicates, leaves scene faces', () => {
    const pasted = [{ cx: 100, cy: 100, width: 32 }, { cx: 500, cy: 500, width: 64 }];
    const found = [
      face(104, 102, 30), // on paste 0
      face(100, 110, 34), // a second box on paste 0: duplicate
      face(500, 500, 200), // far too large for paste 1: a scene face around it? no: inside the footprint, near: duplicate
      face(900, 300, 40), // scene face
      face(530, 500, 60), // on paste 1 (30 px off, within 0.6 x 64)
    ];
    expect(assignDetections(found, pasted)).toEqual([0, -2, -2, -1, 1]);
  });
  it('a detection too far from a paste is a scene face', () => {
    expect(assignDetections([face(150, 100, 32)], [{ cx: 100, cy: 100, width: 32 }])).toEqual([-1]);
  });
});

describe('live-like set options', () => {
  it('rejects bad options with the parameter named', () => {
    expect(() => resolveLiveSetOptions({ widths: [] })).toThrow(/options\.widths/);
    expect(() => resolveLiveSetOptions({ widths: [32, 2] })).toThrow(/options\.widths\[1\]/);
    expect(() => resolveLiveSetOptions({ blur: [2, 1] })).toThrow(/options\.blur/);
    expect(() => resolveLiveSetOptions({ bogus: 1 } as never)).toThrow(/bogus/);
    expect(() => listScenes('/nonexistent/folder')).toThrow(/scenes/);
  });
});

describe.skipIf(!hasSharedData)('live-like set is deterministic (lfw-dev + scenes)', () => {
  it(hasSharedData ? 'same seed, same plan and frame bytes; another seed, another set' : SKIP_SHARED, async () => {
    const ds = await openDataset(sharedData('lfw-dev'));
    const scenes = listScenes(sharedData('scenes'));
    expect(existsSync(scenes[0]!)).toBe(true);
    const a = await buildLiveSet(ds, scenes, { maxFrames: 3 });
    const b = await buildLiveSet(ds, scenes, { maxFrames: 3 });
    const c = await buildLiveSet(ds, scenes, { maxFrames: 3, seed: 2 });
    expect(b.key).toBe(a.key);
    expect(b.frames).toEqual(a.frames);
    expect(c.key).not.toBe(a.key);
    // A subset is a prefix of the full set, with its key (so it shares the cache).
    const full0 = await buildLiveSet(ds, scenes);
    expect(full0.key).toBe(a.key);
    expect(full0.frames.slice(0, 3)).toEqual(a.frames);
    // cacheOnly reads the cache and computes nothing: an empty cache is a StateError naming what is missing.
    const tmp = mkdtempSync(path.join(tmpdir(), 'livefr-live-'));
    try {
      await expect(runLive(a, {}, { cacheDir: tmp, cacheOnly: true })).rejects.toMatchObject({ name: 'StateError', message: /enrol:0.*not cached/ });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    const h = (x: Buffer) => createHash('sha256').update(x).digest('hex');
    expect(h(await renderFrame(b, b.frames[1]!))).toBe(h(await renderFrame(a, a.frames[1]!)));
    // The full plan: 300 watchlist people, mated and non-mated pasted faces at 4 widths, balanced.
    const full = await buildLiveSet(ds, scenes);
    expect(full.watchlist).toHaveLength(300);
    const faces = full.frames.flatMap((f) => f.faces);
    for (const w of [32, 40, 48, 64]) {
      const m = faces.filter((f) => f.mated && f.width === w).length;
      expect(Math.abs(m - full.counts.matedPasted / 4)).toBeLessThanOrEqual(1);
    }
    // No watchlist person is ever a non-mated paste, and no enrolment image is a probe.
    const onList = new Set(full.watchlist.map((w) => w.person));
    expect(faces.every((f) => f.mated === onList.has(f.person))).toBe(true);
    const enrolled = new Set(full.watchlist.map((w) => w.image));
    expect(faces.some((f) => enrolled.has(f.image))).toBe(false);
  }, 60_000);
});
