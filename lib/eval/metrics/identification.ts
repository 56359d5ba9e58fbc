/**
 * Open-set identification (1:N): FNIR at FPIR, rates at a fixed
 * threshold with intervals, closed-set rank-1.
 */
import { invalidType, outOfRange } from '../../errors.js';
import { checkNumber } from '../../validate.js';
import { clopperPearsonInterval, type Interval } from '../stats.js';
import { figuresAt, type FigureOptions, type RateFigure } from './rates.js';
import { toScores, type Scores } from './scores.js';

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
