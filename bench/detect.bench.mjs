// Detector latency per family: one whole-frame pass at the family's standard
// size (bbt1.jpg, 1366x768, tile: false), then a 1920x1080 frame with the
// default tiling for 32 px faces. End to end: native letterbox, ONNX Runtime
// in one worker (2 intra-op threads), native decode + NMS. Also the native
// post-processing alone, and face-api's SSD MobileNetV1 on tfjs-wasm as the
// peer users would otherwise reach for in Node (when installed).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fmt, report, sharedDir, time, repoRoot } from './util.mjs';

const models = path.join(sharedDir, 'models');
const scenes = path.join(sharedDir, 'data', 'scenes');
if (!existsSync(path.join(models, 'yunet.onnx')) || !existsSync(path.join(scenes, 'bbt1.jpg'))) {
  console.log(`detect: skipped, needs ../shared (models and scenes) at ${sharedDir}`);
  process.exit(0);
}

const { Detector, loadImage } = await import(path.join(repoRoot, 'dist', 'index.js'));
const require = createRequire(path.join(repoRoot, 'package.json'));
const sharp = require('sharp');

const FAMILIES = [
  ['yunet', 'yunet.onnx'],
  ['scrfd', 'scrfd-500m-kps.onnx'],
  ['scrfd', 'scrfd-2.5g-kps.onnx'],
  ['retinaface', 'retinaface-mnet025.onnx'],
  ['ultraface', 'ultraface-rfb-320.onnx'],
  ['ultraface', 'ultraface-rfb-640.onnx'],
];

const bbt1 = await loadImage(path.join(scenes, 'bbt1.jpg'));
// A 1920x1080 frame from the large group selfie (2048x1150), resized.
const hd = await (async () => {
  const { data, info } = await sharp(path.join(scenes, 'selfie.jpg')).resize(1920, 1080, { fit: 'fill' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, format: 'rgb' };
})();

/**
 * Wall-clock percentiles plus CPU time per call (user + system of the whole
 * process: main thread, inference worker, libuv pool). On a shared machine
 * the wall figures grow with other people's load; CPU time much less so.
 */
async function measure(fn, iterations, warmup) {
  const c0 = process.cpuUsage();
  const t = await time(fn, { iterations, warmup });
  const c = process.cpuUsage(c0);
  return { ...t, cpu: (c.user + c.system) / 1000 / (iterations + warmup) };
}

const rows = [];
for (const [family, file] of FAMILIES) {
  const det = await Detector.load({ family, model: path.join(models, file), workers: 1 });
  let faces = 0;
  const whole = await measure(async () => {
    faces = (await det.detect(bbt1, { tile: false })).length;
  }, 30, 3);
  const input = (await det.detectWithInfo(bbt1, { tile: false })).info.inputSizes[0].join('x');
  rows.push({ model: file, frame: '1366x768', tiling: 'off', input, passes: 1, faces, p50: fmt(whole.p50), p90: fmt(whole.p90), cpu: fmt(whole.cpu) });
  let hdFaces = 0;
  const tiled = await measure(async () => {
    hdFaces = (await det.detect(hd)).length;
  }, 10, 2);
  const { info } = await det.detectWithInfo(hd);
  rows.push({
    model: file,
    frame: '1920x1080',
    tiling: 'auto (32 px)',
    input: info.inputSizes[info.inputSizes.length - 1].join('x'),
    passes: info.passes,
    faces: hdFaces,
    p50: fmt(tiled.p50),
    p90: fmt(tiled.p90),
    cpu: fmt(tiled.cpu),
  });
  const off = await measure(async () => {
    await det.detect(hd, { tile: false });
  }, 10, 2);
  rows.push({ model: file, frame: '1920x1080', tiling: 'off', input: (await det.detectWithInfo(hd, { tile: false })).info.inputSizes[0].join('x'), passes: 1, faces: (await det.detect(hd, { tile: false })).length, p50: fmt(off.p50), p90: fmt(off.p90), cpu: fmt(off.cpu) });
  await det.close();
  console.error(`done ${file}`);
}

// Native post-processing alone (decode + NMS of SCRFD-500M outputs).
{
  const { InferencePool } = await import(path.join(repoRoot, 'dist', 'index.js'));
  const { letterbox } = await import(path.join(repoRoot, 'dist', 'preprocess.js'));
  const { detect: { postprocess } } = await import(path.join(repoRoot, 'dist', 'native', 'index.js'));
  const pool = await InferencePool.create(path.join(models, 'scrfd-500m-kps.onnx'));
  const lb = await letterbox(bbt1, { width: 640, height: 640, mean: 127.5, std: 128 });
  const r = await pool.run({ images: { data: lb.tensor, dims: [1, 3, 640, 640] } });
  const outputs = pool.outputNames.map((n) => r.outputs[n].data);
  const job = {
    family: 'scrfd', landmarks: true, minScore: 0.5, iouThreshold: 0.4, minFaceSize: 0, maxFaces: 0,
    clipWidth: bbt1.width, clipHeight: bbt1.height,
    passes: [{ inputWidth: 640, inputHeight: 640, outputs, scale: lb.scale, padX: 0, padY: 0, originX: 0, originY: 0 }],
  };
  const t = await measure(() => postprocess(job), 200, 20);
  rows.push({ model: 'scrfd-500m (decode+NMS only)', frame: '1366x768', tiling: 'off', input: '640x640', passes: 1, faces: (await postprocess(job)).length / 15, p50: fmt(t.p50), p90: fmt(t.p90), cpu: fmt(t.cpu) });
  await pool.close();
}

// Peer: @vladmandic/face-api SSD MobileNetV1 on tfjs + wasm backend.
try {
  const tf = require('@tensorflow/tfjs');
  require('@tensorflow/tfjs-backend-wasm');
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
  await faceapi.tf.setBackend('wasm');
  await faceapi.tf.ready();
  const modelDir = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
  const tensor = faceapi.tf.tensor3d(bbt1.data, [bbt1.height, bbt1.width, 3], 'int32');
  const opts = new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5 });
  let faces = 0;
  const t = await measure(async () => {
    faces = (await faceapi.detectAllFaces(tensor, opts)).length;
  }, 20, 3);
  rows.push({ model: `face-api SSD (tfjs-wasm ${faceapi.tf.version_core ?? tf.version_core})`, frame: '1366x768', tiling: 'off', input: '512x512', passes: 1, faces, p50: fmt(t.p50), p90: fmt(t.p90), cpu: fmt(t.cpu) });
  tensor.dispose();
} catch (err) {
  console.log(`peer face-api (tfjs-wasm) not run: ${err.message.split('\n')[0]}`);
}

// Other work on the machine inflates every figure: the load is recorded with them.
const load = loadavg().map((v) => v.toFixed(1)).join(' ');
console.log(`load average during the run: ${load}`);
report('detect', rows, { machine: `${process.platform}-${process.arch}, node ${process.versions.node}`, loadAverage: load });
