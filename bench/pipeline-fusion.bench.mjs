// Fusion rules compared on one walking-faces video (needs ../shared and
// ffmpeg): 16 lfw-dev walkers (8 enrolled, 8 not) over bbt1.jpg, 1280x720,
// 16 s, faces 28 -> 90 px; YuNet + MobileFaceNet-128 from ../shared; the
// threshold calibrated on 300 non-mated lfw-dev faces (test/helpers/walk-video.mjs).
// One offline run with the evaluation hook gives every track's evidence;
// each rule is then scored at the calibrated threshold:
//   mated-track hits: tracks on an enrolled walker that alert for that walker
//   walkers found:    enrolled walkers alerted on at least one of their tracks
//   false alerts:     alerts for an identity other than the track's walker
//                     (on non-enrolled walkers, the scene's own faces, or the wrong person)
//   delay:            frames from a walker's first appearance to that rule's first alert (median, max)
// plus hits/false alerts at lower thresholds (from the tracks' final evidence),
// and the cost of detecting on every 2nd / 3rd frame (DETECT_EVERY, default 1,2,3).
// Usage: node bench/run.mjs pipeline-fusion   (about 2 minutes on the idle machine)
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { report, repoRoot, sharedDir } from './util.mjs';

const lfw = path.join(sharedDir, 'data', 'lfw-dev', 'images');
if (!existsSync(lfw)) {
  console.log(`pipeline-fusion: needs ../shared at ${sharedDir}; skipped`);
  process.exit(0);
}
const lib = await import(path.join(repoRoot, 'dist', 'index.js'));
const { createPipeline, FUSION_RULES } = await import(path.join(repoRoot, 'dist', 'pipeline', 'index.js'));
const { EVALUATION_HOOK } = await import(path.join(repoRoot, 'dist', 'pipeline', 'evaluation.js'));
const { buildWalkVideo, enrolAndCalibrate, walkerList, walkerOfBox } = await import(path.join(repoRoot, 'test', 'helpers', 'walk-video.mjs'));

const N = Number(process.env.WALKERS ?? 16);
const list = walkerList(lfw, N, 40);
const video = await buildWalkVideo({
  scene: path.join(sharedDir, 'data', 'scenes', 'bbt1.jpg'),
  seconds: 16,
  walkers: list.map(({ id, file, enrolled, lane }) => ({ id, file, enrolled, lane })),
});
const detector = await lib.Detector.load({ family: 'yunet', model: path.join(sharedDir, 'models', 'yunet.onnx') });
const embedder = await lib.Embedder.load({ model: path.join(sharedDir, 'models', 'mobilefacenet-128.onnx'), mean: 127.5, std: 128 });
const watchlist = await enrolAndCalibrate(lib, detector, embedder, lfw, list);
const EVERY = (process.env.DETECT_EVERY ?? '1,2,3').split(',').map(Number);
const enrolled = video.walkers.filter((w) => w.enrolled);
const runs = new Map();
for (const every of EVERY) {
  const tracks = [];
  const pipeline = await createPipeline({ detector, embedder, watchlist, realtime: false, detectEvery: every, [EVALUATION_HOOK]: (s) => tracks.push(s) });
  pipeline.addStream('cam', video.file);
  await pipeline.ended();
  runs.set(every, { tracks, status: pipeline.status('cam') });
  await pipeline.close();
}
await detector.close();
await embedder.close();

/** Scores one run under one rule: at the pipeline's threshold (with delays), or at `t` from the tracks' final evidence. */
function score(tracks, rule, t) {
  let hits = 0;
  let matedTracks = 0;
  let falseAlerts = 0;
  const found = new Map();
  for (const tr of tracks) {
    const w = walkerOfBox(tr.box, tr.lastFrame, video);
    if (w?.enrolled) matedTracks++;
    const alerted = t === undefined
      ? Object.entries(tr.alertFrames[rule])
      : Object.entries(tr.fused[rule]).filter(([, s]) => s >= t).map(([id]) => [id, tr.lastFrame]);
    for (const [id, frame] of alerted) {
      if (w && id === w.id) {
        hits++;
        found.set(id, Math.min(found.get(id) ?? Infinity, frame - w.start));
      } else falseAlerts++;
    }
  }
  const delays = [...found.values()].sort((a, b) => a - b);
  return { hits, matedTracks, falseAlerts, found: found.size, delays };
}
const median = (xs) => (xs.length ? xs[Math.floor(xs.length / 2)] : '-');

const base = runs.get(1) ?? runs.get(EVERY[0]);
const rows = FUSION_RULES.map((rule) => {
  const r = score(base.tracks, rule);
  const row = {
    rule,
    'mated-track hits': `${r.hits}/${r.matedTracks}`,
    'walkers found': `${r.found}/${enrolled.length}`,
    'false alerts': r.falseAlerts,
    'delay median (frames)': median(r.delays),
    'delay max (frames)': r.delays.length ? r.delays[r.delays.length - 1] : '-',
  };
  // Lower thresholds, from the tracks' final evidence: what each rule trades.
  for (const d of [0.05, 0.1, 0.15]) {
    const x = score(base.tracks, rule, watchlist.threshold - d);
    row[`hits/false at T-${d}`] = `${x.hits}/${x.falseAlerts}`;
  }
  return row;
});
const everyRows = [...runs].map(([every, { tracks, status }]) => {
  const r = score(tracks, 'max');
  return {
    detectEvery: every,
    processed: status.processed,
    'walkers found (max)': `${r.found}/${enrolled.length}`,
    'mated-track hits': `${r.hits}/${r.matedTracks}`,
    'false alerts': r.falseAlerts,
    'delay median (frames)': median(r.delays),
    tracks: tracks.length,
    embeddings: status.embeddings,
  };
});
console.table(everyRows);
console.log(`threshold T = ${watchlist.threshold} (calibrated), ${base.tracks.length} tracks, ${base.status.embeddings} embeddings for ${base.status.faces} faces, ${base.status.frames} frames`);
const load = loadavg().map((v) => v.toFixed(1)).join(' ');
console.log(`load average during the run: ${load}`);
report('pipeline-fusion', rows, { detectEvery: everyRows, threshold: watchlist.threshold, walkers: N, loadAverage: load });
