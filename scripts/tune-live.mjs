#!/usr/bin/env node
/**
 * Tuning around the models on the live-like protocol (cached runs of
 * scripts/measure-live.mjs): T-norm against the watchlist, fusion of two
 * recognisers, quality-conditioned thresholds (per detected face width),
 * each as TPIR at FPIR 1e-3 with thresholds chosen on half the frames and
 * counted on the other half (lib/eval/live/scores.ts), next to the plain
 * rule under the same cross-validation.
 *
 *   node scripts/tune-live.mjs [--a NAME] [--b NAME] [--flip NAME] [--frames N]   # pair names of scripts/live-pairs.mjs
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = process.env.LIVEFR_SHARED ?? path.resolve(root, '..', 'shared');
const { openDataset } = await import(path.join(root, 'dist/eval/dataset.js'));
const { buildLiveSet, listScenes } = await import(path.join(root, 'dist/eval/live/set.js'));
const { runLive, scoreMatrix, topOne } = await import(path.join(root, 'dist/eval/live/run.js'));
const { tnorm, fuse, searchRows, crossValidatedTpir } = await import(path.join(root, 'dist/eval/live/scores.js'));
const { PAIRS } = await import(path.join(root, 'scripts/live-pairs.mjs'));

const args = process.argv.slice(2);
const flag = (n, d) => {
  const i = args.indexOf(n);
  return i >= 0 ? args[i + 1] : d;
};
const nameA = flag('--a', 'fr-detect (auto) + mtcnn-onet + fr-feature');
const nameB = flag('--b', 'fr-detect (auto) + mtcnn-onet + faceapi-resnet');
const flipName = flag('--flip', 'fr-detect (auto) + mtcnn-onet + fr-feature (flip-averaged)');
const ds = await openDataset(path.join(shared, 'data', 'lfw-dev'));
const set = await buildLiveSet(ds, listScenes(path.join(shared, 'data', 'scenes')), flag('--frames') ? { maxFrames: Number(flag('--frames')) } : {});
const cfg = (n) => {
  const p = PAIRS.find((x) => x.name === n);
  if (!p) throw new Error(`no pair ${n}`);
  return typeof p.config === 'function' ? p.config(shared) : p.config;
};
const FPIR = 1e-3;
const pct = (x) => `${(100 * x).toFixed(1)}%`;
const row = (label, run, scores, bins = []) => {
  const r = crossValidatedTpir(searchRows(run, topOne(run, scores)), FPIR, bins);
  console.log(`| ${label} | ${pct(r.tpir)} (${r.hits}/${r.mated}) | ${r.falseAlerts} / ${r.nonMated} |`);
  return r;
};
console.log('| rule (cross-validated: thresholds on half the frames, counted on the other half) | TPIR @ FPIR 1e-3 | false alerts / non-mated |');
const a = (await runLive(set, cfg(nameA))).run;
const sa = scoreMatrix(a);
const m = a.templateIds.length;
row(`${nameA}`, a, sa);
row(`  + T-norm (cohort: the watchlist)`, a, tnorm(sa, m));
row(`  + thresholds per detected width (< 40 px, >= 40 px)`, a, sa, [40]);
row(`  + thresholds per detected width (< 36, 36-48, >= 48 px)`, a, sa, [36, 48]);
row(`  + T-norm + thresholds per width (< 40, >= 40 px)`, a, tnorm(sa, m), [40]);
try {
  const b = (await runLive(set, cfg(nameB))).run;
  if (b.faces.length !== a.faces.length || b.templateIds.join() !== a.templateIds.join()) throw new Error('the two runs do not share faces');
  const sb = scoreMatrix(b);
  row(`${nameB}`, b, sb);
  row(`fusion: mean of the two cosine scores`, a, fuse(sa, sb));
  row(`fusion: mean of the two T-normed scores`, a, fuse(tnorm(sa, m), tnorm(sb, m)));
} catch (err) {
  console.error(`fusion skipped: ${err.message}`);
}
try {
  const f = (await runLive(set, cfg(flipName))).run;
  row(`${flipName}`, f, scoreMatrix(f));
} catch (err) {
  console.error(`flip skipped: ${err.message}`);
}
