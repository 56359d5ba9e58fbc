// The live-like frame cost per detector and tiling plan: ms per 1920x1080
// frame of the live-like set (lib/eval/live), end to end from RGB pixels:
// detection with the plan's tiles, the landmark stage on every box, and the
// embedding of every face found. One inference worker per model (1 thread
// each: detector and recogniser run side by side in a deployment). Recall
// figures are in docs/models.md (scripts/measure-live-detect.mjs); this
// bench only times, on the first 8 frames (median over 3 rounds).
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { report, repoRoot, sharedDir } from './util.mjs';

const data = path.join(sharedDir, 'data');
if (!existsSync(path.join(data, 'lfw-dev')) || !existsSync(path.join(data, 'scenes'))) {
  console.log(`live: skipped, needs ../shared/data (lfw-dev and scenes) at ${sharedDir}`);
  process.exit(0);
}
const { openDataset } = await import(path.join(repoRoot, 'dist/eval/dataset.js'));
const { buildLiveSet, listScenes } = await import(path.join(repoRoot, 'dist/eval/live/set.js'));
const { LiveEncoder } = await import(path.join(repoRoot, 'dist/eval/live/run.js'));
const { frameBytes } = await import(path.join(repoRoot, 'dist/eval/live/render.js'));
const { loadImage } = await import(path.join(repoRoot, 'dist/frame.js'));

const PLANS = [
  ['default models (fr-detect auto + mtcnn-onet + fr-feature)', {}],
  ['fr-detect, auto tiling, detection only', { detectorModel: 'fr-detect' }],
  ['fr-detect, tiles for 32 px, detection only', { detectorModel: 'fr-detect', tile: true }],
  ['blazeface-back, auto tiling, detection only', { detectorModel: 'blazeface-back' }],
  ['blazeface-back, tiles for 32 px, detection only', { detectorModel: 'blazeface-back', tile: true }],
];
const ds = await openDataset(path.join(data, 'lfw-dev'));
const set = await buildLiveSet(ds, listScenes(path.join(data, 'scenes')), { maxFrames: 8 });
const frames = [];
for (const fr of set.frames) frames.push(await loadImage(await frameBytes(set, fr, path.join(repoRoot, '.livefr-cache'))));
const rows = [];
for (const [name, config] of PLANS) {
  const enc = await LiveEncoder.load({ ...config, landmarks: config.detectorModel ? 'none' : undefined });
  const withEmbed = !config.detectorModel;
  const ms = [];
  let faces = 0;
  try {
    await enc.detect(frames[0]);
    for (let round = 0; round < 3; round++) {
      for (const f of frames) {
        const t0 = performance.now();
        const found = await enc.detect(f);
        if (withEmbed) await enc.embed(f, found);
        ms.push(performance.now() - t0);
        if (round === 0) faces += found.length;
      }
    }
  } finally {
    await enc.close();
  }
  ms.sort((a, b) => a - b);
  rows.push({ plan: name, 'faces/frame': +(faces / frames.length).toFixed(1), 'p50 ms': +ms[Math.floor(ms.length / 2)].toFixed(1), 'min ms': +ms[0].toFixed(1) });
}
report('live', rows, { loadavg: loadavg() });
console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} (figures taken on a loaded machine are noisy)`);
