/**
 * The figures of the live-like protocol, from plain records (so every one
 * can be checked by hand; test/33.live-metrics.test.ts does):
 *
 * - pasted-face detection recall, per face width: pasted faces (mated and
 *   non-mated) with a detection on them / pasted faces;
 * - rank-1 per face width: mated pasted faces whose top-1 candidate is their
 *   mate / mated pasted faces (an undetected face is a miss);
 * - TPIR at FPIR (single frame): the threshold is set on the top-1 scores of
 *   the non-mated searches (every detected face that is not a pasted mated
 *   face: pasted passers-by, the crowd photos' own faces, false detections)
 *   so that at most floor(FPIR x n) of them alert (metrics.ts
 *   thresholdForRate); TPIR = mated pasted faces whose top-1 is the mate
 *   with a score at or above it / mated pasted faces. A figure resting on
 *   fewer than 3 / FPIR non-mated searches is refused (null with a reason),
 *   as everywhere in livefr.
 */
import { invalidType } from '../../errors.js';
import { clopperPearsonInterval, type Interval } from '../stats.js';
import { fnirAtFpir, MIN_EXPECTED_ERRORS } from '../metrics/index.js';

export interface PastedRecord {
  width: number;
  mated: boolean;
  detected: boolean;
}

export interface MatedRecord {
  width: number;
  /** Top-1 score; -Infinity when the face was not detected. */
  score: number;
  /** Top-1 candidate is the mate. */
  hit: boolean;
}

export interface LiveRecords {
  pasted: PastedRecord[];
  mated: MatedRecord[];
  /** Top-1 score of every non-mated search. */
  nonMated: ArrayLike<number>;
}

export interface RateByWidth {
  /** Face width, or 'all'. */
  width: number | 'all';
  count: number;
  of: number;
  rate: number;
  interval: Interval;
}

export interface TpirFigure {
  fpir: number;
  /** null when refused. */
  tpir: number | null;
  tpirInterval: Interval | null;
  threshold: number | null;
  /** Non-mated searches that alert at the threshold. */
  falseAlerts: number | null;
  nonMated: number;
  mated: number;
  refused: string | null;
  /** TPIR of the faces of each width at that threshold. */
  byWidth: RateByWidth[] | null;
}

export interface LiveFigures {
  recall: RateByWidth[];
  rank1: RateByWidth[];
  tpirAtFpir: TpirFigure[];
  searches: { mated: number; nonMated: number };
}

function byWidth<T extends { width: number }>(items: T[], ok: (t: T) => boolean): RateByWidth[] {
  const widths = [...new Set(items.map((i) => i.width))].sort((a, b) => a - b);
  const one = (width: number | 'all', sel: T[]): RateByWidth => {
    const count = sel.filter(ok).length;
    return { width, count, of: sel.length, rate: sel.length ? count / sel.length : NaN, interval: clopperPearsonInterval(count, sel.length) };
  };
  return [...widths.map((w) => one(w, items.filter((i) => i.width === w))), one('all', items)];
}

/** The protocol's figures (see the module comment). */
export function liveFigures(records: LiveRecords, fpirs: readonly number[] = [1e-2, 1e-3, 1e-4], minExpectedErrors = MIN_EXPECTED_ERRORS): LiveFigures {
  if (!records || !Array.isArray(records.pasted) || !Array.isArray(records.mated)) throw invalidType('records', '{ pasted, mated, nonMated }', records);
  const { pasted, mated } = records;
  const nonMated = Array.from(records.nonMated);
  const recall = byWidth(pasted, (p) => p.detected);
  const rank1 = byWidth(mated, (m) => m.hit);
  const figs = fnirAtFpir({ mated: mated.map((m) => m.score), matedHit: mated.map((m) => m.hit), nonMated }, fpirs, { minExpectedErrors });
  const tpirAtFpir = figs.map((f): TpirFigure => {
    const t = f.threshold;
    return {
      fpir: f.fpir,
      tpir: f.fnir === null ? null : 1 - f.fnir,
      tpirInterval: f.missRateInterval ? { ...f.missRateInterval, low: 1 - f.missRateInterval.high, high: 1 - f.missRateInterval.low } : null,
      threshold: t,
      falseAlerts: f.falseEvents,
      nonMated: nonMated.length,
      mated: mated.length,
      refused: f.refused,
      byWidth: t === null ? null : byWidth(mated, (m) => m.hit && m.score >= t),
    };
  });
  return { recall, rank1, tpirAtFpir, searches: { mated: mated.length, nonMated: nonMated.length } };
}
