/**
 * face-api.js's networks as livefr detectors: the box-only 'faceapi-ssd'
 * family (adapter.ts), the two-stage FaceApiSsdDetector (detector.ts), the
 * 68-point FaceApiLandmarker (landmarker.ts), and face-api's crops
 * (chip.ts, native).
 */
export { faceapiSsd } from './adapter.js';
export { FaceApiSsdDetector } from './detector.js';
export type { FaceApiSsdLoadOptions, FaceApiSsdDetectOptions } from './detector.js';
export { FaceApiLandmarker, fivePointsFrom68 } from './landmarker.js';
export type { FaceWith68, FaceApiLandmarkerLoadOptions } from './landmarker.js';
export { faceApiChip, faceApiDescriptorBox } from './chip.js';
