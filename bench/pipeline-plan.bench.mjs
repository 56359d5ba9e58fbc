// Detection plans for live 1080p: what each tiling plan of the default
// detector (fr-detect, without the landmark stage, as the pipeline runs it) costs per frame and what it
// finds of the walkers' faces by size (needs ../shared and ffmpeg). The
// video is bench/pipeline's: 12 lfw-dev walkers across wild_1.jpg, faces
// 28 -> 90 px, 1920x1080; every 12th frame is detected under each plan.
// Recall: a walker's face counts as found when a detection of score >= 0.6
// (the tracker's confident pass) has its centre within 0.6 face widths of
// the walker's. CPU: process CPU time (all threads) per frame, which a
// loaded machine changes less than wall time.
// Usage: node bench/run.mjs pipeline-plan   (SECONDS=20 WALKERS=12 as bench/pipeline)
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { report, repoRoot, sharedDir } from './util.mjs';

const lfw = path.join(sharedDir, 'data', 'lfw-dev', 'images');
if (!existsSync(lfw)) {
  console.log(`pipeline-plan: needs ../shared at ${sharedDir}; skipped`);
  process.exit(0);
}
const lib = await import(path.join(repoRoot, 'dist', 'index.js'));
const { VideoSource } = await import(path.join(repoRoot, 'dist', 'pipeline', 'source.js'));
const { buildWalkVideo, walkerAt, walkerList } = await import(path.join(repoRoot, 'test', 'helpers', 'walk-video.mjs'));
const SECONDS = Number(process.env.SECONDS ?? 20);
const list = walkerList(lfw, Number(process.env.WALKERS ?? 12), 60);
const video = await buildWalkVideo({
  scene: path.join(sharedDir, 'data', 'scenes', 'wild_1.jpg'),
  width: 1920,
  height: 1080,
  seconds: SECONDS,
  walkers: list.map(({ id, file, enrolled, lane }) => ({ id, file, enrolled, lane })),
});
const frames = [];
await new Promise((resolve) => {
  const src = new VideoSource(video.file, { realtime: false });
  src.on('frame', (f) => {
    if (f.index % 12 === 5) frames.push({ index: f.index, data: Buffer.from(f.data), width: f.width, height: f.height, format: f.format });
    src.release(f);
  });
  src.on('end', resolve);
  src.start();
});
// As the pipeline loads it: no landmark stage on every box (the pipeline runs it on the faces it embeds).
const detector = await lib.Detector.load({ workers: Math.min(4, Math.max(1, availableParallelism())), intraOpNumThreads: 1, landmarkStage: 'none' });
const plans = [
  ['whole frame only', { tile: false }],
  ['smallestFace 64', { smallestFace: 64 }],
  ['smallestFace 48 (pipeline default)', { smallestFace: 48 }],
  ['smallestFace 40', { smallestFace: 40 }],
  ['smallestFace 32 (detect() default)', {}],
];
const buckets = [[28, 40], [40, 56], [56, 72], [72, 91]];
await detector.detect(frames[0], {}); // warm-up
const rows = [];
for (const [name, o] of plans) {
  const hit = buckets.map(() => 0);
  const tot = buckets.map(() => 0);
  let passes = 0;
  let faces = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const f of frames) {
    const { faces: found, info } = await detector.detectWithInfo(f, o);
    passes = info.passes;
    faces += found.length;
    for (const w of video.walkers) {
      const at = walkerAt(w, f.index, f.width, f.height);
      const b = at ? buckets.findIndex(([lo, hi]) => at.faceW >= lo && at.faceW < hi) : -1;
      if (b < 0) continue;
      tot[b]++;
      if (found.some((x) => x.score >= 0.6 && Math.hypot(x.box.x + x.box.width / 2 - at.cx, x.box.y + x.box.height / 2 - at.cy) < at.faceW * 0.6)) hit[b]++;
    }
  }
  const cpu = process.cpuUsage(cpu0);
  const row = { plan: name, 'model passes': passes, 'CPU ms per frame': ((cpu.user + cpu.system) / 1000 / frames.length).toFixed(0), 'wall ms per frame': ((performance.now() - t0) / frames.length).toFixed(0) };
  buckets.forEach(([lo, hi], i) => (row[`found ${lo}-${hi - 1} px`] = `${hit[i]}/${tot[i]} (${Math.round((100 * hit[i]) / Math.max(1, tot[i]))}%)`));
  row['faces per frame'] = (faces / frames.length).toFixed(0);
  rows.push(row);
  console.log(JSON.stringify(row));
}
await detector.close();
const load = loadavg().map((v) => v.toFixed(1)).join(' ');
console.log(`${frames.length} frames; load average at the end: ${load}`);
report('pipeline-plan', rows, { frames: frames.length, loadAverage: load });
