/**
 * Reviewing an alert: one person's decision, appended to the audit log
 * under its lock, and the outcome once the rule is met (see state.ts). Used
 * by Deployment#review and by `livefr review` (another process), which see
 * the same log.
 */
import { LivefrRangeError, StateError, invalidType, outOfRange } from '../errors.js';
import { checkOptions, checkString } from '../validate.js';
import type { AuditLog } from './audit.js';
import type { CropStore } from './crops.js';
import { normaliseReviewer } from './records.js';
import { GovernanceState, type AlertState, type Decision } from './state.js';

export interface ReviewInput {
  reviewer: string;
  decision: Decision;
  note?: string;
}

export interface ReviewResult {
  alert: string;
  outcome: AlertState['outcome'];
  /** Distinct reviewers so far. */
  reviews: number;
  required: number;
  cropDeleted: boolean;
}

export function checkReview(value: unknown): ReviewInput {
  const o = checkOptions('review', value, ['reviewer', 'decision', 'note']);
  if (value === undefined) throw invalidType('review', 'an object { reviewer, decision }', value);
  const reviewer = checkString('review.reviewer', o.reviewer);
  if (normaliseReviewer(reviewer) === '') throw outOfRange('review.reviewer', 'a name', reviewer);
  if (o.decision !== 'confirm' && o.decision !== 'reject') throw outOfRange('review.decision', "'confirm' or 'reject'", o.decision);
  const out: ReviewInput = { reviewer, decision: o.decision };
  if (o.note !== undefined) out.note = checkString('review.note', o.note);
  return out;
}

/**
 * Records `review` of alert `alertId`. `state` must be fed every record of
 * `audit` (its listener), so the checks inside the transaction see what
 * other processes wrote. Throws StateError when the alert is decided,
 * expired or its deployment over, or when this person already reviewed it.
 */
export function recordReview(audit: AuditLog, state: GovernanceState, crops: CropStore, alertId: string, input: unknown, now: Date): ReviewResult {
  const id = checkString('alertId', alertId);
  const review = checkReview(input);
  return audit.transaction((append) => {
    const a = state.alerts.get(id);
    if (!a) throw new LivefrRangeError('alertId', `No alert ${JSON.stringify(id)} in ${audit.file}`);
    const d = state.deployments.get(a.deployment)!;
    if (a.outcome !== 'pending') throw new StateError(`Alert ${id} is already ${a.outcome}; it takes no more reviews`);
    if (d.ended) throw new StateError(`Alert ${id} belongs to deployment ${d.spec.id}, which ended (${d.ended.reason}); its unconfirmed alerts were purged`);
    if (now.getTime() >= Date.parse(a.expiresAt)) {
      expireAlert(append, state, crops, a);
      throw new StateError(`Alert ${id} expired unreviewed at ${a.expiresAt}; its crop was deleted`);
    }
    const who = normaliseReviewer(review.reviewer);
    if (d.spec.reviewers && !d.spec.reviewers.some((r) => normaliseReviewer(r) === who)) {
      throw new StateError(`${review.reviewer} is not one of the reviewers of deployment ${d.spec.id}`);
    }
    if (a.reviews.some((r) => normaliseReviewer(r.reviewer) === who)) {
      throw new StateError(`${review.reviewer} already reviewed alert ${id}: the same person counts once; ${a.required} distinct reviewers are needed`);
    }
    append('review', { deployment: a.deployment, alert: id, reviewer: review.reviewer, decision: review.decision, ...(review.note ? { note: review.note } : {}) });
    const outcome = GovernanceState.outcomeOf(a);
    if (outcome !== 'pending') {
      let cropDeleted = false;
      if (outcome === 'rejected' && a.crop && !a.cropDeleted) {
        crops.delete(a.crop);
        cropDeleted = true;
      }
      append('alert.outcome', { deployment: a.deployment, alert: id, outcome, reviewers: a.reviews.length, cropDeleted });
    }
    return { alert: id, outcome: a.outcome, reviews: a.reviews.length, required: a.required, cropDeleted: a.cropDeleted };
  });
}

/** Marks a pending alert expired and deletes its crop (inside a transaction). */
export function expireAlert(append: (type: string, fields?: Record<string, unknown>) => unknown, state: GovernanceState, crops: CropStore, a: AlertState): void {
  if (a.outcome !== 'pending') return;
  if (a.crop && !a.cropDeleted) crops.delete(a.crop);
  append('alert.outcome', { deployment: a.deployment, alert: a.id, outcome: 'expired', reviewers: a.reviews.length, cropDeleted: a.crop !== undefined });
  void state;
}
