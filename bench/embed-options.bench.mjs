// Cost per face of the embedding options measured on the live-like protocol
// (docs/models.md, "Tuning around the models"): the default fr-feature, its
// warp variants (bicubic, sharpen), flip-averaged, faceapi-resnet alone and
// the fused fr-feature + faceapi-resnet and fr-feature + expo-mobilefacenet
// embedders. Faces: 8 detections of
// ../shared/data/scenes/wild_1.jpg (a crowd: small faces) with the default
// detector and landmark stage, 8 per call; 1 inference worker with 1 thread
// per model (the defaults); median of 12 interleaved rounds per case.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Detector, Embedder, loadImage } from '../dist/index.js';
import { fmt, report, sharedDir } from './util.mjs';

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
  ['expo-mobilefacenet', { model: 'expo-mobilefacenet' }],
  ['fused fr-feature + expo-mobilefacenet', { fuse: [{ model: 'fr-feature' }, { model: 'expo-mobilefacenet' }] }],
];
// Cases interleaved round by round (not one after another), so a change of
// load on a shared machine shifts every case alike and the ratios hold.
const loaded = [];
for (const [name, options] of CASES) loaded.push({ name, e: await Embedder.load({ ...options, workers: 1, intraOpNumThreads: 1 }), ms: [] });
for (const c of loaded) for (let i = 0; i < 3; i++) await c.e.embed(frame, faces);
for (let round = 0; round < 12; round++) {
  for (const c of loaded) {
    const t0 = performance.now();
    await c.e.embed(frame, faces);
    c.ms.push(performance.now() - t0);
  }
}
const median = (a) => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
const base = median(loaded[0].ms) / faces.length;
const rows = loaded.map((c) => {
  const perFace = median(c.ms) / faces.length;
  return { case: c.name, perFace: fmt(perFace), vsDefault: `${(perFace / base).toFixed(2)}x`, perCall: fmt(median(c.ms)) };
});
for (const c of loaded) await c.e.close();
report('embed-options', rows, { faces: faces.length, medianFaceWidth: Math.round(width), image: 'scenes/wild_1.jpg' });
