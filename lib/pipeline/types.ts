/** Public types of the pipeline room (the governance room builds on these). */
import type { Box } from '../types.js';
import type { Watchlist } from '../watchlist/index.js';

/** An alert: a track matched a watchlist identity. */
export interface Alert {
  streamId: string;
  /** The track's id, unique within its stream. */
  trackId: number;
  /** 0-based index of the source frame the decision used. */
  frame: number;
  /** That frame's timestamp, in seconds from the stream's start. */
  time: number;
  /** The face in that frame, in frame pixels. */
  box: Box;
  watchlistId: string;
  /** The fused score that crossed the threshold. */
  score: number;
  threshold: number;
  /** A JPEG of that face only (its box plus a 15% margin). */
  crop: Buffer;
}

/**
 * Governance hooks (lib/governance implements them; the pipeline never
 * imports it). See docs/pipeline.md for when each is called.
 */
export interface PipelineGovernor {
  /**
   * Called by createPipeline and addStream before any frame is processed;
   * throws a livefr error (StateError, or RangeError naming the field) to
   * refuse: outside the deployment window, threshold below the minimum,
   * watchlist not bound to the deployment.
   */
  admit(context: { threshold: number; watchlist: Watchlist; streamId?: string; now: Date }): void;
  /**
   * Each alert before it is emitted; may return extra fields (e.g. `id`,
   * `deploymentId`, `review(...)`) merged into the emitted alert. If it
   * throws, the alert is not emitted and the pipeline stops with an error.
   */
  onAlert(alert: Alert): (Partial<Alert> & Record<string, unknown>) | void;
  /** Counters only: faces scanned (detected and quality-gated) per stream since the last call. */
  onFacesScanned?(streamId: string, count: number): void;
  /** The pipeline closed. */
  onClose?(): void;
}

export type StreamState = 'starting' | 'running' | 'reconnecting' | 'ended' | 'failed';

/** Per-stream status: counters only (nothing about any face that did not match). */
export interface StreamStatus {
  id: string;
  source: string;
  state: StreamState;
  width: number | null;
  height: number | null;
  /** Frames arriving per second (last 2 s). */
  fpsIn: number;
  /** Frames processed (detected or tracked only) per second (last 2 s). */
  fpsProcessed: number;
  /** Frames detected per second (last 2 s): the stream's detection cadence. */
  fpsDetected: number;
  /** Frames received (decoded or pushed). */
  frames: number;
  /**
   * Frames that went through the tracker: `detected + tracked`. Every frame
   * is processed unless it is dropped; `detected / frames` is the share that
   * detection actually saw.
   */
  processed: number;
  /** Frames detection ran on (then tracker update, quality, embedding of best shots, matching). */
  detected: number;
  /**
   * Frames tracked only: the tracker predicted its tracks across them by
   * motion, with no detection, because detection was busy with an earlier
   * frame of the stream when a newer one came (the newest frame wins), the
   * stream's frame buffers were all in work, or `detectEvery` planned it.
   * Faces that appear and leave within such frames are not seen.
   */
  tracked: number;
  /** Frames that neither detection nor the tracker took: their inference failed, or the stream was stopping. */
  dropped: number;
  /** The part of `tracked` planned by `detectEvery`. */
  skipped: number;
  /** Faces detected (and above the quality floor), summed over processed frames. */
  faces: number;
  /** Tracks confirmed so far. */
  tracks: number;
  /** Tracks alive now. */
  liveTracks: number;
  /** Embeddings computed. */
  embeddings: number;
  alerts: number;
  reconnects: number;
  /** Gaps reported (network sources that dropped and came back). */
  gaps: number;
  lastError: string | null;
}
