/**
 * The detector x embedder pairs scripts/measure-live.mjs measures (names are
 * the rows of docs/models.md). Registry names are converted on first use;
 * `fixture(...)` models come from ../shared/models (reference points only,
 * not redistributable defaults).
 */
import path from 'node:path';
const fixture = (shared, f) => path.join(shared, 'models', f);
const FR = { embedderModel: 'fr-feature' };
export const PAIRS = [
  { name: 'blazeface-back + faceapi-resnet', config: { detectorModel: 'blazeface-back', embedderModel: 'faceapi-resnet' } },
  { name: 'blazeface-back + fr-feature', config: { detectorModel: 'blazeface-back', ...FR } },
  { name: 'blazeface-back + fr-landmark + fr-feature', config: { detectorModel: 'blazeface-back', landmarks: 'fr-landmark', ...FR } },
  { name: 'blazeface-back + faceapi-landmarks68 + fr-feature', config: { detectorModel: 'blazeface-back', landmarks: 'faceapi-landmarks68', ...FR } },
  { name: 'yunet (fixture) + fr-feature', config: (s) => ({ detector: 'yunet', detectorModel: fixture(s, 'yunet.onnx'), ...FR }) },
  { name: 'yunet (fixture) + faceapi-resnet', config: (s) => ({ detector: 'yunet', detectorModel: fixture(s, 'yunet.onnx'), embedderModel: 'faceapi-resnet' }) },
  { name: 'fr-detect + fr-landmark + fr-feature', config: { detectorModel: 'fr-detect', landmarks: 'fr-landmark', ...FR } },
  { name: 'fr-detect + faceapi-landmarks68 + fr-feature', config: { detectorModel: 'fr-detect', landmarks: 'faceapi-landmarks68', ...FR } },
  { name: 'blazeface-back + expo-mobilefacenet', config: { detectorModel: 'blazeface-back', embedderModel: 'expo-mobilefacenet' } },
  { name: 'blazeface-back + faceapi-landmarks68 + expo-mobilefacenet', config: { detectorModel: 'blazeface-back', landmarks: 'faceapi-landmarks68', embedderModel: 'expo-mobilefacenet' } },
  { name: 'blazeface-back + faceapi-landmarks68 + faceapi-resnet', config: { detectorModel: 'blazeface-back', landmarks: 'faceapi-landmarks68', embedderModel: 'faceapi-resnet' } },
  { name: 'blazeface-full + faceapi-landmarks68 + fr-feature', config: { detectorModel: 'blazeface-full', landmarks: 'faceapi-landmarks68', ...FR } },
  { name: 'faceapi-ssd + faceapi-landmarks68 + fr-feature', config: { detectorModel: 'faceapi-ssd', landmarks: 'faceapi-landmarks68', ...FR } },
];
