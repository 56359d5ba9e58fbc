#!/usr/bin/env node
/**
 * Pasted-face detection recall per face width and ms per 1080p frame, per
 * detector and tiling plan, on the first N frames of the live-like set
 * (detection only; the full protocol is scripts/measure-live.mjs).
 *
 *   node scripts/measure-live-detect.mjs [--frames 60] [--only NAME,...]
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = process.env.LIVEFR_SHARED ?? path.resolve(root, '..', 'shared');
const { openDataset } = await import(path.join(root, 'dist/eval/dataset.js'));
const { buildLiveSet, listScenes } = await import(path.join(root, 'dist/eval/live/set.js'));
const { LiveEncoder, assignDetections } = await import(path.join(root, 'dist/eval/live/run.js'));
const { frameBytes } = await import(path.join(root, 'dist/eval/live/render.js'));
const { loadImage } = await import(path.join(root, 'dist/frame.js'));

const args = process.argv.slice(2);
const flag = (n, d) => {
  const i = args.indexOf(n);
  return i >= 0 ? args[i + 1] : d;
};
const frames = Number(flag('--frames', 60));
const only = flag('--only')?.split(',');
const yunet = path.join(shared, 'models', 'yunet.onnx');
export const PLANS = [
  { name: 'blazeface-back, whole frame', config: { detectorModel: 'blazeface-back', tile: false } },
  { name: 'blazeface-back, auto (12 tiles)', config: { detectorModel: 'blazeface-back' } },
  { name: 'blazeface-back, auto (24 tiles)', config: { detectorModel: 'blazeface-back', maxTiles: 24 } },
  { name: 'blazeface-back, tiles for 32 px', config: { detectorModel: 'blazeface-back', tile: true } },
  { name: 'blazeface-back, tiles for 48 px', config: { detectorModel: 'blazeface-back', tile: true, smallestFace: 48 } },
  { name: 'blazeface-full, auto (12 tiles)', config: { detectorModel: 'blazeface-full' } },
  { name: 'blazeface-full, tiles for 32 px', config: { detectorModel: 'blazeface-full', tile: true } },
  { name: 'fr-detect, auto (12 tiles)', config: { detectorModel: 'fr-detect' } },
  { name: 'fr-detect, tiles for 32 px', config: { detectorModel: 'fr-detect', tile: true } },
  { name: 'faceapi-ssd, auto (12 tiles)', config: { detectorModel: 'faceapi-ssd' } },
  { name: 'mtcnn, min face 24', config: { detector: 'mtcnn', smallestFace: 24 } },
  { name: 'yunet (fixture), auto', config: { detector: 'yunet', detectorModel: yunet } },
];
const ds = await openDataset(path.join(shared, 'data', 'lfw-dev'));
const set = await buildLiveSet(ds, listScenes(path.join(shared, 'data', 'scenes')), { maxFrames: frames });
const pct = (a, b) => (b ? `${((100 * a) / b).toFixed(0)}%` : '—');
console.log(`| detector, tiling | recall 32 / 40 / 48 / 64 px | detections per frame | ms per frame (median) |`);
for (const p of PLANS) {
  if (only && !only.some((o) => p.name.startsWith(o))) continue;
  const enc = await LiveEncoder.load(p.config);
  const found = {};
  const total = {};
  const ms = [];
  let dets = 0;
  try {
    for (const fr of set.frames) {
      const f = await loadImage(await frameBytes(set, fr, '.livefr-cache'));
      const t0 = performance.now();
      const faces = await enc.detect(f);
      ms.push(performance.now() - t0);
      dets += faces.length;
      const a = assignDetections(faces, fr.faces);
      fr.faces.forEach((x, i) => {
        total[x.width] = (total[x.width] ?? 0) + 1;
        if (a.includes(i)) found[x.width] = (found[x.width] ?? 0) + 1;
      });
    }
  } finally {
    await enc.close();
  }
  ms.sort((a, b) => a - b);
  const w = [32, 40, 48, 64].map((x) => pct(found[x] ?? 0, total[x] ?? 0)).join(' / ');
  console.log(`| ${p.name} | ${w} | ${(dets / set.frames.length).toFixed(1)} | ${ms[Math.floor(ms.length / 2)].toFixed(0)} |`);
}
