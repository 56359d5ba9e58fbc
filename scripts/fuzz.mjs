#!/usr/bin/env node
// The long adversarial run (`npm run fuzz`): the same seeded cases as the
// test suite's adversarial tests, many more of them, each group in a child
// process so a crash is reported as a crash rather than taking the run down.
// CI does not need it; run it after touching native code or file formats.
//
//   node scripts/fuzz.mjs [--seeds N] [--only NAME] [--seed-base S]
//
// Exits 1 when any case crashed or ended in something other than a livefr
// error or a working result, and prints each such case.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i < 0 ? fallback : argv[i + 1];
};
const seeds = Number(opt('seeds', 20));
const base = Number(opt('seed-base', 1000));
const only = opt('only', undefined);

/** Each group: a script under test/helpers and the arguments of one seed. */
const GROUPS = [
  ...['hnsw', 'flat', 'ivf'].map((kind) => ({
    name: `forged-${kind}`,
    script: 'test/helpers/forge-watchlist.mjs',
    args: (seed) => ['--kind', kind, '--seed', String(seed), '--flips', '600', '--people', '400', ...(seed === base ? ['--targeted'] : [])],
  })),
  // Random bad input to the raw native binding and the public calls whose errors come from native code (issue 7 item 9).
  { name: 'native-input', script: 'test/helpers/native-fuzz-child.mjs', args: (seed) => ['--seed', String(seed), '--cases', '3000'] },
  // Random metadata and duplicate templates through add(), save() and load() (issue 7 items 5 and 11).
  { name: 'enrolment', script: 'test/helpers/enrol-fuzz-child.mjs', args: (seed) => ['--seed', String(seed), '--cases', '400'] },
  // Ending a process with inference in flight (close, exit, throw, reject, exit during load): 2 trials of each per seed.
  { name: 'lifecycle', script: 'test/helpers/lifecycle-trials.mjs', args: (seed) => ['--seed', String(seed), '--trials', '2'] },
];

let bad = 0;
let total = 0;
for (const g of GROUPS) {
  if (only && g.name !== only) continue;
  let cases = 0;
  const started = Date.now();
  for (let s = base; s < base + seeds; s++) {
    const r = spawnSync(process.execPath, [path.join(root, g.script), ...g.args(s)], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0 || r.signal) {
      bad++;
      console.log(`${g.name} seed ${s}: CRASHED (exit ${r.status}, signal ${r.signal})\n${r.stderr.slice(-2000)}`);
      continue;
    }
    const report = JSON.parse(r.stdout.trim().split('\n').pop());
    cases += report.cases;
    for (const f of report.failures) {
      bad++;
      console.log(`${g.name} seed ${s}: ${f.case}: ${f.error}`);
    }
  }
  total += cases;
  console.log(`${g.name}: ${seeds} seeds, ${cases} cases, ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
console.log(`fuzz: ${total} cases, ${bad} failures`);
process.exit(bad === 0 ? 0 : 1);
