#!/usr/bin/env node
// Memory bounds (issue 7, item 8), run in a child process because the
// faults they guard against took gigabytes (a 4096x4096 frame tiled at
// smallestFace 4 passed 4 GB; embed() of 5,000 faces 1.58 GB) and could
// take the test runner down with them.
//
//   node test/helpers/bounds-child.mjs [--faces N]
//
// Prints one JSON line: { cases: { name: { error?: {name, code, parameter}, ok? } }, peakRssMiB, embedRows }.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const lf = await import(path.join(root, 'dist/index.js'));
const { GraphBuilder } = await import(path.join(root, 'dist/convert/onnx-builder.js'));
const { seededRandom } = await import(path.join(root, 'dist/util/random.js'));

const argv = process.argv.slice(2);
const faces = Number(argv[argv.indexOf('--faces') + 1] || 5000);

let peak = 0;
const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
const timer = setInterval(sample, 5);

const cases = {};
async function attempt(name, fn) {
  try {
    cases[name] = { ok: await fn() };
  } catch (e) {
    cases[name] = { error: { name: e?.name, code: e?.code, parameter: e?.parameter, message: String(e?.message).slice(0, 300) } };
  }
  sample();
}

/** A tiny recogniser with the shape of a real one: [N, 3, S, S] -> [N, 8] (channel means times a fixed matrix). */
function tinyEmbedder(size) {
  const g = new GraphBuilder('tiny-embedder');
  const x = g.input('input', ['N', 3, size, size]);
  const pooled = g.op('GlobalAveragePool', [x]);
  const flat = g.op('Flatten', [pooled], { axis: 1 });
  const r = seededRandom(3);
  const w = g.floats('w', Array.from({ length: 24 }, () => r() - 0.5), [3, 8]);
  const y = g.op('Add', [g.op('MatMul', [flat, w]), g.floats('b', Array.from({ length: 8 }, (_, i) => 0.1 + i / 10), [8])]);
  g.output(y, 'embedding');
  return g.toBytes();
}

const big = { data: new Uint8Array(4096 * 4096 * 3), width: 4096, height: 4096, format: 'rgb' };
const detector = await lf.Detector.load({});
try {
  await attempt('detect 4096x4096 tile: true smallestFace 4', () => detector.detect(big, { tile: true, smallestFace: 4 }).then((f) => f.length));
  await attempt('detect 4096x4096 tile: auto smallestFace 4 maxTiles 255', () => detector.detectWithInfo(big, { smallestFace: 4, maxTiles: 255 }).then((r) => r.info.passes));
} finally {
  await detector.close();
}
await attempt('letterbox 8192 x 8192 tensor', () => lf.letterbox({ data: new Uint8Array(64 * 64 * 3), width: 64, height: 64, format: 'rgb' }, { width: 8192, height: 8192 }).then(() => 'filled'));
const lm = new Float32Array(600 * 10);
for (let i = 0; i < 600; i++) lm.set([30, 30, 60, 30, 45, 45, 35, 60, 55, 60], i * 10);
await attempt('alignFaces size 2048 x 600 faces', () => lf.alignFaces({ data: new Uint8Array(100 * 100 * 3), width: 100, height: 100, format: 'rgb' }, lm, { size: 2048 }).then(() => 'aligned'));

// embed() of many faces runs in bounded batches: 5,000 faces of 112 x 112 would be 750 MB of input at once.
const embedder = await lf.Embedder.load({ model: tinyEmbedder(112), mean: 127.5, std: 128 });
const frame = { data: new Uint8Array(640 * 480 * 3), width: 640, height: 480, format: 'rgb' };
const rand = seededRandom(11);
for (let i = 0; i < frame.data.length; i++) frame.data[i] = Math.floor(rand() * 256);
const many = Array.from({ length: faces }, (_, i) => ({
  box: { x: (i * 7) % 560, y: (i * 13) % 400, width: 60 + (i % 20), height: 70 },
  score: 0.9,
  landmarks: [],
}));
const before = process.memoryUsage().rss;
peak = before;
let rows = 0;
await attempt(`embed ${faces} faces`, async () => {
  const e = await embedder.embed(frame, many);
  rows = e.length / embedder.dim;
  return rows;
});
const embedPeakMiB = (peak - before) / 2 ** 20;
await embedder.close();
clearInterval(timer);
console.log(JSON.stringify({ cases, peakRssMiB: Math.round(peak / 2 ** 20), embedPeakMiB: Math.round(embedPeakMiB), embedRows: rows }));
