/**
 * Per-track evidence and decisions. A track collects a few embeddings of its
 * best faces; each is matched against the watchlist and its candidates'
 * scores are kept per identity. A fusion rule turns them into one score per
 * identity; the track alerts once per identity when that score reaches the
 * threshold. Everything here is overwritten when the track ends without an
 * alert (privacy).
 */
import type { MatchCandidate } from '../watchlist/index.js';

/**
 * - 'max': the best single score of the track's embeddings.
 * - 'top2-mean': the mean of the identity's two best scores (needs two
 *   embeddings that both ranked it).
 * - 'centroid': the score of the mean of the track's embeddings
 *   (template fusion; matched again after each embedding).
 * - 'vote2': the second-best score (two embeddings must each pass).
 */
export const FUSION_RULES = ['max', 'top2-mean', 'centroid', 'vote2'] as const;
export type FusionRule = (typeof FUSION_RULES)[number];

/** A face this many times larger (box side) than a track's largest embedded face is embedded again, even once the track holds its few best. */
export const GROWN_SIDE = 1.25;

export class TrackEvidence {
  readonly dim: number;
  readonly capacity: number;
  /** Embeddings made so far (capacity x dim, the first `count` rows used). */
  readonly embeddings: Float32Array;
  count = 0;
  /** Quality of the best face embedded so far. */
  bestQuality = 0;
  /** Box side (px) of the largest face embedded so far. */
  bestSide = 0;
  /** Detections since the last embedding. */
  sinceEmbed = 0;
  /** The frame of the last embedding (-1 before the first). */
  embeddedAt = -1;
  /** Quality of each row of `embeddings`. */
  private rowQuality: Float64Array;
  /** Scores per identity, one per embedding that ranked it. */
  private scores = new Map<string, number[]>();
  /** Centroid match, for the 'centroid' rule. */
  centroid: MatchCandidate[] = [];
  readonly alerted = new Set<string>();

  constructor(dim: number, capacity: number) {
    this.dim = dim;
    this.capacity = capacity;
    this.embeddings = new Float32Array(dim * capacity);
    this.rowQuality = new Float64Array(capacity);
  }

  /**
   * The fused score reached the threshold on embeddings of earlier frames:
   * the track's face is embedded again at its next detection, and the alert
   * is raised only if that face matches too (so the alert's box and crop are
   * the face that matched, not another one the track moved onto).
   */
  verify = false;
  /** Verification embeddings made (at most the capacity). */
  verifications = 0;
  /** The face box of the last embedding (a face that has not moved since gives the same view again). */
  lastBox: { x: number; y: number; width: number; height: number } | null = null;

  /** Whether a face of this box side is GROWN_SIDE times the largest embedded (and a face was embedded). */
  grown(side: number): boolean {
    return this.count > 0 && this.bestSide > 0 && side >= GROWN_SIDE * this.bestSide;
  }

  get full(): boolean {
    return this.count >= this.capacity;
  }

  /**
   * Adds an embedding and its candidates. When the track already holds
   * `capacity` embeddings, a face better than every one of them, or
   * GROWN_SIDE times larger than the largest (more pixels of the same
   * person: a walker coming closer), takes the row of the worst (the track
   * keeps its best few faces; the scores of the face it replaces stay in
   * its evidence); any other face is not kept.
   */
  add(embedding: Float32Array, candidates: readonly MatchCandidate[], quality: number, frame = -1, side = 0): void {
    let row = this.count;
    if (this.full) {
      if (!(quality > this.bestQuality) && !this.grown(side)) return;
      row = 0;
      for (let r = 1; r < this.capacity; r++) if (this.rowQuality[r]! < this.rowQuality[row]!) row = r;
    } else this.count++;
    this.embeddings.set(embedding, row * this.dim);
    this.rowQuality[row] = quality;
    this.bestQuality = Math.max(this.bestQuality, quality);
    this.bestSide = Math.max(this.bestSide, side);
    this.sinceEmbed = 0;
    this.embeddedAt = frame;
    for (const c of candidates) {
      let list = this.scores.get(c.id);
      if (!list) this.scores.set(c.id, (list = []));
      list.push(c.score);
    }
  }

  /** The L2-normalised mean of the embeddings so far (a new array; zero it after use). */
  mean(): Float32Array {
    const m = new Float32Array(this.dim);
    for (let r = 0; r < this.count; r++) for (let k = 0; k < this.dim; k++) m[k] = m[k]! + this.embeddings[r * this.dim + k]!;
    let ss = 0;
    for (let k = 0; k < this.dim; k++) ss += m[k]! * m[k]!;
    const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    for (let k = 0; k < this.dim; k++) m[k] = m[k]! * inv;
    return m;
  }

  /** Fused score per identity under a rule (identities without enough evidence are absent). */
  fused(rule: FusionRule): Map<string, number> {
    const out = new Map<string, number>();
    if (rule === 'centroid') {
      for (const c of this.centroid) out.set(c.id, c.score);
      return out;
    }
    for (const [id, list] of this.scores) {
      const s = [...list].sort((a, b) => b - a);
      if (rule === 'max') out.set(id, s[0]!);
      else if (s.length >= 2) out.set(id, rule === 'top2-mean' ? (s[0]! + s[1]!) / 2 : s[1]!);
    }
    return out;
  }

  /** Identities whose fused score reaches the threshold and that have not alerted yet, best first. */
  decide(rule: FusionRule, threshold: number): { id: string; score: number }[] {
    const out: { id: string; score: number }[] = [];
    for (const [id, score] of this.fused(rule)) if (score >= threshold && !this.alerted.has(id)) out.push({ id, score });
    return out.sort((a, b) => b.score - a.score);
  }

  /** Overwrites everything the track learned (it ended without an alert, or the pipeline closed). */
  wipe(): void {
    this.embeddings.fill(0);
    this.rowQuality.fill(0);
    for (const list of this.scores.values()) list.fill(0);
    this.scores.clear();
    this.centroid = [];
    this.count = 0;
    this.bestQuality = 0;
    this.bestSide = 0;
    this.lastBox = null;
  }
}
