#!/usr/bin/env node
// Seeded enrolment fuzz (npm run fuzz): random metadata (JSON data and the
// values the file cannot store as they are) and random duplicate templates.
// add() must either refuse with a livefr TypeError/RangeError naming the
// parameter, or accept what then comes back from save() and load() equal.
//
//   node test/helpers/enrol-fuzz-child.mjs --seed S --cases N
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const { Watchlist } = await import(path.join(root, 'dist/index.js'));
const { seededRandom } = await import(path.join(root, 'dist/util/random.js'));
const argv = process.argv.slice(2);
const opt = (n, d) => (argv.includes(`--${n}`) ? argv[argv.indexOf(`--${n}`) + 1] : d);
const seed = Number(opt('seed', 1));
const cases = Number(opt('cases', 300));
const r = seededRandom(seed);
const pick = (a) => a[Math.floor(r() * a.length)];
const D = 8;

function vector(k) {
  const g = seededRandom(k);
  const v = new Float32Array(D);
  let ss = 0;
  for (let j = 0; j < D; j++) ss += (v[j] = g() - 0.5) ** 2;
  for (let j = 0; j < D; j++) v[j] /= Math.sqrt(ss);
  return v;
}

function value(depth) {
  const odd = [() => new Date(0), () => new Number(1), () => ({ toJSON: () => 1 }), () => undefined, () => NaN, () => Infinity, () => () => 1, () => 1n, () => new Map(), () => new (class X {})()];
  if (r() < 0.04) return pick(odd)();
  const k = Math.floor(r() * (depth > 3 ? 4 : 6));
  if (k === 0) return null;
  if (k === 1) return r() < 0.5;
  if (k === 2) return (r() - 0.5) * 1e3;
  if (k === 3) return 'x'.repeat(Math.floor(r() * 8));
  if (k === 4) return Array.from({ length: Math.floor(r() * 3) }, () => value(depth + 1));
  return Object.fromEntries(Array.from({ length: Math.floor(r() * 3) }, (_, i) => [`k${i}`, value(depth + 1)]));
}

const dir = mkdtempSync(path.join(tmpdir(), 'livefr-enrol-fuzz-'));
const failures = [];
const kind = pick(['flat', 'hnsw', 'ivf']);
const wl = new Watchlist({ dim: D, index: kind });
const kept = new Map();
const used = new Set();
for (let i = 0; i < cases; i++) {
  const meta = r() < 0.9 ? { v: value(0) } : pick([new Date(0), new Number(2), [1], 'str']);
  const k = r() < 0.15 && used.size ? pick([...used]) : i + 1;
  try {
    await wl.add(`p${i}`, vector(k), meta);
    used.add(k);
    kept.set(`p${i}`, meta);
  } catch (err) {
    const ok = (err?.name === 'TypeError' || err?.name === 'RangeError') && /^ERR_LIVEFR_/.test(err.code ?? '') && typeof err.parameter === 'string';
    if (!ok) failures.push({ case: `${i}`, error: `${err?.name} ${err?.code}: ${err?.message}` });
    if (ok && err.name === 'RangeError' && err.parameter === 'embeddings' && !used.has(k)) failures.push({ case: `${i}`, error: `a fresh vector refused: ${err.message}` });
  }
}
const file = path.join(dir, 'w.lfw');
await wl.save(file);
const back = await Watchlist.load(file);
for (const [id, meta] of kept) if (!isDeepStrictEqual(back.get(id), JSON.parse(JSON.stringify(meta)))) failures.push({ case: id, error: 'metadata changed through save/load' });
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ seed, cases, failures }));
