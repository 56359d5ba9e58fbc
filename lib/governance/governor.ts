/**
 * The pipeline's governor (lib/pipeline's `PipelineGovernor`): a deployment
 * deciding what the pipeline may do.
 *
 * - admit(): before any frame, refuses outside the deployment's window, a
 *   threshold below its minimum, or a watchlist not bound to it.
 * - onAlert(): records each alert (and its crop) in the audit log before it
 *   is emitted, and adds `id`, `deploymentId`, `expiresAt`,
 *   `reviewersRequired` and `review()` to it; throws (the pipeline then
 *   stops) once the deployment ended, was stopped, or lost its authorisation.
 * - onFacesScanned(): counters only; they feed the transparency figures.
 *
 * A deployment that ends while no alert comes (its window closes, an urgent
 * authorisation runs out) stops the pipeline through `onStop` (see
 * Deployment#startTimers and Deployment#onEnd).
 */
import type { Alert, PipelineGovernor } from '../pipeline/index.js';
import type { Deployment } from './deployment.js';
import type { ReviewInput, ReviewResult } from './review.js';

/** What the governor adds to each emitted alert. */
export interface GovernedAlertFields {
  id: string;
  deploymentId: string;
  expiresAt: string;
  reviewersRequired: number;
  review(review: ReviewInput): ReviewResult;
}

export interface DeploymentGovernor extends PipelineGovernor {
  onAlert(alert: Alert): GovernedAlertFields & Record<string, unknown>;
}

/** A governor for `createPipeline({ governor })` running under `deployment`. */
export function createGovernor(deployment: Deployment): DeploymentGovernor {
  return {
    admit(context) {
      deployment.admit(context);
    },
    onAlert(alert) {
      // alert.time is seconds into the stream: the wall time is now, the frame identifies the input.
      const g = deployment.recordAlert({
        watchlistId: alert.watchlistId,
        score: alert.score,
        threshold: alert.threshold,
        streamId: alert.streamId,
        frame: alert.frame,
        streamTime: alert.time,
        ...(alert.crop instanceof Uint8Array ? { crop: alert.crop } : {}),
      });
      return { id: g.id, deploymentId: g.deploymentId, expiresAt: g.expiresAt, reviewersRequired: g.reviewersRequired, review: g.review };
    },
    onFacesScanned(streamId, count) {
      try {
        deployment.facesScanned(streamId, count);
      } catch (err) {
        // A counter must never take the pipeline down; the audit log's own errors surface on the next alert.
        process.emitWarning(`livefr governor: faces-scanned counter not recorded: ${(err as Error).message}`);
      }
    },
    onClose() {
      deployment.flushCounts();
    },
  };
}
