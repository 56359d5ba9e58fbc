/**
 * Accuracy metrics for face verification (1:1) and open-set identification
 * (1:N). Pure TypeScript on plain score lists, so every figure can be checked
 * by hand.
 *
 * Conventions (used everywhere in livefr):
 * - A comparison is ACCEPTED (a match, an alert) when `score >= threshold`.
 * - Scores are float32 similarities. A threshold chosen from data is the
 *   smallest float32 strictly above the highest negative score that must be
 *   rejected, so ties are never split: all equal scores fall on the same side.
 * - A figure set at an error-rate target rests on the number of negatives
 *   (impostor pairs, non-mated probes). With n negatives and target rate r the
 *   threshold is fixed by about n*r negatives above it. livefr refuses (value
 *   null plus `refused` reason) any figure with n < minExpectedErrors / r,
 *   default minExpectedErrors = 3: the "rule of three" (with zero errors seen in
 *   n trials, the 95% upper bound on the rate is about 3/n, so fewer than 3/r
 *   trials cannot even show that the rate is below r).
 */
import { invalidType, outOfRange } from '../errors.js';
import { checkInteger, checkNumber, checkOptions } from '../validate.js';
import { clopperPearsonInterval, wilsonInterval, type Interval } from './stats.js';

export type Scores = ArrayLike<number>;

/** Default minimum expected number of errors at a target rate (rule of three). */
export const MIN_EXPECTED_ERRORS = 3;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The smallest float32 strictly greater than x (x itself need not be a float32). */
export function nextUp32(x: number): number {
  if (Number.isNaN(x) || x === Infinity) return x;
  if (x === -Infinity) return -3.4028234663852886e38;
  const f = Math.fround(x);
  if (f > x) return f;
  if (f === 0) return 1.401298464324817e-45;
  f32[0] = f;
  u32[0] = f > 0 ? u32[0]! + 1 : u32[0]! - 1;
  return f32[0]!;
}

/** Scores as a Float64Array; NaN is rejected, -Infinity (no face) is allowed. */
export function toScores(param: string, value: unknown): Float64Array {
  if (!Array.isArray(value) && !(ArrayBuffer.isView(value) && !(value instanceof DataView))) {
    throw invalidType(param, 'an array or typed array of scores', value);
  }
  const a = value as ArrayLike<unknown>;
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (typeof v !== 'number' || Number.isNaN(v) || v === Infinity) {
      throw outOfRange(`${param}[${i}]`, 'a finite score (or -Infinity for "no face")', v);
    }
    out[i] = v;
  }
  return out;
}

function sortedDesc(a: Float64Array): Float64Array {
  return Float64Array.from(a).sort().reverse();
}

/** Number of values in a descending array that are >= t (binary search). */
function countAtLeast(desc: Float64Array, t: number): number {
  let lo = 0;
  let hi = desc.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (desc[mid]! >= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface RocPoint {
  /** Accept when score >= threshold. */
  threshold: number;
  /** True accept rate (genuine scores >= threshold) = 1 - FNMR. */
  tar: number;
  /** False accept rate (impostor scores >= threshold). */
  far: number;
  trueAccepts: number;
  falseAccepts: number;
}

/**
 * Exact ROC: one point per distinct score value (descending thresholds),
 * starting at threshold +Infinity (nothing accepted). Equal scores cross
 * the threshold together, so ties make one diagonal step. Scores of
 * -Infinity (never accepted) get no point.
 */
export function roc(genuine: Scores, impostor: Scores): RocPoint[] {
  const g = sortedDesc(toScores('genuine', genuine));
  const im = sortedDesc(toScores('impostor', impostor));
  if (g.length === 0) throw outOfRange('genuine', 'at least one genuine score', genuine);
  if (im.length === 0) throw outOfRange('impostor', 'at least one impostor score', impostor);
  const points: RocPoint[] = [{ threshold: Infinity, tar: 0, far: 0, trueAccepts: 0, falseAccepts: 0 }];
  let i = 0;
  let j = 0;
  while (i < g.length || j < im.length) {
    const t = Math.max(i < g.length ? g[i]! : -Infinity, j < im.length ? im[j]! : -Infinity);
    // -Infinity marks "never accepted" (no face, wrong rank-1): no threshold accepts it.
    if (t === -Infinity) break;
    while (i < g.length && g[i]! >= t) i++;
    while (j < im.length && im[j]! >= t) j++;
    points.push({ threshold: t, tar: i / g.length, far: j / im.length, trueAccepts: i, falseAccepts: j });
  }
  return points;
}

export interface RateOperatingPoint {
  /** Accept when score >= threshold. */
  threshold: number;
  /** Negatives accepted at that threshold (<= floor(target * n); fewer with ties). */
  falseEvents: number;
  negatives: number;
  /** falseEvents / negatives. */
  rate: number;
}

/**
 * The lowest threshold whose false-event rate on `negatives` is at most
 * `target`: k = floor(target * n) negatives may be accepted, so the threshold
 * is the smallest float32 above the (k+1)-th highest negative score.
 */
export function thresholdForRate(negatives: Scores, target: number): RateOperatingPoint {
  const neg = sortedDesc(toScores('negatives', negatives));
  checkNumber('target', target, 0, 1);
  if (target <= 0 || target >= 1) throw outOfRange('target', 'a rate strictly between 0 and 1', target);
  if (neg.length === 0) throw outOfRange('negatives', 'at least one negative score', negatives);
  return thresholdForRateSorted(neg, target);
}

function thresholdForRateSorted(neg: Float64Array, target: number): RateOperatingPoint {
  const k = Math.floor(target * neg.length + 1e-9);
  if (k >= neg.length) return { threshold: -Infinity, falseEvents: neg.length, negatives: neg.length, rate: 1 };
  const threshold = nextUp32(neg[k]!);
  const falseEvents = countAtLeast(neg, threshold);
  return { threshold, falseEvents, negatives: neg.length, rate: falseEvents / neg.length };
}

/** Negatives a figure at `target` needs: ceil(minExpectedErrors / target). */
export function minNegativesFor(target: number, minExpectedErrors = MIN_EXPECTED_ERRORS): number {
  return Math.ceil(minExpectedErrors / target - 1e-9);
}

export interface RateFigure {
  /** Target false rate (FAR or FPIR). */
  target: number;
  /** null when refused. */
  threshold: number | null;
  /** Miss rate at the threshold (FNMR or FNIR); null when refused. */
  missRate: number | null;
  /** Clopper-Pearson 95% interval of missRate. */
  missRateInterval: Interval | null;
  /** False rate actually reached on the data (<= target). */
  achievedRate: number | null;
  negatives: number;
  falseEvents: number | null;
  positives: number;
  misses: number | null;
  /** Why the figure is refused (too few negatives), else null. */
  refused: string | null;
}

export interface FigureOptions {
  /** Default 3 (rule of three). */
  minExpectedErrors?: number;
  /** Names used in the refusal reason. */
  negativeName?: string;
  rateName?: string;
}

function figuresAt(pos: Float64Array, neg: Float64Array, targets: readonly number[], options: FigureOptions | undefined): RateFigure[] {
  const o = checkOptions('options', options, ['minExpectedErrors', 'negativeName', 'rateName']);
  const minErr = o.minExpectedErrors === undefined ? MIN_EXPECTED_ERRORS : checkNumber('options.minExpectedErrors', o.minExpectedErrors, 0);
  const negName = (o.negativeName as string | undefined) ?? 'negative scores';
  const rateName = (o.rateName as string | undefined) ?? 'rate';
  if (!Array.isArray(targets)) throw invalidType('targets', 'an array of rates', targets);
  const negDesc = sortedDesc(neg);
  const posDesc = sortedDesc(pos);
  return targets.map((target, i) => {
    checkNumber(`targets[${i}]`, target, 0, 1);
    if (target <= 0 || target >= 1) throw outOfRange(`targets[${i}]`, 'a rate strictly between 0 and 1', target);
    const need = minNegativesFor(target, minErr);
    const base = { target, negatives: negDesc.length, positives: posDesc.length };
    if (negDesc.length < need || negDesc.length === 0 || posDesc.length === 0) {
      return {
        ...base, threshold: null, missRate: null, missRateInterval: null, achievedRate: null, falseEvents: null, misses: null,
        refused: `${rateName} ${target} needs at least ${need} ${negName} (${minErr} / ${rateName}); the data has ${negDesc.length}`,
      };
    }
    const op = thresholdForRateSorted(negDesc, target);
    const misses = posDesc.length - countAtLeast(posDesc, op.threshold);
    return {
      ...base, threshold: op.threshold, missRate: misses / posDesc.length,
      missRateInterval: clopperPearsonInterval(misses, posDesc.length),
      achievedRate: op.rate, falseEvents: op.falseEvents, misses, refused: null,
    };
  });
}

export interface TarAtFar extends RateFigure {
  /** 1 - missRate; null when refused. */
  tar: number | null;
}

/** TAR (= 1 - FNMR) at each FAR target, threshold set on the impostor scores. */
export function tarAtFar(genuine: Scores, impostor: Scores, fars: readonly number[], options?: FigureOptions): TarAtFar[] {
  const g = toScores('genuine', genuine);
  const im = toScores('impostor', impostor);
  return figuresAt(g, im, fars, { negativeName: 'impostor scores', rateName: 'FAR', ...options }).map((f) => ({
    ...f,
    tar: f.missRate === null ? null : 1 - f.missRate,
  }));
}

/**
 * Open-set identification scores, one entry per search:
 * - `mated[i]`: the top-1 (rank-1) score of mated search i,
 * - `matedHit[i]`: whether that top-1 candidate is the probe's mate,
 * - `nonMated[j]`: the top-1 score of non-mated search j.
 * A search whose face was not detected has score -Infinity (never alerts).
 */
export interface OpenSetScores {
  mated: Scores;
  matedHit: ArrayLike<boolean | number>;
  nonMated: Scores;
}

/**
 * Mated scores that count as a correct alert at a threshold: a mated search
 * succeeds only when its mate is rank 1 AND the score reaches the threshold,
 * so a wrong rank-1 candidate is given -Infinity.
 */
export function effectiveMatedScores(s: OpenSetScores): Float64Array {
  const m = toScores('scores.mated', s.mated);
  const hit = s.matedHit;
  if (!hit || typeof hit !== 'object' || hit.length !== m.length) {
    throw outOfRange('scores.matedHit', `an array of ${m.length} booleans (one per mated search)`, hit);
  }
  for (let i = 0; i < m.length; i++) if (!hit[i]) m[i] = -Infinity;
  return m;
}

export interface FnirAtFpir extends RateFigure {
  fpir: number;
  fnir: number | null;
}

/**
 * FNIR at each FPIR target. The threshold is set on the non-mated top-1
 * scores (FPIR = fraction of non-mated searches with an alert); FNIR is the
 * fraction of mated searches whose mate is not rank 1 at or above it.
 */
export function fnirAtFpir(scores: OpenSetScores, fpirs: readonly number[], options?: FigureOptions): FnirAtFpir[] {
  const pos = effectiveMatedScores(scores);
  const neg = toScores('scores.nonMated', scores.nonMated);
  return figuresAt(pos, neg, fpirs, { negativeName: 'non-mated searches', rateName: 'FPIR', ...options }).map((f) => ({
    ...f,
    fpir: f.target,
    fnir: f.missRate,
  }));
}

/** FNIR and FPIR at a fixed threshold, with counts and 95% Clopper-Pearson intervals. */
export interface RatesAtThreshold {
  threshold: number;
  fnir: number;
  fnirInterval: Interval;
  misses: number;
  mated: number;
  fpir: number;
  fpirInterval: Interval;
  falseAlerts: number;
  nonMated: number;
}

export function ratesAtThreshold(scores: OpenSetScores, threshold: number): RatesAtThreshold {
  checkNumber('threshold', threshold);
  const pos = effectiveMatedScores(scores);
  const neg = toScores('scores.nonMated', scores.nonMated);
  let misses = 0;
  for (const v of pos) if (!(v >= threshold)) misses++;
  let falseAlerts = 0;
  for (const v of neg) if (v >= threshold) falseAlerts++;
  return {
    threshold,
    fnir: pos.length ? misses / pos.length : NaN,
    fnirInterval: clopperPearsonInterval(misses, pos.length),
    misses,
    mated: pos.length,
    fpir: neg.length ? falseAlerts / neg.length : NaN,
    fpirInterval: clopperPearsonInterval(falseAlerts, neg.length),
    falseAlerts,
    nonMated: neg.length,
  };
}

export interface Rank1 {
  rate: number;
  hits: number;
  searches: number;
  interval: Interval;
}

/** Closed-set rank-1 identification rate of the mated searches (no threshold). */
export function rank1(matedHit: ArrayLike<boolean | number>): Rank1 {
  if (!matedHit || typeof matedHit !== 'object' || typeof matedHit.length !== 'number') {
    throw invalidType('matedHit', 'an array of booleans', matedHit);
  }
  let hits = 0;
  for (let i = 0; i < matedHit.length; i++) if (matedHit[i]) hits++;
  const n = matedHit.length;
  return { rate: n ? hits / n : NaN, hits, searches: n, interval: clopperPearsonInterval(hits, n) };
}

export interface DetPoint {
  threshold: number;
  /** False positive rate (FAR / FPIR). */
  fpr: number;
  /** False negative rate (FNMR / FNIR). */
  fnr: number;
}

/**
 * DET curve: (false positive rate, false negative rate) at every distinct
 * threshold, from the ROC. `maxPoints` thins the curve for plotting while
 * keeping both ends.
 */
export function detCurve(positives: Scores, negatives: Scores, maxPoints = 0): DetPoint[] {
  const pts = roc(positives, negatives).map((p) => ({ threshold: p.threshold, fpr: p.far, fnr: 1 - p.tar }));
  checkInteger('maxPoints', maxPoints, 0);
  if (maxPoints < 2 || pts.length <= maxPoints) return pts;
  const out: DetPoint[] = [];
  const step = (pts.length - 1) / (maxPoints - 1);
  for (let i = 0; i < maxPoints; i++) out.push(pts[Math.round(i * step)]!);
  return out;
}

export interface FoldResult {
  fold: number;
  /** Chosen on the other folds (accept when score >= threshold). */
  threshold: number;
  accuracy: number;
  pairs: number;
  correct: number;
}

export interface KFoldResult {
  /** Mean of the per-fold accuracies. */
  accuracy: number;
  /** Sample standard deviation of the per-fold accuracies. */
  std: number;
  folds: FoldResult[];
}

/**
 * The threshold maximising accuracy (genuine >= t, impostor < t) on the
 * given pairs. Candidates are midpoints between consecutive distinct scores
 * and one value beyond each end; among equally good candidates the middle
 * one is taken.
 */
export function bestAccuracyThreshold(scores: Scores, genuine: ArrayLike<boolean | number>): { threshold: number; correct: number } {
  const s = toScores('scores', scores);
  if (s.length === 0) throw outOfRange('scores', 'at least one score', scores);
  const idx = Array.from(s.keys()).sort((a, b) => s[a]! - s[b]!);
  let genTotal = 0;
  for (let i = 0; i < s.length; i++) if (genuine[i]) genTotal++;
  // Threshold below every score: all accepted.
  let correct = genTotal;
  const cands: number[] = [s[idx[0]!]! === -Infinity ? -Infinity : s[idx[0]!]! - 1];
  const correctAt: number[] = [correct];
  for (let p = 0; p < idx.length; ) {
    const v = s[idx[p]!]!;
    while (p < idx.length && s[idx[p]!]! === v) {
      correct += genuine[idx[p]!] ? -1 : 1;
      p++;
    }
    cands.push(p < idx.length ? (v + s[idx[p]!]!) / 2 : nextUp32(v) + 1e-6);
    correctAt.push(correct);
  }
  let best = -1;
  for (const c of correctAt) if (c > best) best = c;
  const ties = correctAt.flatMap((c, i) => (c === best ? [i] : []));
  const pick = ties[Math.floor((ties.length - 1) / 2)]!;
  return { threshold: cands[pick]!, correct: best };
}

/**
 * k-fold verification accuracy, the standard LFW protocol: for each fold the
 * threshold is chosen on the other folds (bestAccuracyThreshold) and the
 * accuracy measured on the held-out fold.
 */
export function kFoldAccuracy(scores: Scores, genuine: ArrayLike<boolean | number>, fold: ArrayLike<number>): KFoldResult {
  const s = toScores('scores', scores);
  if (!genuine || genuine.length !== s.length) throw outOfRange('genuine', `${s.length} labels`, genuine);
  if (!fold || fold.length !== s.length) throw outOfRange('fold', `${s.length} fold indices`, fold);
  const ids = [...new Set(Array.from(fold))].sort((a, b) => a - b);
  if (ids.length < 2) throw outOfRange('fold', 'at least 2 distinct folds', ids.length);
  const folds = ids.map((f) => {
    const trainS: number[] = [];
    const trainG: boolean[] = [];
    for (let i = 0; i < s.length; i++) {
      if (fold[i] !== f) {
        trainS.push(s[i]!);
        trainG.push(Boolean(genuine[i]));
      }
    }
    const { threshold } = bestAccuracyThreshold(trainS, trainG);
    let pairs = 0;
    let correct = 0;
    for (let i = 0; i < s.length; i++) {
      if (fold[i] !== f) continue;
      pairs++;
      if ((s[i]! >= threshold) === Boolean(genuine[i])) correct++;
    }
    return { fold: f, threshold, accuracy: correct / pairs, pairs, correct };
  });
  const mean = folds.reduce((a, r) => a + r.accuracy, 0) / folds.length;
  const std = Math.sqrt(folds.reduce((a, r) => a + (r.accuracy - mean) ** 2, 0) / (folds.length - 1));
  return { accuracy: mean, std, folds };
}

/** Counts of values per bin over [lo, hi] (values outside are clamped into the end bins). */
export function histogram(values: Scores, bins: number, lo: number, hi: number): number[] {
  checkInteger('bins', bins, 1, 10000);
  const out = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    const b = Math.min(bins - 1, Math.max(0, Math.floor(((v - lo) / (hi - lo)) * bins)));
    out[b]!++;
  }
  return out;
}

export { wilsonInterval, clopperPearsonInterval };
export type { Interval };
