#!/usr/bin/env node
/**
 * One seed of the lifecycle fuzz group (scripts/fuzz.mjs, the long form of
 * test/14.worker-lifecycle.test.ts): ends a child process
 * (lifecycle-child.mjs) while inference is in flight, by close(),
 * process.exit(), an uncaught exception, an unhandled rejection and exit
 * during model load, at seeded random moments. A trial fails when the
 * child ends with another code, a signal or an abort message.
 *
 *   node test/helpers/lifecycle-trials.mjs --seed S [--trials N]
 * prints { "cases": n, "failures": [{ "case", "error" }] }
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../../dist/util/random.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const seed = arg('seed', 1);
const trials = arg('trials', 2);
const rnd = seededRandom(seed);
const child = fileURLToPath(new URL('./lifecycle-child.mjs', import.meta.url));
/** mode -> [expected exit code, window of delays in ms] */
const MODES = { close: [0, 60], exit: [7, 60], throw: [1, 60], reject: [1, 60], load: [7, 800] };
const failures = [];
let cases = 0;
for (const [mode, [expected, window]] of Object.entries(MODES)) {
  for (let t = 0; t < trials; t++) {
    const delay = Math.round(rnd() * window);
    const r = spawnSync(process.execPath, [child, mode, String(delay)], { encoding: 'utf8', timeout: 120_000 });
    cases++;
    const aborted = /terminate called|Napi::Error/.test(r.stderr);
    if (r.signal || r.status !== expected || aborted) {
      failures.push({ case: `${mode} after ${delay} ms`, error: `${r.signal ? `signal ${r.signal}` : `exit ${r.status}`} (expected ${expected})${aborted ? ', abort message' : ''}: ${r.stderr.slice(-300)}` });
    }
  }
}
process.stdout.write(JSON.stringify({ cases, failures }) + '\n');
