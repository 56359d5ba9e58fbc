/**
 * livefr: live facial recognition for Node.js. The product API: frames,
 * preprocessing, Detector, Embedder, Watchlist, the inference pool and the
 * model registry. Converters are `livefr/convert`, the evaluation toolkit
 * (and threshold calibration) `livefr/eval`.
 */
export * from './errors.js';
export { loadImage, LOAD_IMAGE_LIMITS, validateFrame, PIXEL_FORMATS } from './frame.js';
export type { Frame, FrameLayout, PixelFormat, LoadImageOptions } from './frame.js';
export type { Box, Point, Face, Landmarks5 } from './types.js';
export { buildInfo } from './native/index.js';
export type { BuildInfo } from './native/index.js';
export { InferencePool, EXECUTION_PROVIDERS } from './inference/pool.js';
export type { InferenceOptions, ExecutionProvider, Tensor, RunResult } from './inference/pool.js';
export { letterbox, letterboxGeometry, alignFaces, similarityTransform, convertColor, setSimd, simdLevel, bestSimdLevel, arcfaceTemplate, ARCFACE_TEMPLATE_112, landmarksOf, INTERPOLATIONS } from './preprocess.js';
export type { LetterboxOptions, LetterboxResult, LetterboxGeometry, Roi, AlignOptions, ChannelOrder, SimdLevel, Interpolation } from './preprocess.js';
export { Watchlist, WATCHLIST_INDEX_KINDS, watchlistBuildInfo, WATCHLIST_KEY_ENV, keyIdOfFile } from './watchlist/index.js';
export type { WatchlistOptions, WatchlistIndexKind, HnswOptions, IvfOptions, ThresholdCalibration, CalibrationRecord, SetThresholdOptions, MatchOptions, MatchCandidate, MatchResult, WatchlistEntry, RecallOptions, RecallReport, WatchlistBuildInfo, WatchlistFileOptions, WatchlistKeySource } from './watchlist/index.js';
export { Detector, DETECTOR_FAMILIES, registerDetectorFamily, modelMismatch, bindImageInput } from './detector.js';
export type { DetectorLoadOptions, DetectOptions, DetectRunInfo, BuiltInDetectorFamily, DetectorFamilyName, DetectorFamilyAdapter, ModelSignature, InputBinding, DecodeSpec, NativeDecode, NativeDecoder, JsDecode } from './detector.js';
export { Embedder, EMBEDDER_FAMILIES, fuseEmbeddings, MAX_FUSE_MEMBERS } from './embedder.js';
export type { EmbedderLoadOptions, EmbedderFamily, FuseMemberOptions, FusedMember } from './embedder.js';
export { FaceApiSsdDetector, FaceApiLandmarker } from './detectors/faceapi-ssd/index.js';
export type { FaceWith68, FaceApiSsdLoadOptions, FaceApiSsdDetectOptions, FaceApiLandmarkerLoadOptions } from './detectors/faceapi-ssd/index.js';
export {
  resolveModel, resolveDefaultModel, defaultModelPath, defaultModelName, ensureDefaultModels, ensureModels,
  listModels, convertModel, verifyModel, modelsDirectory, SourcePackageError, CATALOG as MODEL_CATALOG, DEFAULTS as DEFAULT_MODELS,
} from './models/registry.js';
export type { ModelManifest, ModelSpec, ModelTask, ModelStatus, ResolvedModel, RegistryOptions, VerifyResult } from './models/registry.js';
export { DETECTOR_MODEL_NAMES, EMBEDDER_MODEL_NAMES, LANDMARK_MODEL_NAMES } from './models/catalog.js';
export type { DetectorModelName, EmbedderModelName, LandmarkModelName } from './models/catalog.js';
export { createPipeline, Pipeline, StreamError, FUSION_RULES } from './pipeline/index.js';
export type { PipelineOptions, StreamOptions, PushSource, Alert, PipelineGovernor, StreamStatus, StreamState, FusionRule } from './pipeline/index.js';
export * as governance from './governance/index.js';
