/** The detector x embedder pairs scripts/measure-live.mjs measures (names are the docs/models.md rows). */
import path from 'node:path';
const fixture = (shared, f) => path.join(shared, 'models', f);
export const PAIRS = [
  { name: 'blazeface-back + faceapi-resnet', config: { detectorModel: 'blazeface-back', embedderModel: 'faceapi-resnet' } },
  { name: 'yunet (fixture) + faceapi-resnet', config: (s) => ({ detector: 'yunet', detectorModel: fixture(s, 'yunet.onnx'), embedderModel: 'faceapi-resnet' }) },
];
