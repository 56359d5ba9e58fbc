/**
 * Evaluation hook: per-track evidence at the end of every track, so fusion
 * rules and thresholds can be compared on test data (bench/pipeline-fusion).
 * It hands out scores of faces that matched nobody, which a deployment must
 * never do: it is keyed by a symbol (not a documented option a deployment
 * would set by accident) and the pipeline says so on stderr when it is on.
 */
import type { Box } from '../types.js';
import type { FusionRule } from './evidence.js';

export const EVALUATION_HOOK = Symbol.for('livefr.pipeline.evaluation');

export interface TrackSummary {
  streamId: string;
  trackId: number;
  firstFrame: number;
  lastFrame: number;
  /** Box at the last detection. */
  box: Box;
  embeddings: number;
  /** Fused score per identity under each rule (identities with enough evidence). */
  fused: Record<FusionRule, Record<string, number>>;
  /** Frame at which each rule first reached `threshold` for each identity, if it did. */
  alertFrames: Record<FusionRule, Record<string, number>>;
}

export type EvaluationHook = (summary: TrackSummary) => void;
