#!/usr/bin/env node
// Recall and false faces of a detector on ../shared/data (issue 8 item 8),
// without hand annotations:
//
// - scenes (bbt*.jpg, wild_*.jpg, selfie.jpg, s_l.jpg): the reference faces
//   of a photo are those that at least 2 of 3 strong detectors from
//   ../shared/models agree on (SCRFD-2.5G, RetinaFace-MNet0.25, YuNet, each
//   with tiling); a detection is a hit when it overlaps a reference face
//   (its centre inside the reference box and the sizes within a factor of
//   2), `single` when it matches a face only one reference detector found,
//   and a false face when it overlaps no detection of any reference
//   detector at all (IoU < 0.1 with every one).
// - pasted: N LFW faces (one per person, seeded choice) scaled so the face
//   is S px wide and pasted at seeded positions into a 1920x1080 scene
//   (a blurred, darkened wild_1.jpg, so the background has texture but no
//   visible faces); a face counts as found when a detection's centre falls
//   in its pasted box.
//
//   node scripts/measure-blazeface.mjs [--model blazeface-back] [--min-score S] [--sizes 24,32,40,48] [--per 60] [--json]
// Measured before and after lib/detector.ts's leaveToFinerPasses (blazeface-
// back, defaults; the numbers are in docs/detectors.md): scene hits 786 of
// 1,227 reference faces both, false faces 49 -> 31; pasted 24/32/40/48 px:
// 8/36/55/58 of 60 both.
import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { Detector, loadImage } from '../dist/index.js';
import { seededRandom } from '../dist/util/random.js';
import { pasteFaceGrid } from '../test/helpers/paste-grid.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = path.resolve(root, '..', 'shared');
const argv = process.argv.slice(2);
const opt = (n, d) => (argv.includes(`--${n}`) ? argv[argv.indexOf(`--${n}`) + 1] : d);
const model = opt('model', 'blazeface-back');
const sizes = opt('sizes', '24,32,40,48').split(',').map(Number);
const per = Number(opt('per', 60));
const minScore = opt('min-score', undefined);
const detectOptions = minScore === undefined ? {} : { minScore: Number(minScore) };
if (!existsSync(path.join(shared, 'models', 'yunet.onnx'))) {
  console.error('needs ../shared/models and ../shared/data');
  process.exit(1);
}

const centreIn = (d, g) => {
  const cx = d.x + d.width / 2;
  const cy = d.y + d.height / 2;
  return cx >= g.x && cx <= g.x + g.width && cy >= g.y && cy <= g.y + g.height;
};
const iou = (a, b) => {
  const x1 = Math.max(a.x, b.x), y1 = Math.max(a.y, b.y);
  const x2 = Math.min(a.x + a.width, b.x + b.width), y2 = Math.min(a.y + a.height, b.y + b.height);
  const i = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  return i / (a.width * a.height + b.width * b.height - i);
};
const sameFace = (d, g) => centreIn(d, g) && Math.max(d.width, g.width) / Math.min(d.width, g.width) <= 2;

const refs = [
  { family: 'scrfd', model: path.join(shared, 'models', 'scrfd-2.5g-kps.onnx') },
  { family: 'retinaface', model: path.join(shared, 'models', 'retinaface-mnet025.onnx') },
  { family: 'yunet', model: path.join(shared, 'models', 'yunet.onnx') },
];

async function scenes(detector) {
  const dir = path.join(shared, 'data', 'scenes');
  const files = readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort();
  const refDetectors = await Promise.all(refs.map((r) => Detector.load(r)));
  const rows = [];
  try {
    for (const f of files) {
      const img = await loadImage(path.join(dir, f));
      const byRef = await Promise.all(refDetectors.map((d) => d.detect(img).then((fs) => fs.map((x) => x.box))));
      // Reference faces: boxes at least 2 of the 3 detectors agree on (the first detector's box of each group).
      const truth = [];
      byRef.forEach((boxes, k) => {
        for (const b of boxes) {
          if (truth.some((t) => iou(t, b) > 0.4)) continue;
          const votes = byRef.filter((other, j) => j === k || other.some((o) => iou(o, b) > 0.4)).length;
          if (votes >= 2) truth.push(b);
        }
      });
      const found = (await detector.detect(img, detectOptions)).map((x) => x.box);
      const hits = truth.filter((t) => found.some((d) => sameFace(d, t))).length;
      const anyRef = byRef.flat();
      const falses = found.filter((d) => !anyRef.some((r) => iou(r, d) >= 0.1) && !truth.some((t) => sameFace(d, t)));
      // Detections of a face only one reference detector found (neither counted as hit nor as false).
      const single = found.filter((d) => !truth.some((t) => sameFace(d, t)) && anyRef.some((r) => sameFace(d, r))).length;
      rows.push({ file: f, reference: truth.length, found: found.length, hits, single, falseFaces: falses.length, falseBoxes: falses.map((b) => [b.x, b.y, b.width].map(Math.round)) });
    }
  } finally {
    await Promise.all(refDetectors.map((d) => d.close()));
  }
  return rows;
}

async function pasted(detector) {
  const lfw = path.join(shared, 'data', 'lfw-dev', 'images');
  const people = readdirSync(lfw).sort();
  const W = 1920, H = 1080;
  const bg = await sharp(path.join(shared, 'data', 'scenes', 'wild_1.jpg')).resize(W, H, { fit: 'cover' }).blur(12).modulate({ brightness: 0.7 }).removeAlpha().raw().toBuffer();
  const out = [];
  for (const size of sizes) {
    const rnd = seededRandom(1000 + size);
    const frame = Buffer.from(bg);
    const boxes = await pasteFaceGrid(frame, W, H, { lfw, people, rnd, count: per, size });
    const faces = (await detector.detect({ data: frame, width: W, height: H, format: 'rgb' }, detectOptions)).map((f) => f.box);
    const found = boxes.filter((b) => faces.some((d) => centreIn(d, b))).length;
    const extra = faces.filter((d) => !boxes.some((b) => centreIn(d, b))).length;
    out.push({ size, pasted: boxes.length, found, otherDetections: extra });
  }
  return out;
}

const detector = await Detector.load({ model });
try {
  const s = await scenes(detector);
  const p = await pasted(detector);
  const total = (k) => s.reduce((a, r) => a + r[k], 0);
  const summary = { model, ...detectOptions, scenes: { reference: total('reference'), hits: total('hits'), singleReference: total('single'), found: total('found'), falseFaces: total('falseFaces') }, pasted: p };
  if (argv.includes('--json')) console.log(JSON.stringify({ ...summary, perScene: s }));
  else {
    for (const r of s) console.log(`${r.file.padEnd(12)} reference ${String(r.reference).padStart(3)}  found ${String(r.found).padStart(3)}  hits ${String(r.hits).padStart(3)}  single ${String(r.single).padStart(3)}  false ${r.falseFaces}${r.falseFaces ? ' ' + JSON.stringify(r.falseBoxes) : ''}`);
    console.log(JSON.stringify(summary));
  }
} finally {
  await detector.close();
}
