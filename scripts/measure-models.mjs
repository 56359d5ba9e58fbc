#!/usr/bin/env node
/**
 * Measures the candidate models of the registry on ../shared/data and prints
 * the tables of docs/models.md (and README "Default models").
 *
 *   node scripts/measure-models.mjs                 # everything (about 15 minutes on 2 cores)
 *   node scripts/measure-models.mjs --only recognisers --recognisers faceapi-resnet,mobilefacenet
 *   node scripts/measure-models.mjs --only detectors --json bench/results/models.json
 *
 * Recognisers, on lfw-dev (LFW development half, pairs.txt: 5 folds of 300
 * matched + 300 mismatched pairs):
 *   - landmarks from ONE detector for every recogniser (--landmarks, default
 *     the YuNet fixture ../shared/models/yunet.onnx), the face nearest the
 *     image centre; each recogniser then crops the face its own way (its
 *     manifest's crop convention, applied by the Embedder);
 *   - verification accuracy per fold, the threshold chosen on the other 4
 *     folds (maximum accuracy there), reported as mean and std over folds;
 *   - TAR at FAR 1e-2 and 1e-3: genuine = the 1,500 matched pairs; impostors
 *     = every pair of images of different people among the 3,811 images of
 *     pairs.txt (millions of pairs, so 1e-3 rests on thousands of false
 *     accepts, not on one), with the counts behind each rate;
 *   - per-face latency of the embedder (one face per call, median).
 * Detectors:
 *   - faces found in scenes/wild_1.jpg (~52 findable) and bbt1..bbt5;
 *   - small faces: 60 LFW faces scaled to 32, 40 and 48 px (20 each) pasted
 *     on a mid-grey 1920x1080 frame, recall and false detections, whole
 *     frame vs tiled (the Detector's tiling, smallestFace 32);
 *   - latency on the 1920x1080 frame (median of 5), whole frame and tiled.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = process.env.LIVEFR_SHARED ?? path.resolve(root, '..', 'shared');
const dist = (p) => new URL(`file://${path.join(root, 'dist', p)}`).href;

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const only = opt('only', 'all');
const RECOGNISERS = opt('recognisers', 'faceapi-resnet,mobilefacenet,mobileface,faceres').split(',');
const DETECTORS = opt('detectors', 'blazeface-front,blazeface-full,blazeface-back,faceapi-ssd').split(',');
const LANDMARKS = opt('landmarks', path.join(shared, 'models', 'yunet.onnx'));
const LANDMARKS_FAMILY = opt('landmarks-family', 'yunet');
const LIMIT = Number(opt('limit', '0')); // pairs per fold (0 = all 600), for quick runs
const JSON_OUT = opt('json', '');

if (!existsSync(path.join(shared, 'data', 'lfw-dev', 'pairs.txt'))) {
  process.stderr.write(`measure-models needs ../shared/data (looked at ${shared}); it is not part of a clone.\n`);
  process.exit(2);
}

const { Detector } = await import(dist('index.js')); // index registers every detector family
const { Embedder } = await import(dist('index.js'));
const { loadImage } = await import(dist('frame.js'));
const M = await import(dist('models/measure.js'));

const log = (s) => process.stderr.write(s + '\n');
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[s.length >> 1] : NaN;
};
const pct = (x, d = 2) => `${(100 * x).toFixed(d)}%`;
const lfw = path.join(shared, 'data', 'lfw-dev');
const every = (label, n) => (stage, done, total) => {
  if (done % n === 0 || done === total) log(`  ${label} ${stage} ${done}/${total}`);
};

// ---- recognisers ---------------------------------------------------------------------
async function recognisers() {
  const landmarkOpts = existsSync(LANDMARKS) ? { family: LANDMARKS_FAMILY, model: LANDMARKS } : { model: LANDMARKS };
  log(`recognisers on ${lfw}; landmarks from ${path.basename(LANDMARKS)}`);
  const det = await Detector.load(landmarkOpts);
  let faces;
  let missed;
  const rows = [];
  let meta;
  try {
    for (const name of RECOGNISERS) {
      log(`measuring ${name} ...`);
      let emb;
      try {
        emb = await Embedder.load({ model: name });
        const r = await M.measureVerification(lfw, det, emb, { limit: LIMIT, faces, missed, onProgress: every(name, 1000) });
        faces = r.faces;
        missed = r.missed;
        meta = { images: r.images, pairs: r.pairs, missed: r.missed };
        rows.push({ name, dim: emb.dim, accuracy: r.accuracy, tar: r.tar, msPerFace: r.msPerFace });
        log(`  ${name}: ${pct(r.accuracy.mean)} ± ${pct(r.accuracy.std)}`);
      } catch (err) {
        log(`  ${name} failed: ${err.stack}`);
        rows.push({ name, error: err.message });
      } finally {
        await emb?.close();
      }
    }
  } finally {
    await det.close();
  }
  return { landmarks: path.basename(LANDMARKS), ...meta, rows };
}

// ---- detectors -------------------------------------------------------------------------
async function timeDetect(det, frame, opts) {
  await det.detect(frame, opts);
  const t = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await det.detect(frame, opts);
    t.push(performance.now() - t0);
  }
  return median(t);
}

async function measureDetector(name, small) {
  const det = await Detector.load({ model: name });
  try {
    const scenes = {};
    for (const s of ['wild_1.jpg', 'bbt1.jpg', 'bbt2.jpg', 'bbt3.jpg', 'bbt4.jpg', 'bbt5.jpg']) {
      const frame = await loadImage(path.join(shared, 'data', 'scenes', s));
      scenes[s] = { whole: (await det.detect(frame, { tile: false })).length, auto: (await det.detect(frame)).length };
    }
    const whole = M.scoreSmallFaces(await det.detect(small.frame, { tile: false }), small.truth);
    const autoRun = await det.detectWithInfo(small.frame);
    const auto = M.scoreSmallFaces(autoRun.faces, small.truth);
    const autoTiles = autoRun.info.tiles;
    const tiledRun = await det.detectWithInfo(small.frame, { tile: true, smallestFace: 32 });
    const tiled = M.scoreSmallFaces(tiledRun.faces, small.truth);
    const tiles = tiledRun.info.tiles;
    const msWhole = await timeDetect(det, small.frame, { tile: false });
    const msAuto = await timeDetect(det, small.frame, {});
    const msTiled = await timeDetect(det, small.frame, { tile: true, smallestFace: 32 });
    return { name, scenes, small: { whole, auto, tiled }, latencyMs: { whole: msWhole, auto: msAuto, tiled: msTiled }, tiles, autoTiles };
  } finally {
    await det.close();
  }
}

async function detectors() {
  const small = await M.smallFaceFrame(lfw);
  const rows = [];
  for (const name of DETECTORS) {
    log(`measuring ${name} ...`);
    try {
      rows.push(await measureDetector(name, small));
    } catch (err) {
      log(`  ${name} failed: ${err.stack}`);
      rows.push({ name, error: err.message });
    }
  }
  return { rows };
}

// ---- report ----------------------------------------------------------------------------
function recogniserTable(r) {
  const lines = [
    `Recognisers on lfw-dev (${r.pairs} pairs, 5 folds; landmarks: ${r.landmarks}, no face in ${r.missed}/${r.images} images)`,
    '',
    '| model | dim | accuracy (5-fold, threshold from the other folds) | TAR @ FAR 1e-2 | TAR @ FAR 1e-3 | ms / face |',
    '|---|---|---|---|---|---|',
  ];
  for (const x of r.rows) {
    if (x.error) {
      lines.push(`| ${x.name} | | failed: ${x.error} | | | |`);
      continue;
    }
    const t = (k) => {
      const v = x.tar[k];
      return `${pct(v.tar)} (${v.accepted}/${v.genuine}; FA ${v.falseAccepts}/${v.impostors})`;
    };
    lines.push(
      `| ${x.name} | ${x.dim} | ${pct(x.accuracy.mean)} ± ${pct(x.accuracy.std)} (folds ${x.accuracy.accuracies.map((a) => (100 * a).toFixed(1)).join(', ')}) | ${t(0)} | ${t(1)} | ${x.msPerFace.toFixed(1)} |`,
    );
  }
  return lines.join('\n');
}

function detectorTable(d) {
  const lines = [
    'Detectors (faces found at the family default score threshold; small = 60 LFW faces of 32/40/48 px on a grey 1920x1080 frame; latency on that frame, median of 5)',
    '',
    '| model | wild_1 (whole / auto tiling) | bbt1..5 (auto) | small: whole frame | small: auto tiling | small: full tiling for 32 px | false det. (full tiling) | ms whole / auto / full tiling (tiles) |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const x of d.rows) {
    if (x.error) {
      lines.push(`| ${x.name} | failed: ${x.error} | | | | | | |`);
      continue;
    }
    const bbt = ['bbt1.jpg', 'bbt2.jpg', 'bbt3.jpg', 'bbt4.jpg', 'bbt5.jpg'].map((s) => x.scenes[s].auto).join('/');
    const sz = (s, k) => `${s.bySize[k].found}/${s.bySize[k].of}`;
    const sm = (s) => `${s.found}/${s.of} (32: ${sz(s, 32)}, 40: ${sz(s, 40)}, 48: ${sz(s, 48)})`;
    lines.push(
      `| ${x.name} | ${x.scenes['wild_1.jpg'].whole} / ${x.scenes['wild_1.jpg'].auto} | ${bbt} | ${sm(x.small.whole)} | ${sm(x.small.auto)} | ${sm(x.small.tiled)} | ${x.small.tiled.falseDetections} | ` +
        `${x.latencyMs.whole.toFixed(0)} / ${x.latencyMs.auto.toFixed(0)} (${x.autoTiles}) / ${x.latencyMs.tiled.toFixed(0)} (${x.tiles}) |`,
    );
  }
  return lines.join('\n');
}

const result = { machine: `${os.cpus()[0]?.model} x${os.availableParallelism()}, node ${process.versions.node}`, date: new Date().toISOString() };
if (only === 'all' || only === 'recognisers') result.recognisers = await recognisers();
if (only === 'all' || only === 'detectors') result.detectors = await detectors();
process.stdout.write(`Measured on ${result.machine}, ${result.date.slice(0, 10)}\n\n`);
if (result.recognisers) process.stdout.write(recogniserTable(result.recognisers) + '\n\n');
if (result.detectors) process.stdout.write(detectorTable(result.detectors) + '\n');
if (JSON_OUT) {
  mkdirSync(path.dirname(path.resolve(JSON_OUT)), { recursive: true });
  writeFileSync(JSON_OUT, JSON.stringify(result, null, 2));
}
