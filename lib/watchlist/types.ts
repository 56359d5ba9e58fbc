/**
 * The public types of the watchlist: options, match results, calibration
 * records, recall reports. No code beyond the list of index kinds.
 */

export const WATCHLIST_INDEX_KINDS = ['flat', 'hnsw', 'ivf'] as const;
export type WatchlistIndexKind = (typeof WATCHLIST_INDEX_KINDS)[number];

export interface HnswOptions {
  /** Graph degree (default 32). */
  M?: number;
  /** Candidates explored per search (default 64; raised to k when k is larger). */
  efSearch?: number;
  /** Candidates explored per insertion (default 80). */
  efConstruction?: number;
}

export interface IvfOptions {
  /** Number of inverted lists (k-means cells; default 64). */
  nlist?: number;
  /** Lists visited per search (default 8). */
  nprobe?: number;
  /**
   * Templates stored before the index trains itself (default 39 x nlist,
   * FAISS' recommendation). Until then searches are exact. `train()` trains
   * earlier (it needs at least nlist templates).
   */
  trainSize?: number;
}

export interface WatchlistOptions {
  /** Embedding dimension. */
  dim: number;
  /** 'flat' (exact, default), 'hnsw' or 'ivf' (approximate). */
  index?: WatchlistIndexKind;
  hnsw?: HnswOptions;
  ivf?: IvfOptions;
  /** Alert threshold on cosine similarity (default 0.5, an uncalibrated placeholder; undefined: the default). */
  threshold?: number | undefined;
}

/** What a calibration measured: recorded with the threshold and saved with the file. */
export interface ThresholdCalibration {
  /** False positive identification rate the threshold was set for. */
  targetFPIR: number;
  /** Number of people on the watchlist the calibration assumed. */
  watchlistSize: number;
  method?: string;
  /** Confidence interval of the ideal threshold (bounds may be infinite). */
  interval?: [number, number];
}

/** The calibration record kept by the watchlist. */
export interface CalibrationRecord extends ThresholdCalibration {
  /** The calibrated threshold: lower thresholds need `force`. */
  threshold: number;
  /** ISO time the calibration was applied. */
  setAt: string;
}

export interface SetThresholdOptions {
  calibration?: ThresholdCalibration;
  /** Allows a threshold below the calibrated one (raises false alerts). */
  force?: boolean;
}

export interface MatchOptions {
  /** Alert threshold for this call (default: watchlist.threshold). */
  threshold?: number;
  /** Distinct people to return per query (default 5). */
  k?: number;
  /** Allows a threshold below the calibrated one for this call (raises false alerts). */
  force?: boolean;
}

export interface MatchCandidate {
  id: string;
  /** Cosine similarity of the person's best template. */
  score: number;
}

/**
 * One query's result: the best k distinct people, best first, reported even
 * below the threshold. `alert: true` (best.score >= threshold) implies a
 * `best`, so `if (r.alert) r.best.id` type-checks.
 */
export type MatchResult =
  | {
      candidates: MatchCandidate[];
      alert: true;
      best: MatchCandidate;
    }
  | {
      candidates: MatchCandidate[];
      /** No candidate reached the threshold (or the watchlist is empty). */
      alert: false;
      best: MatchCandidate | null;
    };

export interface WatchlistEntry {
  id: string;
  templates: number;
  metadata: Record<string, unknown> | undefined;
}

export interface RecallOptions {
  /** Query vectors (n x dim, L2-normalised). Default: templates sampled from the watchlist. */
  queries?: Float32Array;
  /** Neighbours compared (default 10, capped at templateCount). */
  k?: number;
  /** Sampled queries when none are given (default 200). */
  samples?: number;
  /** Seed of the sampling (default 1). */
  seed?: number;
}

export interface RecallReport {
  index: WatchlistIndexKind;
  /** Mean over queries of |approximate top-k ∩ exact top-k| / |exact top-k| (templates). */
  recall: number;
  k: number;
  queries: number;
  /** True when the search is exact (flat, or ivf before training): recall is 1 by construction. */
  exact: boolean;
}

/** What the native watchlist index was compiled with. */
export interface WatchlistBuildInfo {
  faiss: string | null;
  gpu: boolean;
  kinds: string[];
}
