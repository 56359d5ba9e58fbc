/**
 * livefr/convert: livefr's own model converters, in TypeScript, to ONNX
 * graphs ONNX Runtime runs.
 *
 * - face-api.js weight manifests (`convertFaceApiModel`): the 128-d ResNet
 *   recogniser, the SSD MobileNetV1 face detector, the 68-point landmark nets;
 * - TensorFlow.js graph models (`convertGraphModel`): BlazeFace, FaceRes,
 *   MobileFace, ...;
 * - TFLite flatbuffers (`convertTfliteModel`).
 *
 * What each catalog model is built from, and its input convention, is in
 * the model catalog (lib/models/catalog.ts), which the converters read.
 * See docs/converter.md and docs/faceapi-models.md.
 */
export { convertFaceApiModel, listFaceApiCandidates, FACEAPI_MODELS, generateSsdAnchors, decodeSsdBoxes } from './faceapi/index.js';
export type { FaceApiConversion, FaceApiCandidate, FaceApiModelName, ConvertFaceApiOptions } from './faceapi/index.js';
export { convertGraphModel, listGraphCandidates } from './tfjs-graph.js';
export type { GraphConvertOptions, ConvertedGraph, GraphTensorInfo, GraphCandidate } from './tfjs-graph.js';
export { convertTfliteModel } from './tflite/index.js';
export type { TfliteConvertOptions, TfliteConverted } from './tflite/index.js';
export { GraphBuilder } from './onnx-builder.js';
