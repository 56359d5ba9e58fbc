/**
 * The detector x embedder pairs scripts/measure-live.mjs measures (names are
 * the rows of docs/models.md). Registry names are converted on first use;
 * `fixture(...)` models come from ../shared/models (reference points only,
 * not redistributable defaults). "tiles 32" = tiling at the scale 32 px
 * faces need (tile: true); "auto" = the Detector's default plan (at most 12
 * tiles).
 */
import path from 'node:path';
const fixture = (shared, f) => path.join(shared, 'models', f);
const FR = { embedderModel: 'fr-feature' };
const FRD = { detectorModel: 'fr-detect' };
const BB = { detectorModel: 'blazeface-back' };
export const PAIRS = [
  { name: 'fr-detect (auto) + mtcnn-onet + fr-feature', config: { ...FRD, landmarks: 'mtcnn-onet', ...FR } },
  { name: 'fr-detect (auto) + mtcnn-onet + faceapi-resnet', config: { ...FRD, landmarks: 'mtcnn-onet', embedderModel: 'faceapi-resnet' } },
  { name: 'fr-detect (auto) + mtcnn-onet + fr-feature (flip-averaged)', config: { ...FRD, landmarks: 'mtcnn-onet', ...FR, flip: true } },
  { name: 'fr-detect (auto) + mtcnn-onet + fr-feature (bicubic warp)', config: { ...FRD, landmarks: 'mtcnn-onet', ...FR, interpolation: 'bicubic' } },
  { name: 'fr-detect (auto) + mtcnn-onet + fr-feature (area warp)', config: { ...FRD, landmarks: 'mtcnn-onet', ...FR, interpolation: 'area' } },
  { name: 'fr-detect (auto) + mtcnn-onet + fr-feature (sharpen 0.5)', config: { ...FRD, landmarks: 'mtcnn-onet', ...FR, sharpen: 0.5 } },
  { name: 'fr-detect (auto) + mtcnn-onet + fr-feature (bicubic warp + sharpen 0.5)', config: { ...FRD, landmarks: 'mtcnn-onet', ...FR, interpolation: 'bicubic', sharpen: 0.5 } },
  { name: 'fr-detect (auto) + mtcnn-onet + expo-mobilefacenet', config: { ...FRD, landmarks: 'mtcnn-onet', embedderModel: 'expo-mobilefacenet' } },
  { name: 'fr-detect (auto) + fr-landmark + fr-feature', config: { ...FRD, landmarks: 'fr-landmark', ...FR } },
  { name: 'blazeface-back (auto) + mtcnn-onet + fr-feature', config: { ...BB, landmarks: 'mtcnn-onet', ...FR } },
  { name: 'blazeface-back (auto) + fr-feature', config: { ...BB, ...FR } },
  { name: 'fr-detect (auto) + faceapi-landmarks68 + fr-feature', config: { ...FRD, landmarks: 'faceapi-landmarks68', ...FR } },
  { name: 'blazeface-back (auto) + faceapi-resnet', config: { ...BB, embedderModel: 'faceapi-resnet' } },
  { name: 'yunet (fixture, auto) + fr-feature', config: (s) => ({ detector: 'yunet', detectorModel: fixture(s, 'yunet.onnx'), ...FR }) },
  { name: 'blazeface-back (tiles 32) + mtcnn-onet + fr-feature', config: { ...BB, tile: true, landmarks: 'mtcnn-onet', ...FR } },
];
