#!/usr/bin/env node
// Measures what the enrolment quality gate sees on real faces, to choose its
// defaults (lib/governance/quality.ts): for a seeded sample of lfw-dev
// images (one per person) and the default detector, the verdict of the gate
// and the distribution of face size, score, yaw and size-normalised
// sharpness, clean and after Gaussian blurs of the whole image.
// Needs ../shared/data. Usage: node scripts/measure-enrolment-quality.mjs [--n 400]
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { Detector } from '../dist/index.js';
import { DEFAULT_QUALITY, faceSharpness, judgeEnrolmentImage } from '../dist/governance/quality.js';
import { poseOf } from '../dist/pipeline/quality.js';
import { seededRandom } from '../dist/util/random.js';

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const images = path.resolve(root, '..', 'shared', 'data', 'lfw-dev', 'images');
const n = Number(process.argv[process.argv.indexOf('--n') + 1] || 400) || 400;
const rand = seededRandom(12);
const people = readdirSync(images).sort();
for (let i = people.length - 1; i > 0; i--) {
  const j = Math.floor(rand() * (i + 1));
  [people[i], people[j]] = [people[j], people[i]];
}
const sample = people.slice(0, n).map((p) => path.join(images, p, readdirSync(path.join(images, p)).sort()[0]));
const detector = await Detector.load({});
const sigmas = [0, 1, 1.5, 2, 3];
const rows = { size: [], score: [], yaw: [] };
const sharpBy = Object.fromEntries(sigmas.map((s) => [s, []]));
const verdicts = Object.fromEntries(sigmas.map((s) => [s, {}]));
const decode = async (file, sigma) => {
  let img = sharp(file).removeAlpha();
  if (sigma > 0) img = img.blur(sigma);
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, format: 'rgb' };
};
for (const file of sample) {
  const frame = await decode(file, 0);
  const faces = await detector.detect(frame);
  const v = judgeEnrolmentImage(frame, faces, DEFAULT_QUALITY);
  verdicts[0][v.code ?? 'accepted'] = (verdicts[0][v.code ?? 'accepted'] ?? 0) + 1;
  if (!v.face || v.code === 'several-faces' || v.code === 'low-confidence' || v.code === 'no-face') continue;
  const f = v.face;
  rows.size.push(Math.min(f.box.width, f.box.height));
  rows.score.push(f.score);
  const pose = poseOf(f.landmarks);
  rows.yaw.push(pose ? Math.abs(pose.yaw) : NaN);
  for (const s of sigmas) {
    const fr = s === 0 ? frame : await decode(file, s);
    sharpBy[s].push(faceSharpness(fr, f));
    if (s > 0 && v.ok) {
      // The same image, blurred, through the whole gate (detection included).
      const w = judgeEnrolmentImage(fr, await detector.detect(fr), DEFAULT_QUALITY);
      verdicts[s][w.code ?? 'accepted'] = (verdicts[s][w.code ?? 'accepted'] ?? 0) + 1;
    }
  }
}
await detector.close();
const q = (a, p) => {
  const b = [...a].filter(Number.isFinite).sort((x, y) => x - y);
  return b[Math.min(b.length - 1, Math.floor(p * b.length))];
};
const pcts = [0.01, 0.05, 0.5, 0.95, 0.99];
const fmt = (a) => pcts.map((p) => `p${Math.round(p * 100)} ${q(a, p)?.toFixed(3)}`).join('  ');
console.log(`${sample.length} lfw-dev images (one per person, seeded), default detector, gate ${JSON.stringify(DEFAULT_QUALITY)}`);
console.log(`verdicts, clean images: ${JSON.stringify(verdicts[0])}`);
console.log(`single confident faces: size (px, shorter box side) ${fmt(rows.size)}`);
console.log(`  detector score ${fmt(rows.score)}`);
console.log(`  |yaw| ${fmt(rows.yaw)}`);
for (const s of sigmas) console.log(`  sharpness, blur sigma ${s}: ${fmt(sharpBy[s])}`);
for (const s of sigmas.slice(1)) console.log(`verdicts for the accepted images blurred with sigma ${s}: ${JSON.stringify(verdicts[s])}`);
