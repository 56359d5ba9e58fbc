// Embedding latency per face for mobilefacenet-128 (../shared fixture):
// alignment + inference + normalisation, 1 and 8 faces per call, and the
// model run alone (embedAligned) for comparison.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Detector, Embedder, alignFaces, loadImage } from '../dist/index.js';
import { fmt, report, sharedDir, time } from './util.mjs';

const model = path.join(sharedDir, 'models', 'mobilefacenet-128.onnx');
const detModel = path.join(sharedDir, 'models', 'yunet.onnx');
const image = path.join(sharedDir, 'data', 'lfw-dev', 'images', 'Abel_Pacheco', 'Abel_Pacheco_0001.jpg');
if (!existsSync(model) || !existsSync(detModel) || !existsSync(image)) {
  console.log(`embed bench skipped: needs ../shared (models and data) at ${sharedDir}`);
  process.exit(0);
}

const frame = await loadImage(image);
const detector = await Detector.load({ family: 'yunet', model: detModel, inputSize: [256, 256] });
const [face] = await detector.detect(frame, { tile: false });
await detector.close();
if (!face) throw new Error('no face detected in the bench image');

const rows = [];
// Default: 1 worker, 1 intra-op thread. ORT's intra-op threads spin: on a
// busy 2-core machine 2 threads per session are much slower, not faster.
for (const [workers, threads] of [[1, 1], [1, 2], [2, 1]]) {
  const embedder = await Embedder.load({ family: 'arcface', model, mean: 127, std: 128, workers, intraOpNumThreads: threads });
  const tag = `${workers} worker(s) x ${threads} thread(s)`;
  const opts = { iterations: 40, warmup: 5, minMs: 2000 };
  const one = await time(() => embedder.embed(frame, [face]), opts);
  rows.push({ case: `embed 1 face/call, ${tag}`, perCall: fmt(one.p50), perFace: fmt(one.p50), mean: fmt(one.mean) });
  const faces8 = Array(8).fill(face);
  const eight = await time(() => embedder.embed(frame, faces8), { ...opts, iterations: 10 });
  rows.push({ case: `embed 8 faces/call, ${tag}`, perCall: fmt(eight.p50), perFace: fmt(eight.p50 / 8), mean: fmt(eight.mean) });
  if (workers === 1 && threads === 1) {
    const aligned = await alignFaces(frame, [face], { mean: 127, std: 128 });
    const run = await time(() => embedder.embedAligned(aligned, 1), opts);
    rows.push({ case: 'embedAligned 1 face (model run + transfer only)', perCall: fmt(run.p50), perFace: fmt(run.p50), mean: fmt(run.mean) });
    const al = await time(() => alignFaces(frame, [face], { mean: 127, std: 128 }, aligned), opts);
    rows.push({ case: 'alignFaces 1 face (native warp only)', perCall: fmt(al.p50), perFace: fmt(al.p50), mean: fmt(al.mean) });
  }
  await embedder.close();
}
report('embed', rows, { model: 'mobilefacenet-128', input: '112x112', dim: 128 });
