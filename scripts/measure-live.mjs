#!/usr/bin/env node
/**
 * Measures detector x embedder pairs on the live-like protocol
 * (lib/eval/live/, docs/evaluation.md "The live-like protocol") and prints
 * one row per pair: pasted-face recall per width, rank-1 per width, TPIR at
 * FPIR 1e-2 / 1e-3 / 1e-4, detection ms per 1080p frame, embedding ms per
 * face. Needs ../shared/data (lfw-dev and scenes). Results are cached in
 * .livefr-cache/live/, so a rerun only computes what is new.
 *
 *   node scripts/measure-live.mjs                      # every pair of PAIRS below
 *   node scripts/measure-live.mjs --only NAME[,NAME]   # some of them
 *   node scripts/measure-live.mjs --json out.json      # also write the figures
 *   node scripts/measure-live.mjs --frames 120         # the first 120 frames only (a prefix of the set, same cache)
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = process.env.LIVEFR_SHARED ?? path.resolve(root, '..', 'shared');
const { openDataset } = await import(path.join(root, 'dist/eval/dataset.js'));
const { buildLiveSet, listScenes } = await import(path.join(root, 'dist/eval/live/set.js'));
const { runLive } = await import(path.join(root, 'dist/eval/live/run.js'));
const { PAIRS } = await import(path.join(root, 'scripts/live-pairs.mjs'));

const args = process.argv.slice(2);
const flag = (n) => {
  const i = args.indexOf(n);
  return i >= 0 ? args[i + 1] : undefined;
};
const only = flag('--only')?.split(',');
const jsonOut = flag('--json');
const data = path.join(shared, 'data', 'lfw-dev');
if (!existsSync(data)) {
  console.error(`needs ${data} (../shared/data); absent`);
  process.exit(2);
}
const ds = await openDataset(data);
const set = await buildLiveSet(ds, listScenes(path.join(shared, 'data', 'scenes')), flag('--frames') ? { maxFrames: Number(flag('--frames')) } : {});
console.error(`live-like set ${set.key.slice(0, 12)}: ${JSON.stringify(set.counts)}`);
const pct = (x) => (x === null || x === undefined || Number.isNaN(x) ? '—' : `${(100 * x).toFixed(1)}%`);
const out = [];
for (const p of PAIRS) {
  if (only && !only.includes(p.name)) continue;
  const config = typeof p.config === 'function' ? p.config(shared) : p.config;
  const t0 = performance.now();
  let r;
  try {
    r = await runLive(set, config, process.stderr.isTTY ? { onProgress: (e) => process.stderr.write(`\r${e.label} ${e.done}/${e.total}${e.finished ? '\n' : ''}`) } : {});
  } catch (err) {
    console.error(`${p.name}: ${err.message}`);
    continue;
  }
  const f = r.figures;
  const rec = Object.fromEntries(f.recall.map((x) => [x.width, x.rate]));
  const r1 = Object.fromEntries(f.rank1.map((x) => [x.width, x.rate]));
  const tp = Object.fromEntries(f.tpirAtFpir.map((x) => [x.fpir, x]));
  const row = `| ${p.name} | ${pct(rec[32])} / ${pct(rec[48])} / ${pct(rec.all)} | ${pct(r1[32])} / ${pct(r1[40])} / ${pct(r1[48])} / ${pct(r1[64])} | ${pct(tp[0.01]?.tpir)} | **${pct(tp[0.001]?.tpir)}** | ${tp[0.0001]?.refused ? 'refused' : pct(tp[0.0001]?.tpir)} | ${f.searches.mated} / ${f.searches.nonMated} | ${r.timing.detectMsMedian.toFixed(0)} | ${r.timing.embedMsPerFace.toFixed(1)} |`;
  console.log(row);
  console.error(`  (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  out.push({ name: p.name, config, figures: f, timing: r.timing, set: { key: set.key, counts: set.counts } });
}
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(out, null, 1));
