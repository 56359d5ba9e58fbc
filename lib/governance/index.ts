/**
 * Safeguards in code: deployments, provenance and quality-gated enrolment,
 * erasure, a tamper-evident audit log, two-person review of alerts and
 * transparency figures. Wraps the core (the Watchlist knows nothing of it).
 * See docs/governance.md.
 */
export { AuditLog, verifyAuditLog, keyIdOf, loadSigningKey, loadPublicKey, AUDIT_FORMAT, MAX_RECORD_BYTES } from './audit.js';
export type { AuditRecord, AuditLogOptions, AuditVerifyOptions, AuditVerifyReport, AuditProblem } from './audit.js';
export { createDeployment, Deployment, urgentDeadline } from './deployment.js';
export type { DeploymentOptions, DeploymentStatus, AdmitContext, AlertInput, GovernedAlert, EndSummary } from './deployment.js';
export { checkDeploymentRecord, checkProvenance, provenanceOf, normaliseReviewer, ENTRY_CATEGORIES, URGENT_AUTHORISATION_MS } from './records.js';
export type { DeploymentRecord, DeploymentSpec, EntryCategory, Provenance, ProvenanceInput, GrantedAuthorisation, UrgentAuthorisation } from './records.js';
export { enrol, addWithProvenance, purgeExpired, purgeAndSave, openWatchlist, startPurgeTimer, categoryCounts } from './entries.js';
export type { EnrolEntry, EnrolOptions, EnrolReport, EnrolModels, RefusedImage, PurgeReport } from './entries.js';
export { judgeEnrolmentImage, faceSharpness, checkQuality, DEFAULT_QUALITY } from './quality.js';
export type { QualityOptions, QualityVerdict, RefusalCode } from './quality.js';
export { recordReview, checkReview } from './review.js';
export type { ReviewInput, ReviewResult } from './review.js';
export { GovernanceState } from './state.js';
export type { AlertState, AlertOutcome, DeploymentState, Decision, ReviewState, WatchlistFigures } from './state.js';
export { buildReport, formatReportText, formatReportHtml } from './report.js';
export type { TransparencyReport, DeploymentFigures, RateWithInterval } from './report.js';
export { createGovernor } from './governor.js';
export type { DeploymentGovernor, GovernedAlertFields } from './governor.js';
export { CropStore, cropJpeg } from './crops.js';
export { parseDuration, parseInstant } from './time.js';
export { erase } from './erase.js';
export type { EraseOptions, ErasureReport } from './erase.js';
