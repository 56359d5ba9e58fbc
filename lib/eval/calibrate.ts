/**
 * Threshold calibration to a false-alert target.
 *
 * A watchlist of N identities compares every search with N templates. If a
 * single impostor comparison scores above the threshold with probability FMR
 * (the per-comparison false match rate), and comparisons are independent, a
 * search of someone NOT on the watchlist raises a false alert with
 * probability
 *
 *     FPIR = 1 - (1 - FMR)^N        (about N * FMR when small)
 *
 * so a bigger watchlist needs a lower FMR, i.e. a higher threshold, for the
 * same false-alert rate. Two ways to calibrate:
 *
 * - `method: 'per-comparison'` (from `impostorScores`, 1:1 impostor scores,
 *   e.g. every cross-identity pair of a data set): the threshold is set at
 *   FMR = 1 - (1 - targetFPIR)^(1/N) on those scores. Needs many scores
 *   (FPIR 1e-3 at N = 1000 means FMR 1e-6: millions of impostor pairs).
 * - `method: 'open-set'` (from `nonMatedScores`, the top-1 scores of
 *   non-mated searches against a watchlist of exactly `watchlistSize`
 *   identities, e.g. an `eval identify` run): the threshold is set directly
 *   at the target FPIR. No independence assumption.
 *
 * The threshold is the lowest float32 threshold whose empirical rate is at
 * most the target (see lib/eval/metrics.ts). Its uncertainty is reported two
 * ways, both at the stated confidence (default 95%):
 * - `fpirInterval`: Clopper-Pearson interval of the false-alert rate at the
 *   chosen threshold (from k of n scores above it), mapped through the
 *   relation above for the per-comparison method;
 * - `thresholdInterval`: a distribution-free interval for the ideal
 *   threshold (the quantile), from binomial order statistics (the upper end
 *   is Infinity when the data cannot bound it).
 * A calibration needs at least minExpectedErrors / rate scores (rule of
 * three by default) and refuses with a RangeError otherwise.
 */
import { FileFormatError, invalidType, outOfRange } from '../errors.js';
import { MIN_EXPECTED_ERRORS, nextUp32, toScores } from './metrics/index.js';
import { betaRegularized, clopperPearsonInterval } from './stats.js';
import { checkBoolean, checkInteger, checkNumber, checkOptions, isPlainObject } from '../validate.js';

/** Per-search false-alert rate from the per-comparison false match rate (independent comparisons). */
export function fpirFromFmr(fmr: number, comparisons: number): number {
  checkNumber('fmr', fmr, 0, 1);
  checkInteger('comparisons', comparisons, 1);
  if (fmr === 1) return 1;
  return -Math.expm1(comparisons * Math.log1p(-fmr));
}

/** Per-comparison false match rate needed for a per-search false-alert rate (inverse of fpirFromFmr). */
export function fmrFromFpir(fpir: number, comparisons: number): number {
  checkNumber('fpir', fpir, 0, 1);
  checkInteger('comparisons', comparisons, 1);
  if (fpir === 1) return 1;
  return -Math.expm1(Math.log1p(-fpir) / comparisons);
}

export type CalibrationMethod = 'per-comparison' | 'open-set';

export interface Calibration {
  /** Alert when score >= threshold. */
  threshold: number;
  targetFPIR: number;
  watchlistSize: number;
  method: CalibrationMethod;
  /** Comparisons per search assumed by the relation (watchlistSize x templatesPerIdentity); 1 for open-set. */
  comparisons: number;
  /** Rate the threshold was set at on the scores: FMR for per-comparison, FPIR for open-set. */
  targetRate: number;
  /** Scores the threshold rests on, and how many of them reach it. */
  samples: number;
  tailCount: number;
  /** Estimated FPIR at the threshold (<= target), with its interval. */
  expectedFPIR: number;
  fpirInterval: [number, number];
  /** Interval for the ideal threshold at the target (order statistics). */
  thresholdInterval: [number, number];
  confidence: number;
}

/** The parts of an `eval` result calibration can use. */
export interface CalibrationSource {
  impostorScores?: ArrayLike<number>;
  nonMatedScores?: ArrayLike<number>;
  /** Watchlist size the nonMatedScores were measured at. */
  watchlistSize?: number;
}

export interface CalibrateOptions {
  /** 1:1 impostor comparison scores (per-comparison method). */
  impostorScores?: ArrayLike<number>;
  /** Top-1 scores of non-mated searches at `watchlistSize` (open-set method). */
  nonMatedScores?: ArrayLike<number>;
  /** An evaluation result carrying impostorScores and/or nonMatedScores. */
  evalResult?: CalibrationSource;
  targetFPIR: number;
  watchlistSize: number;
  /** Templates per identity on the watchlist (default 1): comparisons per search = N x this. */
  templatesPerIdentity?: number;
  confidence?: number;
  minExpectedErrors?: number;
}

const KEYS = ['impostorScores', 'nonMatedScores', 'evalResult', 'targetFPIR', 'watchlistSize', 'templatesPerIdentity', 'confidence', 'minExpectedErrors'] as const;

/** Smallest k with P(X <= k) >= q for X ~ Binomial(n, p). */
function binomialQuantile(q: number, n: number, p: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    // P(X <= mid) = I_{1-p}(n - mid, mid + 1)
    const cdf = mid >= n ? 1 : betaRegularized(1 - p, n - mid, mid + 1);
    if (cdf >= q) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function pickScores(o: Partial<Record<(typeof KEYS)[number], unknown>>, watchlistSize: number): { scores: Float64Array; method: CalibrationMethod; param: string } {
  let imp = o.impostorScores;
  let non = o.nonMatedScores;
  let nonParam = 'options.nonMatedScores';
  if (o.evalResult !== undefined) {
    if (!isPlainObject(o.evalResult)) throw invalidType('options.evalResult', 'an eval result object', o.evalResult);
    const r = o.evalResult as CalibrationSource;
    imp ??= r.impostorScores;
    if (non === undefined && r.nonMatedScores !== undefined) {
      if (r.watchlistSize !== watchlistSize) {
        // Open-set scores only calibrate the size they were measured at.
        if (imp === undefined) {
          throw outOfRange('options.watchlistSize', `the watchlist size the evalResult was measured at (${r.watchlistSize}) or an evalResult with impostorScores`, watchlistSize);
        }
      } else {
        non = r.nonMatedScores;
        nonParam = 'options.evalResult.nonMatedScores';
      }
    }
  }
  if (non !== undefined) return { scores: toScores(nonParam, non), method: 'open-set', param: nonParam };
  if (imp !== undefined) return { scores: toScores('options.impostorScores', imp), method: 'per-comparison', param: 'options.impostorScores' };
  throw invalidType('options', 'an object with impostorScores, nonMatedScores or evalResult', undefined);
}

/**
 * The threshold meeting a false-alert target (FPIR) for a watchlist size,
 * with confidence intervals. See the module comment for the method.
 */
export function calibrate(options: CalibrateOptions): Calibration {
  const o = checkOptions('options', options, KEYS);
  if (options === undefined) throw invalidType('options', 'an options object', options);
  const targetFPIR = checkNumber('options.targetFPIR', o.targetFPIR, 0, 1);
  if (targetFPIR <= 0 || targetFPIR >= 1) throw outOfRange('options.targetFPIR', 'a rate strictly between 0 and 1', targetFPIR);
  const watchlistSize = checkInteger('options.watchlistSize', o.watchlistSize, 1);
  const tpi = o.templatesPerIdentity === undefined ? 1 : checkInteger('options.templatesPerIdentity', o.templatesPerIdentity, 1);
  const confidence = o.confidence === undefined ? 0.95 : checkNumber('options.confidence', o.confidence, 0.5, 0.9999);
  const minErr = o.minExpectedErrors === undefined ? MIN_EXPECTED_ERRORS : checkNumber('options.minExpectedErrors', o.minExpectedErrors, 0);
  const { scores, method, param } = pickScores(o, watchlistSize);
  const comparisons = method === 'open-set' ? 1 : watchlistSize * tpi;
  const rate = method === 'open-set' ? targetFPIR : fmrFromFpir(targetFPIR, comparisons);
  const n = scores.length;
  const need = Math.ceil(minErr / rate - 1e-9);
  if (n < need) {
    throw outOfRange(param, `at least ${need} scores to calibrate ${method === 'open-set' ? 'FPIR' : 'FMR'} ${rate.toExponential(2)} (${minErr} / rate)`, scores);
  }
  const desc = Float64Array.from(scores).sort().reverse();
  const k = Math.floor(rate * n + 1e-9);
  const threshold = k >= n ? -Infinity : nextUp32(desc[k]!);
  let tail = 0;
  while (tail < n && desc[tail]! >= threshold) tail++;
  const toFpir = (r: number) => (method === 'open-set' ? r : fpirFromFmr(r, comparisons));
  const ci = clopperPearsonInterval(tail, n, confidence);
  // Ranks bracketing the ideal quantile: the count above it is Binomial(n, rate).
  const alpha = 1 - confidence;
  const kLow = binomialQuantile(alpha / 2, n, rate);
  const kHigh = Math.min(n - 1, binomialQuantile(1 - alpha / 2, n, rate));
  // kLow = 0: the data cannot bound the threshold from above (Infinity).
  const thrHigh = kLow === 0 ? Infinity : nextUp32(desc[kLow - 1]!);
  const thrLow = desc[kHigh]!;
  return {
    threshold,
    targetFPIR,
    watchlistSize,
    method,
    comparisons,
    targetRate: rate,
    samples: n,
    tailCount: tail,
    expectedFPIR: toFpir(tail / n),
    fpirInterval: [toFpir(ci.low), toFpir(ci.high)],
    thresholdInterval: [Math.min(thrLow, threshold), Math.max(thrHigh, threshold)],
    confidence,
  };
}

/**
 * The interval a FPIR measured on `searches` new non-mated searches at the
 * calibrated threshold should fall in: the calibration's own uncertainty
 * (fpirInterval) widened by the binomial noise of a finite test, each side
 * at half the remaining error budget. Use it to check a calibration on
 * held-apart data.
 */
export function fpirPredictionInterval(calibration: Calibration, searches: number): [number, number] {
  if (!isPlainObject(calibration) || !Array.isArray(calibration.fpirInterval)) {
    throw invalidType('calibration', 'a Calibration returned by calibrate()', calibration);
  }
  const m = checkInteger('searches', searches, 1);
  const alpha = 1 - calibration.confidence;
  const [lo, hi] = calibration.fpirInterval;
  const low = lo <= 0 ? 0 : binomialQuantile(alpha / 4, m, lo) / m;
  const high = hi >= 1 ? 1 : binomialQuantile(1 - alpha / 4, m, hi) / m;
  return [low, high];
}

/** What `Watchlist.setThreshold` needs; structural so calibrate.ts does not load FAISS. */
export interface ThresholdTarget {
  setThreshold(threshold: number, options?: { calibration?: unknown; force?: boolean }): unknown;
}

/**
 * Applies a calibration to a watchlist: `setThreshold(threshold, {calibration})`.
 * The watchlist refuses a threshold below a calibrated one unless `force`.
 */
export function applyCalibration(watchlist: ThresholdTarget, calibration: Calibration, options?: { force?: boolean }): unknown {
  if (!watchlist || typeof (watchlist as ThresholdTarget).setThreshold !== 'function') {
    throw invalidType('watchlist', 'a Watchlist', watchlist);
  }
  if (!isPlainObject(calibration) || typeof calibration.threshold !== 'number') {
    throw invalidType('calibration', 'a Calibration returned by calibrate()', calibration);
  }
  const o = checkOptions('options', options, ['force']);
  const force = o.force === undefined ? false : checkBoolean('options.force', o.force);
  return watchlist.setThreshold(calibration.threshold, {
    calibration: {
      targetFPIR: calibration.targetFPIR,
      watchlistSize: calibration.watchlistSize,
      method: calibration.method,
      interval: calibration.thresholdInterval,
    },
    force,
  });
}

/** Reads scores from a JSON file: an array, or an object with impostorScores / nonMatedScores (an eval --json result). */
export function parseScoreFile(text: string, name: string): CalibrationSource {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new FileFormatError(`${name} is not JSON: ${(err as Error).message}`);
  }
  if (Array.isArray(v)) return { impostorScores: v as number[] };
  if (isPlainObject(v)) {
    const r = v as Record<string, unknown>;
    const src: CalibrationSource = {};
    const scores = (isPlainObject(r.scores) ? r.scores : r) as Record<string, unknown>;
    if (Array.isArray(scores.impostorScores)) src.impostorScores = scores.impostorScores as number[];
    if (Array.isArray(scores.nonMatedScores)) src.nonMatedScores = scores.nonMatedScores as number[];
    if (typeof r.watchlistSize === 'number') src.watchlistSize = r.watchlistSize;
    if (src.impostorScores || src.nonMatedScores) return src;
  }
  throw new FileFormatError(`${name}: expected a JSON array of scores or an object with impostorScores / nonMatedScores`);
}
