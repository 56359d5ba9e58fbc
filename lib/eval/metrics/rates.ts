/**
 * Error rates at a target: the threshold that keeps false events at or
 * below a rate on the negatives, and figures refused when the negatives
 * are too few for the target (the rule of three). Shared by verification
 * (TAR at FAR) and identification (FNIR at FPIR).
 */
import { invalidType, outOfRange } from '../../errors.js';
import { checkNumber, checkOptions } from '../../validate.js';
import { clopperPearsonInterval, type Interval } from '../stats.js';
import { countAtLeast, MIN_EXPECTED_ERRORS, nextUp32, sortedDesc, toScores, type Scores } from './scores.js';

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

export function thresholdForRateSorted(neg: Float64Array, target: number): RateOperatingPoint {
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

export function figuresAt(pos: Float64Array, neg: Float64Array, targets: readonly number[], options: FigureOptions | undefined): RateFigure[] {
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
