#!/usr/bin/env node
// Runs every benchmark in bench/ (or those named on the command line), each
// in a fresh Node process so one case's warm caches or threads do not bias
// another. Each bench prints its own table; results are also written as JSON
// to bench/results/<name>.json.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const all = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.mjs'))
  .map((f) => f.replace(/\.bench\.mjs$/, ''))
  .sort();
const names = wanted.length ? wanted : all;
let failed = 0;
for (const name of names) {
  if (!all.includes(name)) {
    console.error(`unknown benchmark '${name}' (known: ${all.join(', ')})`);
    process.exitCode = 2;
    continue;
  }
  console.log(`\n=== ${name} ===`);
  const r = spawnSync(process.execPath, [path.join(dir, `${name}.bench.mjs`)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
if (failed) process.exitCode = 1;
