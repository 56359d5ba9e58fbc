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
const tracks = [];
const pipeline = await createPipeline({ detector, embedder, watchlist, realtime: false, [EVALUATION_HOOK]: (s) => tracks.push(s) });
pipeline.addStream('cam', video.file);
await pipeline.ended();
const status = pipeline.status('cam');
await pipeline.close();
await detector.close();
await embedder.close();

const enrolled = video.walkers.filter((w) => w.enrolled);
const rows = [];
for (const rule of FUSION_RULES) {
  let hits = 0;
  let matedTracks = 0;
  let falseAlerts = 0;
  const found = new Map();
  for (const t of tracks) {
    const w = walkerOfBox(t.box, t.lastFrame, video);
    if (w?.enrolled) matedTracks++;
    for (const [id, frame] of Object.entries(t.alertFrames[rule])) {
      if (w && id === w.id) {
        hits++;
        found.set(id, Math.min(found.get(id) ?? Infinity, frame - w.start));
      } else falseAlerts++;
    }
  }
  const delays = [...found.values()].sort((a, b) => a - b);
  rows.push({
    rule,
    'mated-track hits': `${hits}/${matedTracks}`,
    'walkers found': `${found.size}/${enrolled.length}`,
    'false alerts': falseAlerts,
    'delay median (frames)': delays.length ? delays[Math.floor(delays.length / 2)] : '-',
    'delay max (frames)': delays.length ? delays[delays.length - 1] : '-',
  });
}
console.log(`threshold ${watchlist.threshold} (calibrated), ${tracks.length} tracks, ${status.embeddings} embeddings for ${status.faces} faces, ${status.frames} frames`);
const load = loadavg().map((v) => v.toFixed(1)).join(' ');
console.log(`load average during the run: ${load}`);
report('pipeline-fusion', rows, { threshold: watchlist.threshold, tracks: tracks.length, walkers: N, loadAverage: load });
