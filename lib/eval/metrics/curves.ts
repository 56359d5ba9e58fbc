/**
 * Curves over every threshold: the exact ROC and the DET curve drawn from it.
 */
import { outOfRange } from '../../errors.js';
import { checkInteger } from '../../validate.js';
import { sortedDesc, toScores, type Scores } from './scores.js';

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
