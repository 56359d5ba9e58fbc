// Cost of each landmark stage per face (lib/detectors/landmark-stage.ts):
// one call with the N boxes fr-detect finds in a 1920x1080 live-like frame,
// one inference worker (1 thread), median of 10 calls, per face.
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { report, repoRoot, sharedDir, time } from './util.mjs';

const data = path.join(sharedDir, 'data');
if (!existsSync(path.join(data, 'lfw-dev'))) {
  console.log(`landmarks: skipped, needs ../shared/data at ${sharedDir}`);
  process.exit(0);
}
const { openDataset } = await import(path.join(repoRoot, 'dist/eval/dataset.js'));
const { buildLiveSet, listScenes } = await import(path.join(repoRoot, 'dist/eval/live/set.js'));
const { frameBytes } = await import(path.join(repoRoot, 'dist/eval/live/render.js'));
const { loadLandmarkStage, LANDMARK_STAGES } = await import(path.join(repoRoot, 'dist/detectors/landmark-stage.js'));
const { Detector, loadImage } = await import(path.join(repoRoot, 'dist/index.js'));

const ds = await openDataset(path.join(data, 'lfw-dev'));
const set = await buildLiveSet(ds, listScenes(path.join(data, 'scenes')), { maxFrames: 1 });
const frame = await loadImage(await frameBytes(set, set.frames[0], path.join(repoRoot, '.livefr-cache')));
const det = await Detector.load({ model: 'fr-detect', landmarkStage: 'none', intraOpNumThreads: 1 });
const faces = await det.detect(frame);
await det.close();
const rows = [];
for (const name of LANDMARK_STAGES) {
  const stage = await loadLandmarkStage(name, { intraOpNumThreads: 1 });
  try {
    const t = await time(() => stage.refine(frame, faces), { iterations: 10, warmup: 2 });
    rows.push({ stage: name, faces: faces.length, 'ms per call (p50)': +t.p50.toFixed(1), 'ms per face': +(t.p50 / faces.length).toFixed(2) });
  } finally {
    await stage.close();
  }
}
report('landmarks', rows, { loadavg: loadavg() });
console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
