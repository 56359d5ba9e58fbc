// Hand-computed cases for the evaluation metrics (lib/eval/metrics.ts,
// lib/eval/stats.ts, lib/eval/demographics.ts). Runs everywhere: no models, no data.
import { describe, expect, it } from 'vitest';
import {
  bestAccuracyThreshold,
  clopperPearsonInterval,
  detCurve,
  fnirAtFpir,
  kFoldAccuracy,
  nextUp32,
  rank1,
  ratesAtThreshold,
  roc,
  tarAtFar,
  thresholdForRate,
  wilsonInterval,
} from '../dist/eval/metrics/index.js';
import { groupDifferentials } from '../dist/eval/demographics.js';

describe('nextUp32', () => {
  it('is the next float32 above a value', () => {
    expect(nextUp32(1)).toBe(1 + 2 ** -23);
    expect(nextUp32(-1)).toBe(-1 + 2 ** -24);
    expect(nextUp32(0)).toBeGreaterThan(0);
    expect(nextUp32(0.7)).toBe(Math.fround(0.7000000476837158));
    expect(nextUp32(-Infinity)).toBeLessThan(-1e38);
  });
});

describe('roc', () => {
  // genuine 0.9 0.8 0.8 0.3; impostor 0.8 0.5 0.1 0.1; accept when score >= t.
  const g = [0.9, 0.8, 0.8, 0.3];
  const im = [0.8, 0.5, 0.1, 0.1];
  it('has one point per distinct score, ties crossing together', () => {
    const pts = roc(g, im).map((p) => [p.threshold, p.tar, p.far]);
    expect(pts).toEqual([
      [Infinity, 0, 0],
      [0.9, 0.25, 0],
      [0.8, 0.75, 0.25],
      [0.5, 0.75, 0.5],
      [0.3, 1, 0.5],
      [0.1, 1, 1],
    ]);
  });
  it('DET points are (FAR, 1 - TAR) and thinning keeps both ends', () => {
    const det = detCurve(g, im);
    expect(det[2]).toEqual({ threshold: 0.8, fpr: 0.25, fnr: 0.25 });
    const thin = detCurve(g, im, 3);
    expect(thin).toHaveLength(3);
    expect(thin[0]!.threshold).toBe(Infinity);
    expect(thin[2]!.threshold).toBe(0.1);
  });
  it('rejects NaN naming the index and empty lists', () => {
    expect(() => roc([0.1, NaN], im)).toThrow(expect.objectContaining({ name: 'RangeError', message: expect.stringMatching(/genuine\[1\]/) }));
    expect(() => roc([], im)).toThrow(/genuine/);
    expect(() => roc('x' as never, im)).toThrow(expect.objectContaining({ name: 'TypeError' }));
  });
});

describe('thresholdForRate', () => {
  it('lets floor(target*n) negatives through', () => {
    const neg = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0];
    const op = thresholdForRate(neg, 0.2);
    expect(op.threshold).toBe(nextUp32(0.7));
    expect(op.falseEvents).toBe(2);
    expect(op.rate).toBe(0.2);
  });
  it('never splits ties: fewer events when the boundary is tied', () => {
    const op = thresholdForRate([0.9, 0.8, 0.8, 0.1], 0.5);
    expect(op.falseEvents).toBe(1);
    expect(op.rate).toBe(0.25);
  });
  it('rejects a target outside (0, 1)', () => {
    expect(() => thresholdForRate([0.1], 0)).toThrow(/target/);
    expect(() => thresholdForRate([0.1], 1)).toThrow(/target/);
  });
});

describe('tarAtFar', () => {
  const genuine = [0.95, 0.85, 0.75, 0.65];
  const impostor = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0];
  it('sets the threshold on impostors and counts genuine accepts', () => {
    // FAR 0.2 on 10 impostors rests on 2 expected errors: allowed here with minExpectedErrors 2.
    const [a, b] = tarAtFar(genuine, impostor, [0.3, 0.2], { minExpectedErrors: 2 });
    expect(a).toMatchObject({ target: 0.3, tar: 1, falseEvents: 3, negatives: 10, achievedRate: 0.3, refused: null });
    expect(b).toMatchObject({ target: 0.2, tar: 0.75, falseEvents: 2, misses: 1, positives: 4 });
    expect(b!.threshold).toBe(nextUp32(0.7));
    // Clopper-Pearson interval of the miss rate 1/4
    expect(b!.missRateInterval!.low).toBeCloseTo(0.006309, 5);
    expect(b!.missRateInterval!.high).toBeCloseTo(0.805880, 5);
  });
  it('refuses a figure resting on too few impostors (rule of three), with the reason', () => {
    const [c] = tarAtFar(genuine, impostor, [0.1]);
    expect(c!.tar).toBeNull();
    expect(c!.threshold).toBeNull();
    expect(c!.refused).toMatch(/FAR 0\.1 needs at least 30 impostor scores.*has 10/);
    const [d] = tarAtFar(genuine, impostor, [0.1], { minExpectedErrors: 1 });
    expect(d!.tar).toBe(0.5);
  });
});

describe('open-set FNIR at FPIR, rank-1', () => {
  // Mated top-1 scores; the 4th search's top candidate is not its mate.
  const scores = { mated: [0.9, 0.8, 0.7, 0.95], matedHit: [1, 1, 1, 0], nonMated: [0.85, 0.6, 0.5, 0.4, 0.3, 0.2] };
  it('counts a wrong rank-1 candidate as a miss at every threshold', () => {
    const [a, b, c] = fnirAtFpir(scores, [0.5, 0.2, 0.1], { minExpectedErrors: 1 });
    expect(a).toMatchObject({ fpir: 0.5, fnir: 0.25, falseEvents: 3, achievedRate: 0.5 });
    expect(a!.threshold).toBe(nextUp32(0.4));
    expect(b).toMatchObject({ fpir: 0.2, fnir: 0.25, falseEvents: 1 });
    expect(c!.fnir).toBeNull();
    expect(c!.refused).toMatch(/FPIR 0\.1 needs at least 10 non-mated searches/);
  });
  it('rates at a fixed threshold, with counts', () => {
    const r = ratesAtThreshold(scores, 0.75);
    expect(r).toMatchObject({ fnir: 0.5, misses: 2, mated: 4, fpir: 1 / 6, falseAlerts: 1, nonMated: 6 });
  });
  it('rank-1 ignores the threshold', () => {
    expect(rank1(scores.matedHit)).toMatchObject({ rate: 0.75, hits: 3, searches: 4 });
  });
  it('needs one hit flag per mated search', () => {
    expect(() => fnirAtFpir({ ...scores, matedHit: [1] }, [0.5])).toThrow(/matedHit/);
  });
  it('treats -Infinity (face not detected) as never alerting', () => {
    const r = ratesAtThreshold({ mated: [-Infinity, 0.9], matedHit: [1, 1], nonMated: [-Infinity, 0.1] }, -0.5);
    expect(r.fnir).toBe(0.5);
    expect(r.fpir).toBe(0.5);
  });
});

describe('k-fold accuracy', () => {
  // fold 0: genuine 0.9 0.7, impostor 0.4 0.6; fold 1: genuine 0.8 0.5, impostor 0.3 0.55.
  const s = [0.9, 0.7, 0.4, 0.6, 0.8, 0.5, 0.3, 0.55];
  const gen = [1, 1, 0, 0, 1, 1, 0, 0];
  const fold = [0, 0, 0, 0, 1, 1, 1, 1];
  it('chooses the threshold on the other folds', () => {
    // Train on fold 1: candidates 0.4 and 0.675 both give 3/4; the middle (first of two) is 0.4.
    // Test fold 0 at 0.4: 0.9, 0.7 accepted; 0.4 and 0.6 wrongly accepted -> 2/4.
    // Train on fold 0: best 0.65 (4/4). Test fold 1: 0.8 ok, 0.5 missed, 0.3 and 0.55 ok -> 3/4.
    const r = kFoldAccuracy(s, gen, fold);
    expect(r.folds.map((f) => [f.fold, f.accuracy])).toEqual([
      [0, 0.5],
      [1, 0.75],
    ]);
    expect(r.folds[0]!.threshold).toBeCloseTo(0.4, 12);
    expect(r.folds[1]!.threshold).toBeCloseTo(0.65, 12);
    expect(r.accuracy).toBeCloseTo(0.625, 12);
    expect(r.std).toBeCloseTo(0.1767767, 6);
  });
  it('best threshold on separable data gives all correct', () => {
    expect(bestAccuracyThreshold([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toEqual({ threshold: 0.5, correct: 4 });
  });
  it('needs two folds and matching lengths', () => {
    expect(() => kFoldAccuracy(s, gen, [0, 0, 0, 0, 0, 0, 0, 0])).toThrow(/fold/);
    expect(() => kFoldAccuracy(s, [1], fold)).toThrow(/genuine/);
  });
});

describe('confidence intervals', () => {
  it('Wilson 5/10', () => {
    const w = wilsonInterval(5, 10);
    expect(w.low).toBeCloseTo(0.236593, 5);
    expect(w.high).toBeCloseTo(0.763407, 5);
  });
  it('Clopper-Pearson 5/10, 0/10 and 10/10', () => {
    const c = clopperPearsonInterval(5, 10);
    expect(c.low).toBeCloseTo(0.187086, 5);
    expect(c.high).toBeCloseTo(0.812914, 5);
    expect(clopperPearsonInterval(0, 10).high).toBeCloseTo(1 - 0.025 ** (1 / 10), 6);
    expect(clopperPearsonInterval(0, 10).low).toBe(0);
    expect(clopperPearsonInterval(10, 10).high).toBe(1);
  });
  it('rejects k > n naming k', () => {
    expect(() => wilsonInterval(11, 10)).toThrow(expect.objectContaining({ name: 'RangeError', message: expect.stringMatching(/\bk\b/) }));
  });
});

describe('demographic differentials', () => {
  it('per-group FNIR/FPIR at one threshold and worst/best ratios', () => {
    const d = groupDifferentials(
      [
        { group: 'A', matedScore: 0.9, matedHit: true },
        { group: 'A', matedScore: 0.4, matedHit: true },
        { group: 'B', matedScore: 0.9, matedHit: true },
        { group: 'B', matedScore: 0.8, matedHit: false },
      ],
      [
        { group: 'A', score: 0.6 },
        { group: 'A', score: 0.1 },
        { group: 'B', score: 0.2 },
        { group: 'B', score: 0.3 },
      ],
      0.5,
    );
    const a = d.groups.find((g) => g.group === 'A')!;
    const b = d.groups.find((g) => g.group === 'B')!;
    expect(a).toMatchObject({ mated: 2, misses: 1, fnir: 0.5, nonMated: 2, falseAlerts: 1, fpir: 0.5 });
    expect(b).toMatchObject({ mated: 2, misses: 1, fnir: 0.5, nonMated: 2, falseAlerts: 0, fpir: 0 });
    expect(d.fnirRatio).toBe(1);
    // best FPIR is 0: ratio is Infinity (reported as such, not hidden)
    expect(d.fpirRatio).toBe(Infinity);
    expect(d.threshold).toBe(0.5);
  });
});

describe('eval / calibrate CLI: bad input gives a usage error naming the flag, never a crash', () => {
  const cli = new URL('../dist/cli/main.js', import.meta.url).pathname;
  async function run(args: string[]): Promise<{ code: number; stderr: string }> {
    const { execFile } = await import('node:child_process');
    return new Promise((resolve) => {
      execFile(process.execPath, [cli, ...args], (err, _stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }));
    });
  }
  it('eval without --data, with a bad --degrade, an unknown subcommand; calibrate without a target', async () => {
    const a = await run(['eval', 'verify']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--data/);
    const b = await run(['eval', 'identify', '--data', '/nonexistent-livefr', '--degrade', 'size=abc']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--degrade\[0\]/);
    const c = await run(['eval', 'frobnicate']);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/verify or identify/);
    const d = await run(['calibrate', '--watchlist-size', '10', '--scores', '/x.json']);
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/--target-fpir/);
    const e = await run(['calibrate', '--target-fpir', '0.01', '--watchlist-size', '10', '--scores', '/nonexistent-livefr.json']);
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/Cannot read/);
  });
});

describe('degradation specs', () => {
  it('parses terms and rejects bad ones naming the key', async () => {
    const { parseDegradation, degradationLabel } = await import('../dist/eval/degrade.js');
    expect(parseDegradation('size=32+jpeg=30')).toEqual({ size: 32, jpeg: 30 });
    expect(degradationLabel(parseDegradation('jpeg=30+blur=1.5'))).toBe('blur=1.5+jpeg=30');
    expect(() => parseDegradation('size=2')).toThrow(expect.objectContaining({ name: 'RangeError', message: expect.stringMatching(/degrade\.size/) }));
    expect(() => parseDegradation('zoom=2')).toThrow(/degrade/);
    expect(() => parseDegradation('size=32+scene=32')).toThrow(/at most one/);
  });
});

describe('roc with never-accepted searches', () => {
  it('gives no point at threshold -Infinity', () => {
    const pts = roc([0.9, -Infinity], [0.5, -Infinity]);
    expect(pts.map((p) => [p.threshold, p.tar, p.far])).toEqual([
      [Infinity, 0, 0],
      [0.9, 0.5, 0],
      [0.5, 0.5, 0.5],
    ]);
  });
});

describe('data sets and API arguments', () => {
  it('parses LFW pairs (1-based numbers, folds) and names the bad line', async () => {
    const { parsePairs } = await import('../dist/eval/dataset.js');
    const people = new Map([
      ['A', { id: 'A', images: ['/d/A/A_0001.jpg', '/d/A/A_0002.jpg'] }],
      ['B', { id: 'B', images: ['/d/B/x.png'] }],
    ]);
    const { pairs, folds } = parsePairs('2 1\nA 1 2\nA 1 B 1\nA 2 1\nB 1 A 2\n', people);
    expect(folds).toBe(2);
    expect(pairs.map((p) => [p.genuine, p.fold, p.a, p.b])).toEqual([
      [true, 0, '/d/A/A_0001.jpg', '/d/A/A_0002.jpg'],
      [false, 0, '/d/A/A_0001.jpg', '/d/B/x.png'],
      [true, 1, '/d/A/A_0002.jpg', '/d/A/A_0001.jpg'],
      [false, 1, '/d/B/x.png', '/d/A/A_0002.jpg'],
    ]);
    expect(() => parsePairs('1 1\nA 1 3\nA 1 B 1\n', people)).toThrow(/line 2: A has no image number 3/);
    expect(() => parsePairs('1 1\nA 1 2\nA 1 C 1\n', people)).toThrow(/line 3: no folder images\/C/);
    expect(() => parsePairs('1 2\nA 1 2\n', people)).toThrow(/expected 1 folds x 4 pairs/);
  });
  it('the evaluation API rejects unknown options and bad data sets naming the parameter', async () => {
    const { runIdentify, embedDataset, openDataset, parseGroups } = await import('../dist/eval/index.js');
    await expect(runIdentify({ people: [] } as never, {}, { bogus: 1 } as never)).rejects.toThrow(/options\.bogus/);
    await expect(embedDataset({} as never, {})).rejects.toMatchObject({ name: 'TypeError', message: expect.stringMatching(/\bds\b/) });
    await expect(openDataset('/nonexistent-livefr')).rejects.toMatchObject({ name: 'RangeError', message: expect.stringMatching(/for dir/) });
    expect(parseGroups('id,group\nA,x\nB, y\n')).toEqual(new Map([['A', 'x'], ['B', 'y']]));
    expect(() => parseGroups('A\n', 'g.csv')).toThrow(/g\.csv line 1/);
  });
});
