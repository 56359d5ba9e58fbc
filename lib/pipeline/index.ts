/** The pipeline room: live streams in, alerts out (docs/pipeline.md). */
export { createPipeline, loadDefaultDetector, Pipeline, DEFAULT_MODELS_PLAN } from './pipeline.js';
export type { PipelineOptions, StreamOptions, PushSource } from './pipeline.js';
export type { Alert, PipelineGovernor, StreamStatus, StreamState } from './types.js';
export { StreamError } from './errors.js';
export { FUSION_RULES } from './evidence.js';
export type { FusionRule } from './evidence.js';
export { Tracker } from './tracker.js';
export type { TrackerOptions, Track, TrackState, Detection, TrackerUpdate } from './tracker.js';
export { sharpness, poseOf, qualityOf } from './quality.js';
export type { Pose, QualityOptions, QualityScore } from './quality.js';
export type { VideoSourceOptions, Gap, SourceFormat } from './source.js';
