/**
 * Score rules around the models, measured on the live-like protocol
 * (scripts/tune-live.mjs; results in docs/models.md):
 *
 * - `tnorm`: test normalisation against a cohort, here the watchlist
 *   itself (known at deployment, no extra data): each face's scores against
 *   all templates are standardised, s' = (s - mean) / std, so a face that
 *   resembles everybody (blurred, small) stops out-scoring a clear match;
 * - `fuse`: the mean of two recognisers' (optionally T-normed) scores for
 *   the same detected faces;
 * - `crossValidatedTpir`: TPIR at an FPIR with the threshold(s) chosen on
 *   half the frames and counted on the other half (both halves, summed), so
 *   a rule with more thresholds (one per face-size bin) is compared fairly
 *   with one global threshold;
 * - `pairedBootstrap`: the 95% interval of the difference in TPIR at an
 *   FPIR between two rules on the same searches, resampling whole frames
 *   (the protocol's unit: a frame's faces share blur, JPEG and crowd), each
 *   rule's threshold re-set on every resample: the noise against which a
 *   tuning is kept or not.
 */
import { thresholdForRate, thresholdForRateSorted } from '../metrics/index.js';
import type { LiveRun } from './run.js';
import { seededRandom } from '../../util/random.js';

/** T-norm of a faces x templates score matrix (row-wise standardisation). */
export function tnorm(scores: Float32Array, templates: number): Float32Array {
  const out = new Float32Array(scores.length);
  const n = scores.length / templates;
  for (let i = 0; i < n; i++) {
    let m = 0;
    for (let j = 0; j < templates; j++) m += scores[i * templates + j]!;
    m /= templates;
    let v = 0;
    for (let j = 0; j < templates; j++) v += (scores[i * templates + j]! - m) ** 2;
    const sd = Math.sqrt(v / Math.max(1, templates - 1)) || 1;
    for (let j = 0; j < templates; j++) out[i * templates + j] = (scores[i * templates + j]! - m) / sd;
  }
  return out;
}

/** Mean of two score matrices of the same faces and templates. */
export function fuse(a: Float32Array, b: Float32Array, weight = 0.5): Float32Array {
  if (a.length !== b.length) throw new RangeError(`fuse: score matrices of ${a.length} and ${b.length} values`);
  return a.map((x, i) => weight * x + (1 - weight) * b[i]!);
}

export interface SearchRow {
  frame: number;
  mated: boolean;
  hit: boolean;
  score: number;
  /** Detected face width (px), for quality bins; NaN when undetected. */
  size: number;
}

/** One row per mated pasted face (detected or not) and per non-mated search. */
export function searchRows(run: LiveRun, top: { template: Int32Array; score: Float32Array }): SearchRow[] {
  const rows: SearchRow[] = [];
  const byPasted = new Map<string, number>();
  run.faces.forEach((f, i) => {
    if (f.pasted >= 0) byPasted.set(`${f.frame}:${f.pasted}`, i);
  });
  for (const fr of run.set.frames) {
    fr.faces.forEach((p, pi) => {
      if (!p.mated) return;
      const i = byPasted.get(`${fr.index}:${pi}`);
      if (i === undefined) rows.push({ frame: fr.index, mated: true, hit: false, score: -Infinity, size: NaN });
      else {
        const t = top.template[i]!;
        rows.push({ frame: fr.index, mated: true, hit: t >= 0 && run.templateIds[t] === p.person, score: top.score[i]!, size: run.faces[i]!.box.width });
      }
    });
  }
  run.faces.forEach((f, i) => {
    const mated = f.pasted >= 0 && run.set.frames[f.frame]!.faces[f.pasted]!.mated;
    if (!mated) rows.push({ frame: f.frame, mated: false, hit: false, score: top.score[i]!, size: f.box.width });
  });
  return rows;
}

/**
 * TPIR at `fpir` with thresholds chosen on the even frames and applied to
 * the odd ones and vice versa (counts summed). `bins` (ascending face-width
 * edges, e.g. [40]) gives one threshold per bin, each set at `fpir` on its
 * bin's non-mated searches; [] is one global threshold.
 */
export function crossValidatedTpir(rows: SearchRow[], fpir: number, bins: number[] = []): { tpir: number; hits: number; mated: number; falseAlerts: number; nonMated: number } {
  const binOf = (s: number) => (Number.isNaN(s) ? 0 : bins.filter((e) => s >= e).length);
  let hits = 0;
  let mated = 0;
  let falseAlerts = 0;
  let nonMated = 0;
  for (const fold of [0, 1]) {
    const train = rows.filter((r) => r.frame % 2 === fold);
    const test = rows.filter((r) => r.frame % 2 !== fold);
    const th: number[] = [];
    for (let b = 0; b <= bins.length; b++) {
      const neg = train.filter((r) => !r.mated && binOf(r.size) === b).map((r) => r.score);
      th.push(neg.length ? thresholdForRate(neg, fpir).threshold : Infinity);
    }
    for (const r of test) {
      const t = th[binOf(r.size)]!;
      if (r.mated) {
        mated++;
        if (r.hit && r.score >= t) hits++;
      } else {
        nonMated++;
        if (r.score >= t) falseAlerts++;
      }
    }
  }
  return { tpir: hits / mated, hits, mated, falseAlerts, nonMated };
}

/** TPIR at `fpir` with the threshold set on all the rows' non-mated scores (the protocol's rule). */
export function tpirAt(rows: SearchRow[], fpir: number): { tpir: number; hits: number; mated: number; threshold: number; falseAlerts: number; nonMated: number } {
  const neg = Float64Array.from(rows.filter((r) => !r.mated).map((r) => r.score)).sort().reverse();
  const op = thresholdForRateSorted(neg, fpir);
  const mated = rows.filter((r) => r.mated);
  const hits = mated.filter((r) => r.hit && r.score >= op.threshold).length;
  return { tpir: hits / mated.length, hits, mated: mated.length, threshold: op.threshold, falseAlerts: op.falseEvents, nonMated: neg.length };
}

export interface PairedDifference {
  /** TPIR of b minus TPIR of a on all frames. */
  diff: number;
  /** 2.5% and 97.5% percentiles of the resampled differences. */
  low: number;
  high: number;
  rounds: number;
}

/**
 * Difference in TPIR at `fpir` of rule b over rule a (rows of the same
 * searches: same set and detector), with a 95% percentile interval from
 * `rounds` resamples of whole frames with replacement (seeded).
 */
export function pairedBootstrap(a: SearchRow[], b: SearchRow[], fpir: number, options: { rounds?: number; seed?: number } = {}): PairedDifference {
  const rounds = options.rounds ?? 1000;
  const rand = seededRandom(options.seed ?? 1); // deterministic bootstrap
  const byFrame = (rows: SearchRow[]) => {
    const m = new Map<number, { hits: number[]; neg: number[]; mated: number }>();
    for (const r of rows) {
      let e = m.get(r.frame);
      if (!e) m.set(r.frame, (e = { hits: [], neg: [], mated: 0 }));
      if (r.mated) {
        e.mated++;
        if (r.hit) e.hits.push(r.score);
      } else e.neg.push(r.score);
    }
    return m;
  };
  const fa = byFrame(a);
  const fb = byFrame(b);
  const frames = [...new Set([...fa.keys(), ...fb.keys()])].sort((x, y) => x - y);
  const empty = { hits: [], neg: [], mated: 0 };
  const tpirOf = (m: Map<number, { hits: number[]; neg: number[]; mated: number }>, pick: number[]) => {
    const neg: number[] = [];
    let mated = 0;
    for (const f of pick) {
      const e = m.get(f) ?? empty;
      for (const s of e.neg) neg.push(s);
      mated += e.mated;
    }
    if (!neg.length || !mated) return NaN;
    const t = thresholdForRateSorted(Float64Array.from(neg).sort().reverse(), fpir).threshold;
    let hits = 0;
    for (const f of pick) for (const s of (m.get(f) ?? empty).hits) if (s >= t) hits++;
    return hits / mated;
  };
  const diff = tpirOf(fb, frames) - tpirOf(fa, frames);
  const diffs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const pick = frames.map(() => frames[Math.floor(rand() * frames.length)]!);
    const d = tpirOf(fb, pick) - tpirOf(fa, pick);
    if (!Number.isNaN(d)) diffs.push(d);
  }
  diffs.sort((x, y) => x - y);
  const q = (p: number) => diffs[Math.min(diffs.length - 1, Math.max(0, Math.round(p * (diffs.length - 1))))]!;
  return { diff, low: q(0.025), high: q(0.975), rounds: diffs.length };
}
