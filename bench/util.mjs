// Shared helpers for the benchmarks: timing with warm-up, percentiles, and
// writing results as JSON beside the printed table.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDir = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(benchDir, '..');
export const sharedDir = process.env.LIVEFR_SHARED ?? path.resolve(repoRoot, '..', 'shared');

/** Times `fn` (sync or async) after `warmup` calls; returns ms statistics. */
export async function time(fn, { iterations = 50, warmup = 5, minMs = 0 } = {}) {
  for (let i = 0; i < warmup; i++) await fn();
  const samples = [];
  const t0 = performance.now();
  while (samples.length < iterations || performance.now() - t0 < minMs) {
    const s = performance.now();
    await fn();
    samples.push(performance.now() - s);
  }
  samples.sort((a, b) => a - b);
  const q = (p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))];
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  return { n: samples.length, mean, p50: q(0.5), p90: q(0.9), min: samples[0] };
}

export function fmt(ms) {
  return ms < 1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(2)} ms`;
}

/** Prints a table (array of row objects) and saves JSON to bench/results/<name>.json. */
export function report(name, rows, extra = {}) {
  console.table(rows);
  const out = path.join(benchDir, 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, `${name}.json`), JSON.stringify({ name, date: new Date().toISOString(), rows, ...extra }, null, 2));
}

/** CPU time (ms) of this process's reaped children (ffmpeg decoders), from /proc/self/stat (Linux; 10 ms ticks). */
export function childCpuMs() {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(f[13]) + Number(f[14])) * 10;
}
