// Cost per face of the embedding options measured on the live-like protocol
// (docs/models.md, "Tuning around the models"): the default fr-feature, its
// warp variants (bicubic, sharpen), flip-averaged, faceapi-resnet alone and
// the fused fr-feature + faceapi-resnet embedder. Faces: 8 detections of
// ../shared/data/scenes/wild_1.jpg (a crowd: small faces) with the default
// detector and landmark stage, 8 per call; 1 inference worker with 1 thread
// per model (the defaults), each case in this one process one after another.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Detector, Embedder, loadImage } from '../dist/index.js';
import { fmt, report, sharedDir, time } from './util.mjs';

const image = path.join(sharedDir, 'data', 'scenes', 'wild_1.jpg');
if (!existsSync(image)) {
  console.log(`embed-options bench skipped: needs ../shared/data/scenes at ${sharedDir}`);
  process.exit(0);
}
const frame = await loadImage(image);
const detector = await Detector.load({});
const found = await detector.detect(frame);
await detector.close();
const faces = found.filter((f) => f.landmarks.length === 5).slice(0, 8);
if (faces.length < 8) throw new Error(`expected 8 faces in ${image}, found ${faces.length}`);
const width = faces.map((f) => f.box.width).sort((a, b) => a - b)[4];

const CASES = [
  ['fr-feature (default: bilinear warp)', { model: 'fr-feature' }],
  ['fr-feature, bicubic warp', { model: 'fr-feature', interpolation: 'bicubic' }],
  ['fr-feature, area warp', { model: 'fr-feature', interpolation: 'area' }],
  ['fr-feature, sharpen 0.5', { model: 'fr-feature', sharpen: 0.5 }],
  ['fr-feature, flip-averaged', { model: 'fr-feature', flip: true }],
  ['faceapi-resnet', { model: 'faceapi-resnet' }],
  ['fused fr-feature + faceapi-resnet', { fuse: [{ model: 'fr-feature' }, { model: 'faceapi-resnet' }] }],
];
const rows = [];
let base;
for (const [name, options] of CASES) {
  const e = await Embedder.load({ ...options, workers: 1, intraOpNumThreads: 1 });
  const t = await time(() => e.embed(frame, faces), { iterations: 15, warmup: 3, minMs: 1500 });
  await e.close();
  const perFace = t.p50 / faces.length;
  base ??= perFace;
  rows.push({ case: name, perFace: fmt(perFace), vsDefault: `${(perFace / base).toFixed(2)}x`, perCall: fmt(t.p50) });
}
report('embed-options', rows, { faces: faces.length, medianFaceWidth: Math.round(width), image: 'scenes/wild_1.jpg' });
