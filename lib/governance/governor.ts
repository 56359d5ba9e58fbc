/**
 * The pipeline's governor (the `PipelineGovernor` contract of
 * lib/pipeline): a deployment deciding what the pipeline may do.
 *
 * - admit(): before any frame, refuses outside the deployment's window, a
 *   threshold below its minimum, or a watchlist not bound to it.
 * - onAlert(): records each alert (and its crop) in the audit log before it
 *   is emitted, and adds `id`, `deploymentId`, `expiresAt`,
 *   `reviewersRequired` and `review()` to it; throws (the pipeline then
 *   stops) once the deployment ended, was stopped, or lost its authorisation.
 * - onFacesScanned(): counters only; they feed the transparency figures.
 */
import { checkString } from '../validate.js';
import type { Watchlist } from '../watchlist/index.js';
import type { Deployment } from './deployment.js';
import type { ReviewInput, ReviewResult } from './review.js';

/** The fields of a pipeline alert the governor reads (lib/pipeline's `Alert`). */
export interface PipelineAlertLike {
  streamId: string;
  time: Date | number | string;
  watchlistId: string;
  score: number;
  threshold: number;
  /** JPEG of that face only. */
  crop?: Uint8Array;
  [field: string]: unknown;
}

/** Structurally the `PipelineGovernor` of lib/pipeline. */
export interface DeploymentGovernor {
  admit(context: { threshold: number; watchlist: Watchlist; streamId?: string; now: Date }): void;
  onAlert(alert: PipelineAlertLike): {
    id: string;
    deploymentId: string;
    expiresAt: string;
    reviewersRequired: number;
    review(review: ReviewInput): ReviewResult;
  };
  onFacesScanned(streamId: string, count: number): void;
  onClose(): void;
}

/** A governor for `createPipeline({ governor })` running under `deployment`. */
export function createGovernor(deployment: Deployment): DeploymentGovernor {
  return {
    admit(context) {
      deployment.admit(context);
    },
    onAlert(alert) {
      const g = deployment.recordAlert({
        watchlistId: alert.watchlistId,
        score: alert.score,
        threshold: alert.threshold,
        streamId: checkString('alert.streamId', alert.streamId),
        time: alert.time,
        ...(alert.crop instanceof Uint8Array ? { crop: alert.crop } : {}),
      });
      return { id: g.id, deploymentId: g.deploymentId, expiresAt: g.expiresAt, reviewersRequired: g.reviewersRequired, review: g.review };
    },
    onFacesScanned(streamId, count) {
      deployment.facesScanned(streamId, count);
    },
    onClose() {
      deployment.flushCounts();
    },
  };
}
