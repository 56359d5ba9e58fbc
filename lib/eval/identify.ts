/**
 * Open-set identification (1:N), the live-deployment case.
 *
 * Protocol, for each watchlist size N:
 * - people with at least K images (K = enrolPerPerson) are shuffled with a
 *   fixed seed; the first N are the watchlist (sizes are nested: the 100
 *   people of N=100 are among the 1000 of N=1000);
 * - each watchlist person is enrolled with their first K images (clean);
 *   an enrolment image without a detected face is an enrolment failure (the
 *   person keeps fewer templates, possibly none);
 * - mated searches: the other images of watchlist people (probes, degraded
 *   if asked);
 * - non-mated searches: ALL images of the people not on the watchlist (the
 *   passers-by);
 * - a search returns the top-1 template. FPIR = non-mated searches whose
 *   top-1 score >= threshold; FNIR = mated searches whose top-1 is not the
 *   mate or scores below the threshold; rank-1 ignores the threshold.
 * - a probe whose face is not detected cannot alert: it is a miss when
 *   mated and a non-alert when non-mated (both counted, and reported as
 *   detectionFailures).
 * Size 'max' is the largest N leaving enough non-mated searches for the
 * loosest FPIR target (rule of three, see metrics.ts).
 */
import { seededRandom } from '../util/random.js';
import { outOfRange } from '../errors.js';
import { checkInteger } from '../validate.js';
import { groupDifferentials, type Differentials } from './demographics.js';
import type { Embeddings } from './embed.js';
import { detCurve, effectiveMatedScores, fnirAtFpir, minNegativesFor, rank1, ratesAtThreshold, type DetPoint, type FnirAtFpir, type Rank1, type RatesAtThreshold } from './metrics/index.js';
import { Watchlist } from '../watchlist/index.js';
import { dotAcross } from './verify.js';

export interface IdentifyOptions {
  /** Watchlist sizes; 'max' = the largest the data allows (default [100, 1000, 'max']). */
  sizes?: (number | 'max')[];
  /** Enrolment images per person (default 1). */
  enrolPerPerson?: number;
  /** Shuffle seed (default 1). */
  seed?: number;
  /** FPIR targets (default [1e-2, 1e-3]). */
  fpirs?: number[];
  /** id -> group, for demographic differentials. */
  groups?: Map<string, string>;
  /** Operating threshold for the per-group table (default: the threshold at the first FPIR target). */
  threshold?: number;
}

export interface SizeResult {
  watchlistSize: number;
  templates: number;
  enrolFailures: number;
  matedSearches: number;
  nonMatedSearches: number;
  detectionFailures: { mated: number; nonMated: number };
  rank1: Rank1;
  fnirAtFpir: FnirAtFpir[];
  /** At the operating threshold. */
  operating: RatesAtThreshold | null;
  groups: Differentials | null;
  det: DetPoint[];
  /**
   * The highest-scoring non-mated searches (at most 10): the false alerts
   * a strict FPIR target is set by. Check them for label errors (one person
   * under two names, another person in the photo) before trusting the tail.
   */
  topNonMated: { probe: string; candidate: string; score: number }[];
  /** Mated scores that count (wrong rank-1 -> -Infinity is left out), and all non-mated top-1 scores (failures are -Infinity, left out). */
  scores: { matedScores: number[]; nonMatedScores: number[] };
}

export interface IdentifyResult {
  kind: 'identify';
  degradation: string;
  enrolPerPerson: number;
  seed: number;
  people: number;
  eligiblePeople: number;
  sizes: SizeResult[];
}

/** Seeded Fisher-Yates shuffle. */
export function shuffled<T>(items: T[], seed: number): T[] {
  const rnd = seededRandom(seed);
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Rows of each person, in image order. */
function rowsByPerson(emb: Embeddings): Map<string, number[]> {
  const m = new Map<string, number[]>();
  emb.ids.forEach((id, i) => {
    let a = m.get(id);
    if (!a) m.set(id, (a = []));
    a.push(i);
  });
  return m;
}

/** Exact top-1 search over templates (rows of `gallery`) for the given probe rows, by brute force. */
function top1(gallery: Embeddings, templates: number[], probe: Embeddings, rows: number[]): { template: Int32Array; score: Float64Array } {
  const template = new Int32Array(rows.length).fill(-1);
  const score = new Float64Array(rows.length).fill(-Infinity);
  const dim = gallery.dim;
  rows.forEach((r, i) => {
    if (!probe.found[r]) return;
    let best = -Infinity;
    let bi = -1;
    for (const t of templates) {
      const s = dotAcross(gallery.vectors, t, probe.vectors, r, dim);
      if (s > best) {
        best = s;
        bi = t;
      }
    }
    template[i] = bi;
    score[i] = bi < 0 ? -Infinity : Math.fround(best);
  });
  return { template, score };
}

/** Top-1 person and score of each probe row through a FAISS Watchlist (the product's search path). */
async function top1Watchlist(watchlist: Watchlist, probe: Embeddings, rows: number[]): Promise<{ id: (string | null)[]; score: Float64Array }> {
  const id: (string | null)[] = new Array(rows.length).fill(null);
  const score = new Float64Array(rows.length).fill(-Infinity);
  const found = rows.flatMap((r, i) => (probe.found[r] ? [i] : []));
  if (found.length === 0 || watchlist.ids().length === 0) return { id, score };
  const q = new Float32Array(found.length * probe.dim);
  found.forEach((i, j) => q.set(probe.vectors.subarray(rows[i]! * probe.dim, (rows[i]! + 1) * probe.dim), j * probe.dim));
  const res = await watchlist.match(q, { k: 1 });
  found.forEach((i, j) => {
    const best = res[j]!.best;
    if (best) {
      id[i] = best.id;
      score[i] = Math.fround(best.score);
    }
  });
  return { id, score };
}

function resolveSizes(sizes: (number | 'max')[], order: string[], byPerson: Map<string, number[]>, minNonMated: number): number[] {
  // Non-mated images left when the first N people are enrolled.
  const suffix = new Array<number>(order.length + 1).fill(0);
  for (let i = order.length - 1; i >= 0; i--) suffix[i] = suffix[i + 1]! + byPerson.get(order[i]!)!.length;
  let max = 0;
  for (let n = 1; n < order.length; n++) if (suffix[n]! >= minNonMated) max = n;
  const out = sizes.map((s, i) => {
    if (s === 'max') return max;
    checkInteger(`options.sizes[${i}]`, s, 1);
    if (s >= order.length) throw outOfRange(`options.sizes[${i}]`, `a watchlist size below the ${order.length} eligible people (some must stay passers-by)`, s);
    return s;
  });
  return [...new Set(out)].filter((n) => n > 0).sort((a, b) => a - b);
}

/**
 * Open-set identification figures (see the module comment). `gallery` holds
 * clean embeddings (enrolment); `probe` the probe embeddings (degraded or the
 * same object).
 */
export async function evaluateIdentification(gallery: Embeddings, probe: Embeddings = gallery, options: IdentifyOptions = {}): Promise<IdentifyResult> {
  const K = options.enrolPerPerson === undefined ? 1 : checkInteger('options.enrolPerPerson', options.enrolPerPerson, 1, 1000);
  const seed = options.seed === undefined ? 1 : checkInteger('options.seed', options.seed, 0, 2 ** 32 - 1);
  const fpirs = options.fpirs ?? [1e-2, 1e-3];
  const byPerson = rowsByPerson(gallery);
  const probeByPerson = rowsByPerson(probe);
  const eligible = [...byPerson.keys()].filter((id) => byPerson.get(id)!.length >= K).sort();
  const order = shuffled(eligible, seed);
  const minNonMated = minNegativesFor(Math.max(...fpirs));
  const sizes = resolveSizes(options.sizes ?? [100, 1000, 'max'], order, byPerson, minNonMated);
  const results: SizeResult[] = [];
  for (const N of sizes) results.push(await evaluateSize(N, K, order, byPerson, probeByPerson, gallery, probe, fpirs, options));
  return { kind: 'identify', degradation: probe.degradation, enrolPerPerson: K, seed, people: byPerson.size, eligiblePeople: eligible.length, sizes: results };
}

async function evaluateSize(
  N: number, K: number, order: string[], byPerson: Map<string, number[]>, probeByPerson: Map<string, number[]>,
  gallery: Embeddings, probe: Embeddings, fpirs: number[], options: IdentifyOptions,
): Promise<SizeResult> {
  const watch = order.slice(0, N);
  const templates: number[] = [];
  let enrolFailures = 0;
  const matedRows: number[] = [];
  for (const id of watch) {
    const rows = byPerson.get(id)!;
    for (const r of rows.slice(0, K)) {
      if (gallery.found[r]) templates.push(r);
      else enrolFailures++;
    }
    const enrolled = new Set(rows.slice(0, K).map((r) => gallery.images[r]));
    for (const r of probeByPerson.get(id) ?? []) if (!enrolled.has(probe.images[r]!)) matedRows.push(r);
  }
  const nonMatedRows = order.slice(N).flatMap((id) => probeByPerson.get(id) ?? []);
  // Enrol in a FAISS Watchlist (exact flat index), one entry per person.
  const watchlist = new Watchlist({ dim: gallery.dim });
  const perPerson = new Map<string, number[]>();
  for (const t of templates) {
    const id = gallery.ids[t]!;
    let a = perPerson.get(id);
    if (!a) perPerson.set(id, (a = []));
    a.push(t);
  }
  for (const [id, rows] of perPerson) {
    const v = new Float32Array(rows.length * gallery.dim);
    rows.forEach((r, j) => v.set(gallery.vectors.subarray(r * gallery.dim, (r + 1) * gallery.dim), j * gallery.dim));
    await watchlist.add(id, v);
  }
  const mated = await top1Watchlist(watchlist, probe, matedRows);
  const non = await top1Watchlist(watchlist, probe, nonMatedRows);
  const matedHit = mated.id.map((id, i) => id !== null && id === probe.ids[matedRows[i]!]);
  const scores = { mated: mated.score, matedHit, nonMated: non.score };
  const figures = fnirAtFpir(scores, fpirs);
  const threshold = options.threshold ?? figures[0]?.threshold ?? null;
  const operating = threshold === null ? null : ratesAtThreshold(scores, threshold);
  let groups: Differentials | null = null;
  if (options.groups && threshold !== null) {
    const g = options.groups;
    const groupOf = (row: number) => g.get(probe.ids[row]!) ?? 'unknown';
    groups = groupDifferentials(
      matedRows.map((r, i) => ({ group: groupOf(r), matedScore: mated.score[i]!, matedHit: matedHit[i]! })),
      nonMatedRows.map((r, i) => ({ group: groupOf(r), score: non.score[i]! })),
      threshold,
    );
  }
  const eff = effectiveMatedScores(scores);
  const finite = (a: ArrayLike<number>) => Array.from(a).filter((x) => Number.isFinite(x));
  return {
    watchlistSize: N,
    templates: templates.length,
    enrolFailures,
    matedSearches: matedRows.length,
    nonMatedSearches: nonMatedRows.length,
    detectionFailures: { mated: matedRows.filter((r) => !probe.found[r]).length, nonMated: nonMatedRows.filter((r) => !probe.found[r]).length },
    rank1: rank1(matedHit),
    fnirAtFpir: figures,
    operating,
    groups,
    det: matedRows.length && nonMatedRows.length ? detCurve(eff, non.score, 400) : [],
    topNonMated: Array.from(non.score.keys())
      .filter((i) => non.id[i] !== null)
      .sort((x, y) => non.score[y]! - non.score[x]!)
      .slice(0, 10)
      .map((i) => ({ probe: probe.images[nonMatedRows[i]!]!, candidate: non.id[i]!, score: non.score[i]! })),
    scores: { matedScores: finite(eff), nonMatedScores: finite(non.score) },
  };
}

/** Scores of every cross-identity pair of found images whose person passes `keep` (per-comparison impostor scores). */
export function crossIdentityScores(emb: Embeddings, keep: (id: string) => boolean = () => true): Float32Array {
  const rows = emb.ids.flatMap((id, i) => (keep(id) && emb.found[i] ? [i] : []));
  let count = 0;
  for (let a = 0; a < rows.length; a++) for (let b = a + 1; b < rows.length; b++) if (emb.ids[rows[a]!] !== emb.ids[rows[b]!]) count++;
  const out = new Float32Array(count);
  let k = 0;
  for (let a = 0; a < rows.length; a++) {
    for (let b = a + 1; b < rows.length; b++) {
      if (emb.ids[rows[a]!] === emb.ids[rows[b]!]) continue;
      out[k++] = dotAcross(emb.vectors, rows[a]!, emb.vectors, rows[b]!, emb.dim);
    }
  }
  return out;
}

/**
 * Non-mated top-1 scores: `size` people passing `keep` (seeded choice) are
 * enrolled with their first image; every found image of the other people
 * passing `keep` is searched.
 */
export function searchTopScores(emb: Embeddings, keep: (id: string) => boolean, size: number, seed = 1): Float32Array {
  const byPerson = rowsByPerson(emb);
  const people = shuffled([...byPerson.keys()].filter(keep).sort(), seed);
  checkInteger('size', size, 1, people.length - 1);
  const templates = people.slice(0, size).map((id) => byPerson.get(id)![0]!).filter((r) => emb.found[r]);
  const rows = people.slice(size).flatMap((id) => byPerson.get(id)!).filter((r) => emb.found[r]);
  return Float32Array.from(top1(emb, templates, emb, rows).score);
}
