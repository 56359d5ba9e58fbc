/**
 * 1:1 verification on LFW-format pairs: k-fold accuracy (threshold chosen on
 * the other folds: the standard protocol), TAR at FAR targets and the ROC.
 *
 * Detection failures: a pair where either face was not found gets score -1
 * (the lowest cosine similarity), so it is rejected at every threshold above
 * -1: a genuine pair counts as a false reject, an impostor pair as a correct
 * reject. Their number is reported as `detectionFailures`, never dropped.
 * With a degradation, the second image of each pair is the degraded probe
 * and the first stays clean (the enrolment side). A pairs.txt with a single
 * fold is split into 5 interleaved folds (pair i in fold i mod 5).
 */
import { outOfRange } from '../errors.js';
import type { Dataset } from './dataset.js';
import type { Embeddings } from './embed.js';
import { detCurve, kFoldAccuracy, tarAtFar, type DetPoint, type FoldResult, type TarAtFar } from './metrics/index.js';

export const FAILURE_SCORE = -1;
const SPLIT_FOLDS = 5;

export interface VerifyResult {
  kind: 'verify';
  degradation: string;
  pairs: number;
  /** Mean of the per-fold accuracies (0..1). */
  accuracy: number;
  accuracyStd: number;
  folds: FoldResult[];
  tarAtFar: TarAtFar[];
  /** Pairs with a face not found (scored -1), and the images concerned. */
  detectionFailures: number;
  detectionFailureImages: number;
  det: DetPoint[];
  genuineMean: number;
  impostorMean: number;
  scores: { genuineScores: number[]; impostorScores: number[] };
}

export function dot(v: Float32Array, a: number, b: number, dim: number): number {
  let s = 0;
  const oa = a * dim;
  const ob = b * dim;
  for (let k = 0; k < dim; k++) s += v[oa + k]! * v[ob + k]!;
  return s;
}

export function dotAcross(va: Float32Array, a: number, vb: Float32Array, b: number, dim: number): number {
  let s = 0;
  const oa = a * dim;
  const ob = b * dim;
  for (let k = 0; k < dim; k++) s += va[oa + k]! * vb[ob + k]!;
  return s;
}

/**
 * Scores every pair of `ds.pairs`: `gallery` embeds the first image of each
 * pair, `probe` the second (the same object for a clean run).
 */
export function evaluateVerification(ds: Dataset, gallery: Embeddings, probe: Embeddings = gallery, fars: number[] = [1e-2, 1e-3]): VerifyResult {
  if (!ds.pairs || ds.pairs.length === 0) throw outOfRange('dataset', 'a data set with a pairs.txt', ds.root);
  const n = ds.pairs.length;
  const scores = new Float64Array(n);
  const genuine = new Uint8Array(n);
  const fold = new Int32Array(n);
  const singleFold = new Set(ds.pairs.map((p) => p.fold)).size < 2;
  let failures = 0;
  const failedImages = new Set<string>();
  ds.pairs.forEach((p, i) => {
    const ra = gallery.row.get(p.a);
    const rb = probe.row.get(p.b);
    if (ra === undefined || rb === undefined) throw outOfRange('probe', `embeddings of every pair image (missing ${ra === undefined ? p.a : p.b})`, undefined);
    genuine[i] = p.genuine ? 1 : 0;
    // A pairs.txt with one fold is split into 5 interleaved folds (pair i -> fold i mod 5).
    fold[i] = singleFold ? i % SPLIT_FOLDS : p.fold;
    if (!gallery.found[ra] || !probe.found[rb]) {
      failures++;
      if (!gallery.found[ra]) failedImages.add(p.a);
      if (!probe.found[rb]) failedImages.add(p.b);
      scores[i] = FAILURE_SCORE;
    } else scores[i] = Math.fround(dotAcross(gallery.vectors, ra, probe.vectors, rb, gallery.dim));
  });
  const k = kFoldAccuracy(scores, genuine, fold);
  const gen: number[] = [];
  const imp: number[] = [];
  scores.forEach((s, i) => (genuine[i] ? gen : imp).push(s));
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  return {
    kind: 'verify',
    degradation: probe.degradation,
    pairs: n,
    accuracy: k.accuracy,
    accuracyStd: k.std,
    folds: k.folds,
    tarAtFar: tarAtFar(gen, imp, fars),
    detectionFailures: failures,
    detectionFailureImages: failedImages.size,
    det: detCurve(gen, imp, 400),
    genuineMean: mean(gen),
    impostorMean: mean(imp),
    scores: { genuineScores: gen, impostorScores: imp },
  };
}
