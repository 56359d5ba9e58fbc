// The live pipeline on 1080p25 H.264 with the default models (needs ../shared
// and ffmpeg). The issue's case: lfw-dev people walking across a crowd photo
// (wild_1.jpg, about 50 faces of its own), faces growing from 28 to 90 px,
// WALKERS (12) walkers of whom half are enrolled, 20 s. Stress case: the
// same walkers over wild_17.jpg (about 400 detected faces per frame).
// Models: the defaults as createPipeline loads them (fr-detect with the
// pipeline's tiling plan + mtcnn-onet landmarks, fr-feature); the threshold
// the embedder's live operating point, as livefr enroll records it
// (THRESHOLD=fixture: calibrated on 300 non-mated lfw-dev faces,
// test/helpers/walk-video.mjs). False alerts: an
// alert whose box is not on the walker it names (another walker, or a face
// of the scene), printed one per line.
//
// 1. Reference: one stream offline (every frame detected with the whole
//    tiling plan, no motion gate): the frame of each enrolled walker's first
//    alert, frames per second.
// 2. Streams in real time (STREAMS, default "1,2,4"), files played at 25 fps:
//    frames offered, detected, tracked only, dropped; the decoders' rate;
//    walkers found and false alerts; alert latency from a walker's first
//    frame (p50, p95 over walkers x streams, wall clock), and over the
//    reference's alert frame (what detecting fewer frames costs); CPU
//    share per stage from per-thread CPU time (decode = the ffmpeg
//    children; detect = the detector's and landmark stage's workers; embed =
//    the embedder's workers; native = libuv threads: letterbox, crops,
//    sharpness, FAISS matching; main = the JS thread: pipe reads, tracker,
//    quality, decisions); embeddings against faces seen; major (mark-compact)
//    garbage collections a second of the main isolate. The live runs use the
//    pipeline's default motion-gated detection; MOTION=0 turns it off
//    (`motion: false`: the whole plan on every detected frame).
// 3. Stress: 4 streams over wild_17.
// 4. Peers on frames of the same video, in the same run: @vladmandic/face-api
//    (SSD MobileNetV1 + 68 landmarks + ResNet descriptor per face) and
//    @vladmandic/human (BlazeFace + FaceRes description), TensorFlow.js with
//    the WASM backend, detect + describe every face of a frame.
// Usage: node bench/run.mjs pipeline   (STREAMS=1,2,4 SECONDS=20 WALKERS=12 PEER_FRAMES=3 STRESS=1
//        REFERENCE=1 MOTION=1 MOSAIC=0 SMALLEST=48 DEBLOCK=1 CADENCE= RUNS=1 CONCURRENCY=1 EMBED_WORKERS=2 THRESHOLD=live|fixture; about 8 minutes on the idle machine)
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { availableParallelism, loadavg } from 'node:os';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import path from 'node:path';
import { childCpuMs, report, repoRoot, sharedDir } from './util.mjs';

const require = createRequire(import.meta.url);
const lfw = path.join(sharedDir, 'data', 'lfw-dev', 'images');
if (!existsSync(lfw)) {
  console.log(`pipeline: needs ../shared at ${sharedDir}; skipped`);
  process.exit(0);
}
const lib = await import(path.join(repoRoot, 'dist', 'index.js'));
const { createPipeline, DEFAULT_MODELS_PLAN } = await import(path.join(repoRoot, 'dist', 'pipeline', 'index.js'));
const { Tracker } = await import(path.join(repoRoot, 'dist', 'pipeline', 'tracker.js'));
const { VideoSource } = await import(path.join(repoRoot, 'dist', 'pipeline', 'source.js'));
const { buildWalkVideo, enrolAndCalibrate, walkerList, walkerOfBox } = await import(path.join(repoRoot, 'test', 'helpers', 'walk-video.mjs'));

const STREAMS = (process.env.STREAMS ?? '1,2,4').split(',').filter(Boolean).map(Number);
const SECONDS = Number(process.env.SECONDS ?? 20);
const WALKERS = Number(process.env.WALKERS ?? 12);
const PEER_FRAMES = Number(process.env.PEER_FRAMES ?? 3);
const STRESS = process.env.STRESS !== '0';
const CONCURRENCY = process.env.CONCURRENCY ? Number(process.env.CONCURRENCY) : undefined;
const EMBED_WORKERS = Number(process.env.EMBED_WORKERS ?? Math.min(2, availableParallelism()));
const REFERENCE = process.env.REFERENCE !== '0';
// MOTION=0: live runs without motion-gated detection (the pipeline's `motion` option, on by default), to compare.
const MOTION = process.env.MOTION !== '0';
// MOSAIC=1: the gate's regions run as mosaic passes (`detect: { mosaic: true }`), to compare with the tiles.
const MOSAIC = process.env.MOSAIC === '1';
// SMALLEST=px: the plan's smallestFace (default the pipeline's DEFAULT_MODELS_PLAN, 48), for every run, the reference's too.
const SMALLEST = process.env.SMALLEST === undefined ? undefined : Number(process.env.SMALLEST);
if (SMALLEST !== undefined && !(Number.isFinite(SMALLEST) && SMALLEST >= 8 && SMALLEST <= 1000)) throw new RangeError(`SMALLEST: expected a face size in pixels from 8 to 1000 but received ${process.env.SMALLEST}`);
// DEBLOCK=0: the decoders skip H.264's in-loop filter (stream option `deblock: false`), every run.
const STREAM_OPTIONS = process.env.DEBLOCK === '0' ? { deblock: false } : {};
const PLAN = SMALLEST === undefined ? DEFAULT_MODELS_PLAN : { ...DEFAULT_MODELS_PLAN, smallestFace: SMALLEST };
// CADENCE=k,...: after the reference, offline runs detecting every k-th frame (realtime: false, so every run
// sees the same frames: a change's effect on what detection finds, without the machine's noise), each
// walker's alert frame against the reference's.
const CADENCE = (process.env.CADENCE ?? '').split(',').filter(Boolean).map(Number);
if (CADENCE.some((k) => !Number.isInteger(k) || k < 1 || k > 100)) throw new RangeError(`CADENCE: expected integers from 1 to 100 but received ${process.env.CADENCE}`);
// RUNS=n: each live case of STREAMS n times in a row, then a row of medians and ranges (the stress case once).
const RUNS = Number(process.env.RUNS ?? 1);
if (!Number.isInteger(RUNS) || RUNS < 1 || RUNS > 50) throw new RangeError(`RUNS: expected an integer from 1 to 50 but received ${process.env.RUNS}`);
const loads = [loadavg()[0]];
const list = walkerList(lfw, WALKERS, 60);
const walkVideo = (scene) =>
  buildWalkVideo({
    scene: path.join(sharedDir, 'data', 'scenes', scene),
    width: 1920,
    height: 1080,
    seconds: SECONDS,
    walkers: list.map(({ id, file, enrolled, lane }) => ({ id, file, enrolled, lane })),
  });
const video = await walkVideo('wild_1.jpg');
const stress = STRESS ? await walkVideo('wild_17.jpg') : null;

// Per-thread CPU (ms) of this process, and the CPU of reaped children (ffmpeg).
const TICK_MS = 10;
const threadCpu = () => {
  const m = new Map();
  for (const t of readdirSync('/proc/self/task')) {
    try {
      const f = readFileSync(`/proc/self/task/${t}/stat`, 'utf8').split(') ')[1].split(' ');
      m.set(Number(t), (Number(f[11]) + Number(f[12])) * TICK_MS);
    } catch {
      // the thread ended
    }
  }
  return m;
};
const cores = Math.max(1, availableParallelism());
// libuv's thread pool starts at its first use: start it now, so its threads are not taken for a model's.
await Promise.all(Array.from({ length: 8 }, () => readFile(path.join(repoRoot, 'package.json'))));
const before = new Set(threadCpu().keys());
// As createPipeline loads the defaults: the detector without its landmark stage, the stage on its own
// (run on the faces chosen for embedding only).
const inference = { workers: Math.min(4, cores), intraOpNumThreads: 1 };
const detector = await lib.Detector.load({ ...inference, landmarkStage: 'none' });
const { loadLandmarkStage } = await import(path.join(repoRoot, 'dist', 'detectors', 'landmark-stage.js'));
const { DEFAULTS: MODEL_DEFAULTS } = await import(path.join(repoRoot, 'dist', 'models', 'catalog.js'));
const landmarks = await loadLandmarkStage(MODEL_DEFAULTS.landmarks, inference);
const detectorThreads = new Set([...threadCpu().keys()].filter((t) => !before.has(t)));
const embedder = await lib.Embedder.load({ workers: EMBED_WORKERS, intraOpNumThreads: 1 });
const embedderThreads = new Set([...threadCpu().keys()].filter((t) => !before.has(t) && !detectorThreads.has(t)));
// Enrolment and calibration see the landmarks too (the embedder aligns on them).
const withLandmarks = { detect: async (img, o) => landmarks.refine(img, await detector.detect(img, o)) };
const watchlist = await enrolAndCalibrate(lib, withLandmarks, embedder, lfw, list);
// The alert threshold: the default embedder's live operating point (FPIR 1e-3 on the live-like protocol,
// docs/models.md), which livefr enroll records on a watchlist; THRESHOLD=fixture keeps the test fixture's
// calibration instead (the highest of 300 non-mated lfw-dev scores + 0.02, an FPIR of about 1/300 per face).
const fixtureThreshold = watchlist.threshold;
const { findSpec, DEFAULTS } = await import(path.join(repoRoot, 'dist', 'models', 'catalog.js'));
const liveThreshold = findSpec(DEFAULTS.embedder)?.live?.threshold;
if (process.env.THRESHOLD !== 'fixture' && liveThreshold) {
  watchlist.setThreshold(liveThreshold, { calibration: { targetFPIR: 1e-3, watchlistSize: watchlist.size, method: `${DEFAULTS.embedder} live operating point (docs/models.md)` } });
}
const enrolled = video.walkers.filter((w) => w.enrolled);
const stageOf = (tid) => (tid === process.pid ? 'main' : detectorThreads.has(tid) ? 'detect' : embedderThreads.has(tid) ? 'embed' : 'native');

// Time inside the tracker (main thread), for the main thread's share.
let trackMs = 0;
const upd = Tracker.prototype.update;
Tracker.prototype.update = function (...a) {
  const t = performance.now();
  try {
    return upd.apply(this, a);
  } finally {
    trackMs += performance.now() - t;
  }
};

const q = (xs, p) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] : NaN);
const fmt = (v, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : '-');
const options = {
  detector,
  embedder,
  landmarks,
  watchlist,
  detect: { ...PLAN, ...(MOSAIC ? { mosaic: true } : {}) },
  ...(CONCURRENCY ? { concurrency: CONCURRENCY } : {}),
  motion: MOTION,
};

/**
 * One offline run (every frame processed): each enrolled walker's first alert frame. The reference detects
 * every frame with the whole plan (no motion gate), so the live runs' delay over it includes what the gate
 * costs; CADENCE runs pass `{ detectEvery: k }`.
 */
async function reference(v, extra = { motion: false }) {
  const pipeline = await createPipeline({ ...options, realtime: false, ...extra });
  const first = new Map();
  let falseAlerts = 0;
  pipeline.on('alert', (a) => {
    const w = walkerOfBox(a.box, a.frame, v);
    if (!w || w.id !== a.watchlistId) falseAlerts++;
    else if (!first.has(w.id)) first.set(w.id, a.frame);
  });
  const t0 = performance.now();
  pipeline.addStream('offline', v.file, STREAM_OPTIONS);
  await pipeline.ended();
  const s = pipeline.status('offline');
  await pipeline.close();
  return { first, falseAlerts, status: s, fps: s.detected / ((performance.now() - t0) / 1000) };
}

// Major (mark-compact) collections of this process's main isolate, counted per live run: the garbage the
// pipeline makes per frame shows here (Node's own child pipes, 64 KiB per read, cost about 12 a second at 4
// streams before the sources read into their pools).
let majorGcs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (e.detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) majorGcs++;
}).observe({ entryTypes: ['gc'] });

async function live(v, n, ref, label) {
  trackMs = 0;
  majorGcs = 0;
  const cpu0 = threadCpu();
  const child0 = childCpuMs();
  const pipeline = await createPipeline(options);
  const firstAlert = new Map();
  let falseAlerts = 0;
  pipeline.on('alert', (a) => {
    const w = walkerOfBox(a.box, a.frame, v);
    if (!w || w.id !== a.watchlistId) {
      falseAlerts++;
      const named = v.walkers.find((x) => x.id === a.watchlistId);
      console.log(`false alert ${a.streamId} frame ${a.frame} track ${a.trackId}: ${a.watchlistId} (${named?.enrolled ? 'enrolled walker' : '?'}, on screen ${named && a.frame >= named.start && a.frame <= named.end}) score ${a.score.toFixed(3)} on ${w ? `walker ${w.id}` : 'a face of the scene'}, box ${Math.round(a.box.width)} px`);
      return;
    }
    const key = `${a.streamId}/${w.id}`;
    if (!firstAlert.has(key)) firstAlert.set(key, { wall: Date.now(), frame: a.frame });
  });
  pipeline.on('error', (e) => console.log(`stream error ${e.streamId}: ${e.message}`));
  const t0 = Date.now();
  for (let s = 0; s < n; s++) pipeline.addStream(`cam${s + 1}`, v.file, STREAM_OPTIONS);
  // Each stream's clock: the wall time of its frame 0, from its first status with frames.
  const firstFrame = new Map();
  const lastFrame = new Map();
  const poll = setInterval(() => {
    const now = Date.now();
    for (const st of pipeline.status()) {
      if (st.frames > 0 && !firstFrame.has(st.id)) firstFrame.set(st.id, now - (st.frames - 1) * (1000 / v.fps));
      if (st.frames > 0) lastFrame.set(st.id, { now, frames: st.frames });
    }
  }, 10);
  await pipeline.ended();
  clearInterval(poll);
  const wall = (Date.now() - t0) / 1000;
  const status = pipeline.status();
  await pipeline.close();
  const cpu1 = threadCpu();
  const stage = { decode: childCpuMs() - child0, detect: 0, embed: 0, native: 0, main: 0 };
  for (const [tid, ms] of cpu1) stage[stageOf(tid)] += ms - (cpu0.get(tid) ?? 0);
  const total = Object.values(stage).reduce((a, b) => a + b, 0);
  const latencies = [];
  const overRef = [];
  const frameDelays = [];
  for (const st of status) {
    for (const w of enrolled) {
      const at = firstAlert.get(`${st.id}/${w.id}`);
      if (!at) continue;
      const t0s = firstFrame.get(st.id);
      latencies.push((at.wall - (t0s + (w.start * 1000) / v.fps)) / 1000);
      frameDelays.push(at.frame - w.start);
      const r = ref.first.get(w.id);
      if (r !== undefined) overRef.push((at.wall - (t0s + (r * 1000) / v.fps)) / 1000);
    }
  }
  for (const xs of [latencies, overRef, frameDelays]) xs.sort((a, b) => a - b);
  // Per walker: first frame, the reference's alert frame, each stream's alert frame.
  for (const w of enrolled) {
    const per = status.map((st) => firstAlert.get(`${st.id}/${w.id}`)?.frame ?? '-').join(',');
    console.log(`  ${label} x${n} ${w.id}: appears at frame ${w.start}, reference alert ${ref.first.get(w.id) ?? '-'}, streams ${per}`);
  }
  const sum = (k) => status.reduce((a, s) => a + s[k], 0);
  const pct = (x) => `${Math.round((100 * x) / total)}%`;
  const decodeFps = status.map((st) => {
    const f = firstFrame.get(st.id);
    const l = lastFrame.get(st.id);
    return f && l && l.now > f ? (l.frames - 1) / ((l.now - f) / 1000) : NaN;
  });
  loads.push(loadavg()[0]);
  const row = {
    case: label,
    streams: n,
    offered: sum('frames'),
    detected: sum('detected'),
    'tracked only': sum('tracked'),
    dropped: sum('dropped'),
    'processed/offered': fmt(sum('processed') / sum('frames')),
    'detected share': fmt(sum('detected') / sum('frames')),
    'detections/s per stream': fmt(sum('detected') / n / SECONDS, 1),
    'decode fps (min of streams)': fmt(Math.min(...decodeFps), 1),
    'walkers found': `${latencies.length}/${enrolled.length * n}`,
    'reference found': `${ref.first.size}/${enrolled.length}`,
    'false alerts': falseAlerts,
    'latency p50/p95 (s)': `${fmt(q(latencies, 0.5))} / ${fmt(q(latencies, 0.95))}`,
    'over reference p50/p95 (s)': `${fmt(q(overRef, 0.5))} / ${fmt(q(overRef, 0.95))}`,
    'delay p50/p95 (frames)': `${q(frameDelays, 0.5) ?? '-'} / ${q(frameDelays, 0.95) ?? '-'}`,
    'CPU decode/detect/embed/native/main': [stage.decode, stage.detect, stage.embed, stage.native, stage.main].map(pct).join(' '),
    'CPU use (of the cores)': `${Math.round((100 * total) / (wall * 1000 * cores))}%`,
    'tracker ms': Math.round(trackMs),
    'major GCs per s': fmt(majorGcs / wall, 1),
    embeddings: sum('embeddings'),
    'faces seen': sum('faces'),
    'wall s': fmt(wall, 1),
  };
  // The figures RUNS > 1 summarises (not printed with the row).
  Object.defineProperty(row, 'raw', {
    enumerable: false,
    value: { det: sum('detected') / n / SECONDS, lat95: q(latencies, 0.95), over95: q(overRef, 0.95), delay95: q(frameDelays, 0.95), found: latencies.length, of: enrolled.length * n, falseAlerts },
  });
  return row;
}

/** RUNS > 1: one row of medians and ranges over a case's runs (a single run's p95 moves by seconds). */
function summary(label, n, runs) {
  const med = (xs) => {
    const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
    return v.length ? v[Math.floor((v.length - 1) / 2)] : NaN;
  };
  const span = (k, d) => {
    const v = runs.map((r) => r.raw[k]).filter(Number.isFinite);
    return v.length ? `${fmt(med(v), d)} (${fmt(Math.min(...v), d)}-${fmt(Math.max(...v), d)})` : '-';
  };
  return {
    case: `${label}: median (range) of ${runs.length} runs`,
    streams: n,
    'detections/s per stream': span('det', 1),
    'walkers found': `${Math.min(...runs.map((r) => r.raw.found))}-${Math.max(...runs.map((r) => r.raw.found))} of ${runs[0].raw.of}`,
    'false alerts': runs.reduce((a, r) => a + r.raw.falseAlerts, 0),
    'latency p95 (s)': span('lat95', 2),
    'over reference p95 (s)': span('over95', 2),
    'delay p95 (frames)': span('delay95', 0),
  };
}

const rows = [];
const ref = REFERENCE ? await reference(video) : { first: new Map(), falseAlerts: NaN, status: { frames: 0, detected: 0, embeddings: 0, faces: 0 }, fps: NaN };
const refRow = {
  case: 'wild_1 reference (offline, every frame)',
  streams: 'offline x1',
  offered: ref.status.frames,
  detected: ref.status.detected,
  'detected share': fmt(ref.status.detected / ref.status.frames),
  'walkers found': `${ref.first.size}/${enrolled.length}`,
  'false alerts': ref.falseAlerts,
  'delay p50/p95 (frames)': (() => {
    const d = [...ref.first.entries()].map(([id, f]) => f - enrolled.find((w) => w.id === id).start).sort((a, b) => a - b);
    return `${q(d, 0.5) ?? '-'} / ${q(d, 0.95) ?? '-'}`;
  })(),
  'fps (every frame detected)': fmt(ref.fps, 2),
  embeddings: ref.status.embeddings,
  'faces seen': ref.status.faces,
};
console.log(JSON.stringify(refRow));
rows.push(refRow);
for (const k of CADENCE) {
  const { first, falseAlerts, status: st, fps } = await reference(video, { detectEvery: k });
  const over = enrolled.map((w) => (first.has(w.id) && ref.first.has(w.id) ? first.get(w.id) - ref.first.get(w.id) : '-'));
  const row = {
    case: `wild_1 offline, detectEvery ${k}${MOTION ? '' : ' (MOTION=0)'}${MOSAIC ? ' (MOSAIC=1)' : ''}${STREAM_OPTIONS.deblock === false ? ' (DEBLOCK=0)' : ''}`,
    streams: 'offline x1',
    detected: st.detected,
    'walkers found': `${first.size}/${enrolled.length}`,
    'false alerts': falseAlerts,
    'alert frames': enrolled.map((w) => first.get(w.id) ?? '-').join(','),
    'over reference (frames)': over.join(','),
    'frames/s (offline)': fmt(fps, 2),
    embeddings: st.embeddings,
  };
  console.log(JSON.stringify(row));
  rows.push(row);
}
for (const n of STREAMS) {
  const runs = [];
  for (let k = 1; k <= RUNS; k++) {
    const label = 'wild_1 (about 50 faces + walkers)';
    runs.push(await live(video, n, ref, RUNS > 1 ? `${label} run ${k}/${RUNS}` : label));
    rows.push(runs[runs.length - 1]);
    console.log(JSON.stringify(rows[rows.length - 1]));
  }
  if (RUNS > 1) {
    rows.push(summary('wild_1 (about 50 faces + walkers)', n, runs));
    console.log(JSON.stringify(rows[rows.length - 1]));
  }
}
if (stress) {
  const sref = { first: new Map() }; // no reference for the stress case (its offline run takes minutes)
  rows.push(await live(stress, 4, sref, 'wild_17 stress (about 400 faces)'));
  console.log(JSON.stringify(rows[rows.length - 1]));
}
await detector.close();
await embedder.close();
await landmarks.close();

// Peers on the same frames (RGB, decoded once), after a warm-up frame.
const frames = [];
if (PEER_FRAMES > 0) await new Promise((resolve) => {
  const src = new VideoSource(video.file, { realtime: false });
  src.on('frame', async (f) => {
    if (frames.length < PEER_FRAMES + 1 && f.index % 100 === 60) frames.push(await lib.convertColor({ data: f.data, width: f.width, height: f.height, format: f.format }, 'rgb'));
    src.release(f);
  });
  src.on('end', resolve);
  src.start();
});
const peers = [];
if (PEER_FRAMES > 0) try {
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
    if (i > 0) {
      times.push(performance.now() - s); // the first frame warms up
      faces += r.length;
    }
    t.dispose();
  }
  const ms = times.reduce((a, b) => a + b, 0) / times.length;
  peers.push({ peer: '@vladmandic/face-api (tfjs-wasm): SSD + landmarks + descriptor', 'ms per frame': ms.toFixed(0), fps: (1000 / ms).toFixed(3), 'faces per frame': (faces / times.length).toFixed(0) });
} catch (err) {
  console.log(`peer face-api not run: ${err.message.split('\n')[0]}`);
}
if (PEER_FRAMES > 0) try {
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
    if (i > 0) {
      times.push(performance.now() - s);
      faces += r.face.length;
    }
    human.tf.dispose(t);
  }
  server.close();
  const ms = times.reduce((a, b) => a + b, 0) / times.length;
  peers.push({ peer: `@vladmandic/human ${human.version} (tfjs-wasm): BlazeFace + mesh + FaceRes`, 'ms per frame': ms.toFixed(0), fps: (1000 / ms).toFixed(3), 'faces per frame': (faces / times.length).toFixed(0) });
} catch (err) {
  console.log(`peer human not run: ${err.message.split('\n')[0]}`);
}
// livefr's figures against each peer: every frame detected (offline), and frames processed in real time by 4 streams.
const four = rows.find((r) => r.streams === 4 && r.case.startsWith('wild_1'));
for (const p of peers) {
  p['livefr every-frame fps / peer fps'] = (ref.fps / Number(p.fps)).toFixed(1);
  if (four) p['livefr 4-stream detections/s / peer fps'] = ((Number(four['detections/s per stream']) * 4) / Number(p.fps)).toFixed(1);
}
console.table(peers);
loads.push(loadavg()[0]);
const load = `1-min load average at start, after each run, at the end: ${loads.map((v) => v.toFixed(2)).join(', ')}`;
console.log(`threshold ${watchlist.threshold} (fixture calibration ${fixtureThreshold}, live operating point ${liveThreshold}); detection plan ${JSON.stringify(PLAN)}; stream options ${JSON.stringify(STREAM_OPTIONS)}; ${load} (figures taken while other work ran are noisy)`);
report('pipeline', rows, {
  peers,
  threshold: watchlist.threshold,
  fixtureThreshold,
  plan: PLAN,
  streamOptions: STREAM_OPTIONS,
  concurrency: CONCURRENCY ?? 1,
  video: { width: video.width, height: video.height, fps: video.fps, frames: video.frames, walkers: video.walkers.length, enrolled: enrolled.length },
  loadAverage: load,
});
