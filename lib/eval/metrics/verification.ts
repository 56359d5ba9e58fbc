/**
 * 1:1 verification: TAR at FAR, and k-fold accuracy with the threshold
 * chosen on the other folds (the LFW protocol).
 */
import { outOfRange } from '../../errors.js';
import { figuresAt, type FigureOptions, type RateFigure } from './rates.js';
import { nextUp32, toScores, type Scores } from './scores.js';

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
