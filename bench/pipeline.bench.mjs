// The live pipeline on 1080p25 H.264 (needs ../shared and ffmpeg): lfw-dev
// people walking across a crowd photo (wild_17.jpg, hundreds of small
// faces), faces 28 -> 90 px, 8 walkers of whom 4 enrolled, 20 s.
// Models: YuNet + MobileFaceNet-128 from ../shared (the threshold calibrated
// on 300 non-mated lfw-dev faces, test/helpers/walk-video.mjs).
//
// 1. Streams in real time (STREAMS, default "1,2,4"): the same video as N
//    live streams at 25 fps; per run: frames offered, processed, dropped,
//    processed / offered, enrolled walkers found, and the latency from a
//    walker's first frame to its first alert (p50, p95 over walkers x
//    streams), busy time per stage (decode = ffmpeg CPU; detect, embed,
//    match, track + quality = time inside those calls), embeddings made
//    against faces seen.
// 2. Offline throughput, one stream, every frame: frames per second.
// 3. Peers on frames of the same video, in the same run: @vladmandic/face-api
//    (SSD MobileNetV1 + 68 landmarks + ResNet descriptor per face) and
//    @vladmandic/human (BlazeFace + FaceRes description), TensorFlow.js with
//    the WASM backend, detect + describe every face of a frame.
// Usage: node bench/run.mjs pipeline   (STREAMS=1,2,4 SECONDS=20 PEER_FRAMES=4; the first peer frame is a warm-up)
import { readFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import path from 'node:path';
import { report, repoRoot, sharedDir } from './util.mjs';

const require = createRequire(import.meta.url);
const lfw = path.join(sharedDir, 'data', 'lfw-dev', 'images');
if (!existsSync(lfw)) {
  console.log(`pipeline: needs ../shared at ${sharedDir}; skipped`);
  process.exit(0);
}
const lib = await import(path.join(repoRoot, 'dist', 'index.js'));
const { createPipeline } = await import(path.join(repoRoot, 'dist', 'pipeline', 'index.js'));
const { Tracker } = await import(path.join(repoRoot, 'dist', 'pipeline', 'tracker.js'));
const { VideoSource } = await import(path.join(repoRoot, 'dist', 'pipeline', 'source.js'));
const { buildWalkVideo, enrolAndCalibrate, walkerList } = await import(path.join(repoRoot, 'test', 'helpers', 'walk-video.mjs'));

const STREAMS = (process.env.STREAMS ?? '1,2,4').split(',').map(Number);
const SECONDS = Number(process.env.SECONDS ?? 20);
const PEER_FRAMES = Number(process.env.PEER_FRAMES ?? 4);
const list = walkerList(lfw, 8, 60);
const video = await buildWalkVideo({
  scene: path.join(sharedDir, 'data', 'scenes', 'wild_17.jpg'),
  width: 1920,
  height: 1080,
  seconds: SECONDS,
  walkers: list.map(({ id, file, enrolled, lane }) => ({ id, file, enrolled, lane })),
});
const detector = await lib.Detector.load({ family: 'yunet', model: path.join(sharedDir, 'models', 'yunet.onnx'), workers: 1, intraOpNumThreads: 2 });
const embedder = await lib.Embedder.load({ model: path.join(sharedDir, 'models', 'mobilefacenet-128.onnx'), mean: 127.5, std: 128, workers: 1, intraOpNumThreads: 1 });
const watchlist = await enrolAndCalibrate(lib, detector, embedder, lfw, list);
const enrolled = video.walkers.filter((w) => w.enrolled);

// Busy time per stage: wrap the calls the pipeline makes.
const busy = { detect: 0, embed: 0, match: 0, track: 0 };
const wrap = (obj, name, stage) => {
  const f = obj[name].bind(obj);
  obj[name] = async (...a) => {
    const t = performance.now();
    try {
      return await f(...a);
    } finally {
      busy[stage] += performance.now() - t;
    }
  };
};
wrap(detector, 'detect', 'detect');
wrap(embedder, 'embed', 'embed');
wrap(watchlist, 'match', 'match');
const upd = Tracker.prototype.update;
Tracker.prototype.update = function (...a) {
  const t = performance.now();
  try {
    return upd.apply(this, a);
  } finally {
    busy.track += performance.now() - t;
  }
};
const childCpuMs = () => {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return ((Number(f[13]) + Number(f[14])) * 1000) / 100; // cutime + cstime, clock ticks of 10 ms
};

const q = (xs, p) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] : NaN);
const rows = [];
for (const n of STREAMS) {
  for (const k of Object.keys(busy)) busy[k] = 0;
  const cpu0 = process.cpuUsage();
  const child0 = childCpuMs();
  const pipeline = await createPipeline({ detector, embedder, watchlist });
  const started = new Map();
  const firstAlert = new Map();
  pipeline.on('alert', (a) => {
    const key = `${a.streamId}/${a.watchlistId}`;
    if (!firstAlert.has(key)) firstAlert.set(key, Date.now());
  });
  const t0 = Date.now();
  for (let s = 0; s < n; s++) {
    const id = `cam${s + 1}`;
    pipeline.on('end', () => {});
    pipeline.addStream(id, video.file);
    started.set(id, Date.now());
  }
  // The first frame of a file source arrives when ffmpeg has started; take the stream's start from its first frame.
  const firstFrame = new Map();
  const poll = setInterval(() => {
    for (const st of pipeline.status()) if (st.frames > 0 && !firstFrame.has(st.id)) firstFrame.set(st.id, Date.now() - (st.frames - 1) * (1000 / video.fps));
  }, 10);
  await pipeline.ended();
  clearInterval(poll);
  const wall = (Date.now() - t0) / 1000;
  const status = pipeline.status();
  await pipeline.close();
  const cpu = process.cpuUsage(cpu0);
  const decodeMs = childCpuMs() - child0;
  const latencies = [];
  let found = 0;
  for (const st of status) {
    for (const w of enrolled) {
      const at = firstAlert.get(`${st.id}/${w.id}`);
      if (at === undefined) continue;
      found++;
      latencies.push((at - (firstFrame.get(st.id) + (w.start * 1000) / video.fps)) / 1000);
    }
  }
  latencies.sort((a, b) => a - b);
  const sum = (k) => status.reduce((a, s) => a + s[k], 0);
  const total = busy.detect + busy.embed + busy.match + busy.track + decodeMs;
  const pct = (v) => `${Math.round((100 * v) / total)}%`;
  rows.push({
    streams: n,
    offered: sum('frames'),
    processed: sum('processed'),
    dropped: sum('dropped'),
    'processed/offered': (sum('processed') / sum('frames')).toFixed(2),
    'walkers found': `${found}/${enrolled.length * n}`,
    'latency p50 (s)': q(latencies, 0.5)?.toFixed(2),
    'latency p95 (s)': q(latencies, 0.95)?.toFixed(2),
    'decode/detect/embed/match/track': [decodeMs, busy.detect, busy.embed, busy.match, busy.track].map(pct).join(' '),
    embeddings: sum('embeddings'),
    'faces seen': sum('faces'),
    'process CPU s': ((cpu.user + cpu.system) / 1e6).toFixed(1),
    'wall s': wall.toFixed(1),
  });
  console.log(JSON.stringify(rows[rows.length - 1]));
}

// Offline throughput: one stream, every frame.
{
  const pipeline = await createPipeline({ detector, embedder, watchlist, realtime: false });
  const t0 = performance.now();
  pipeline.addStream('offline', video.file);
  await pipeline.ended();
  const s = pipeline.status('offline');
  await pipeline.close();
  const fps = s.processed / ((performance.now() - t0) / 1000);
  rows.push({ streams: 'offline x1', offered: s.frames, processed: s.processed, dropped: s.dropped, 'processed/offered': (s.processed / s.frames).toFixed(2), 'fps (every frame)': fps.toFixed(1), embeddings: s.embeddings, 'faces seen': s.faces });
  console.log(JSON.stringify(rows[rows.length - 1]));
}
await detector.close();
await embedder.close();

// Peers on the same frames (RGB, decoded once).
const frames = [];
await new Promise((resolve) => {
  const src = new VideoSource(video.file, { realtime: false });
  src.on('frame', async (f) => {
    if (frames.length < PEER_FRAMES && f.index % 25 === 12) frames.push(await lib.convertColor({ data: f.data, width: f.width, height: f.height, format: 'nv12' }, 'rgb'));
    src.release(f);
  });
  src.on('end', resolve);
  src.start();
});
const peers = [];
try {
  require('@tensorflow/tfjs');
  require('@tensorflow/tfjs-backend-wasm');
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
  await faceapi.tf.setBackend('wasm');
  await faceapi.tf.ready();
  const dir = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(dir);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(dir);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(dir);
  const opts = new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5, maxResults: 500 });
  const times = [];
  let faces = 0;
  for (const [i, f] of frames.entries()) {
    const t = faceapi.tf.tensor3d(f.data, [f.height, f.width, 3], 'int32');
    const s = performance.now();
    const r = await faceapi.detectAllFaces(t, opts).withFaceLandmarks().withFaceDescriptors();
    if (i > 0) times.push(performance.now() - s); // the first frame warms up
    faces += r.length;
    t.dispose();
  }
  const ms = times.reduce((a, b) => a + b, 0) / times.length;
  peers.push({ peer: '@vladmandic/face-api (tfjs-wasm): SSD + landmarks + descriptor', 'ms per frame': ms.toFixed(0), fps: (1000 / ms).toFixed(2), 'faces per frame': (faces / frames.length).toFixed(0) });
} catch (err) {
  console.log(`peer face-api not run: ${err.message.split('\n')[0]}`);
}
try {
  // Human's package.json "exports" has no valid subpath for its WASM build (keys without "./"): load the file itself.
  const { Human } = require(path.join(repoRoot, 'node_modules', '@vladmandic', 'human', 'dist', 'human.node-wasm.js'));
  const modelDir = path.join(repoRoot, 'node_modules', '@vladmandic', 'human-models', 'models');
  // Human loads models with fetch(): serve them over local HTTP.
  const server = createServer((req, res) => {
    try {
      res.end(readFileSync(path.join(modelDir, path.basename(decodeURIComponent(req.url.split('?')[0])))));
    } catch {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const human = new Human({
    backend: 'wasm',
    modelBasePath: `http://127.0.0.1:${server.address().port}/`,
    wasmPath: `file://${path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`,
    debug: false,
    face: { enabled: true, detector: { rotation: false, maxDetected: 500, minConfidence: 0.5 }, mesh: { enabled: true }, iris: { enabled: false }, description: { enabled: true }, emotion: { enabled: false }, antispoof: { enabled: false }, liveness: { enabled: false } },
    body: { enabled: false },
    hand: { enabled: false },
    object: { enabled: false },
    gesture: { enabled: false },
    segmentation: { enabled: false },
    filter: { enabled: false },
  });
  await human.load();
  const times = [];
  let faces = 0;
  for (const [i, f] of frames.entries()) {
    const t = human.tf.tensor(f.data, [1, f.height, f.width, 3], 'float32');
    const s = performance.now();
    const r = await human.detect(t);
    if (i > 0) times.push(performance.now() - s);
    faces += r.face.length;
    human.tf.dispose(t);
  }
  server.close();
  const ms = times.reduce((a, b) => a + b, 0) / times.length;
  peers.push({ peer: `@vladmandic/human ${human.version} (tfjs-wasm): BlazeFace + mesh + FaceRes`, 'ms per frame': ms.toFixed(0), fps: (1000 / ms).toFixed(2), 'faces per frame': (faces / frames.length).toFixed(0) });
} catch (err) {
  console.log(`peer human not run: ${err.message.split('\n')[0]}`);
}
const offline = rows.find((r) => r.streams === 'offline x1');
for (const p of peers) p['livefr offline fps / peer fps'] = (Number(offline['fps (every frame)']) / Number(p.fps)).toFixed(1);
console.table(peers);
const load = loadavg().map((v) => v.toFixed(1)).join(' ');
console.log(`threshold ${watchlist.threshold} (calibrated); load average during the run: ${load} (figures taken while other work ran are noisy)`);
report('pipeline', rows, { peers, video: { width: video.width, height: video.height, fps: video.fps, frames: video.frames, walkers: video.walkers.length }, loadAverage: load });
