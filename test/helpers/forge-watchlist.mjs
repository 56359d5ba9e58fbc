#!/usr/bin/env node
// Forges watchlist files whose SHA-256 is recomputed (so every load check
// that is not about the index structure passes), loads each, and uses what
// loads: match, add, remove, save. Run in a child process: a forged file
// that reaches FAISS unvalidated kills it (SIGSEGV), which the parent sees.
//
//   node test/helpers/forge-watchlist.mjs --kind hnsw --seed 1 --flips 320 [--targeted] [--dir DIR]
//
// Prints one JSON line: { kind, cases, rejected, loaded, errors: {code: n},
// failures: [...], outcomes: { <targeted case>: 'rejected' | 'loaded' } }.
// `failures` lists cases that ended in something other than a livefr
// FileFormatError or a working watchlist (an untyped error, a wrong result).
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const { Watchlist } = await import(path.join(root, 'dist/index.js'));
const { seededRandom } = await import(path.join(root, 'dist/util/random.js'));

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = process.argv[i + 1];
  return v === undefined || v.startsWith('--') ? true : v;
}

const kind = arg('kind', 'hnsw');
const seed = Number(arg('seed', 1));
const flips = Number(arg('flips', 100));
const targeted = arg('targeted', false) === true;
const verbose = arg('verbose', false) === true;
const people = Number(arg('people', 120));
const dim = 16;
const dir = arg('dir', undefined) ?? mkdtempSync(path.join(tmpdir(), 'livefr-forge-'));

function unitVectors(n, d, s) {
  const r = seededRandom(s);
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let ss = 0;
    for (let j = 0; j < d; j++) {
      const g = Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
      out[i * d + j] = g;
      ss += g * g;
    }
    for (let j = 0; j < d; j++) out[i * d + j] /= Math.sqrt(ss);
  }
  return out;
}

// ----------------------------------------------------- the good file ----
const options = { dim, index: kind, ...(kind === 'ivf' ? { ivf: { nlist: 4, trainSize: 40 } } : {}), ...(kind === 'hnsw' ? { hnsw: { M: 8 } } : {}) };
const wl = new Watchlist(options);
const vectors = unitVectors(people, dim, seed + 1000);
await wl.addMany(Array.from({ length: people }, (_, i) => ({ id: `p${i}`, embeddings: vectors.slice(i * dim, (i + 1) * dim) })));
if (kind === 'hnsw') {
  for (let i = 0; i < people; i += 7) await wl.remove(`p${i}`); // some tombstones
}
const good = path.join(dir, 'good.lfw');
await wl.save(good);
const bytes = readFileSync(good);
const jsonLen = Number(bytes.readBigUInt64LE(16));
const indexStart = 32 + jsonLen;
const indexEnd = bytes.length - 32;

/** Writes bytes with a recomputed digest; returns the path. */
function resign(body, name) {
  const digest = createHash('sha256').update(body).digest();
  const f = path.join(dir, name);
  writeFileSync(f, Buffer.concat([body, digest]));
  return f;
}

// --------------------------------------- where the HNSW fields are ----
/** Offsets (in the file) of the HNSW graph fields, parsed from the bytes livefr writes. */
function hnswLayout() {
  let p = indexStart + 16; // LFIX, version, kind, dim
  const count = Number(bytes.readBigUInt64LE(p));
  p += 8 + count * 8 + count; // labels, tombstones
  const faiss = p;
  p += 4 + 4 + 8 + 8 + 8 + 1 + 4; // IHNf, d, ntotal, 2 dummies, is_trained, metric
  const vec = (elem) => {
    const n = Number(bytes.readBigUInt64LE(p));
    const at = { sizeAt: p, dataAt: p + 8, n, elem };
    p += 8 + n * elem;
    return at;
  };
  const probas = vec(8);
  const cum = vec(4);
  const levels = vec(4);
  const offsets = vec(8);
  const neighbors = vec(4);
  const scalars = p; // entry_point, max_level, efConstruction, efSearch, upper_beam
  return { count, faiss, probas, cum, levels, offsets, neighbors, scalars, storage: scalars + 20 };
}

/** Named forgeries of the graph structure (each a function editing a copy of the body). */
function targetedForgeries() {
  if (kind !== 'hnsw') return [];
  const L = hnswLayout();
  const i32 = (at, v) => (b) => b.writeInt32LE(v, at);
  const u64 = (at, v) => (b) => b.writeBigUInt64LE(BigInt(v), at);
  const nb = (k) => L.neighbors.dataAt + 4 * k;
  const lv = (k) => L.levels.dataAt + 4 * k;
  const out = [
    ['neighbour id far out of range', i32(nb(3), 1 << 30)],
    ['neighbour id = ntotal', i32(nb(5), L.count)],
    ['neighbour id just past the end, last node', i32(nb(L.neighbors.n - 1), L.count + 1)],
    ['neighbour id very negative', i32(nb(7), -(1 << 30))],
    ['every neighbour of node 0 out of range', (b) => { for (let k = 0; k < 16; k++) b.writeInt32LE(L.count + k, nb(k)); }],
    ['level 0 for node 1', i32(lv(1), 0)],
    ['level -3 for node 2', i32(lv(2), -3)],
    ['level 99 for node 3', i32(lv(3), 99)],
    ['level 1 << 30 for the entry point', (b) => b.writeInt32LE(1 << 30, lv(b.readInt32LE(L.scalars)))],
    ['entry point out of range', i32(L.scalars, L.count + 10)],
    ['entry point negative', i32(L.scalars, -7)],
    ['max_level 40', i32(L.scalars + 4, 40)],
    ['max_level -5', i32(L.scalars + 4, -5)],
    ['efSearch 1 << 30', i32(L.scalars + 12, 1 << 30)],
    ['upper_beam 0', i32(L.scalars + 16, 0)],
    ['upper_beam 1 << 28', i32(L.scalars + 16, 1 << 28)],
    ['efConstruction 0', i32(L.scalars + 8, 0)],
    ['offset of node 1 moved', (b) => b.writeBigUInt64LE(b.readBigUInt64LE(L.offsets.dataAt + 8) + 5n, L.offsets.dataAt + 8)],
    ['last offset huge', u64(L.offsets.dataAt + 8 * (L.offsets.n - 1), 2 ** 40)],
    ['cum_nneighbor_per_level[1] 1000', i32(L.cum.dataAt + 4, 1000)],
    ['cum_nneighbor_per_level[2] below [1]', i32(L.cum.dataAt + 8, 1)],
    ['neighbors count 2^39', u64(L.neighbors.sizeAt, 2 ** 39)],
    ['neighbors count 2^33', u64(L.neighbors.sizeAt, 2 ** 33)],
    ['levels count 2^34', u64(L.levels.sizeAt, 2 ** 34)],
    ['assign_probas count 0', u64(L.probas.sizeAt, 0)],
    ['storage ntotal + 1', (b) => b.writeBigInt64LE(b.readBigInt64LE(L.storage + 8) + 1n, L.storage + 8)],
    ['storage dimension 8', i32(L.storage + 4, 8)],
    ['hnsw ntotal + 1', (b) => b.writeBigInt64LE(b.readBigInt64LE(L.faiss + 8) + 1n, L.faiss + 8)],
    ['tombstone flag 2', (b) => { b[indexStart + 24 + L.count * 8] = 2; }],
    ['every tombstone cleared', (b) => b.fill(0, indexStart + 24 + L.count * 8, indexStart + 24 + L.count * 9)],
    ['label duplicated', (b) => b.writeBigInt64LE(b.readBigInt64LE(indexStart + 24 + 8), indexStart + 24 + 16)],
    ['label count + 1', (b) => b.writeBigUInt64LE(BigInt(L.count + 1), indexStart + 16)],
  ];
  return out;
}

// ------------------------------------------------------------ cases ----
const rand = seededRandom(seed);
const cases = [];
if (targeted) for (const [name, edit] of targetedForgeries()) cases.push({ name, edit, targeted: true });
for (let i = 0; i < flips; i++) {
  const at = indexStart + Math.floor(rand() * (indexEnd - indexStart));
  const bit = 1 << Math.floor(rand() * 8);
  cases.push({ name: `flip byte ${at - indexStart} of the index, bit ${bit}`, edit: (b) => { b[at] ^= bit; } });
}

const queries = unitVectors(8, dim, seed + 7);
const report = { kind, seed, cases: cases.length, rejected: 0, loaded: 0, errors: {}, failures: [], outcomes: {} };
for (const [n, c] of cases.entries()) {
  const body = Buffer.from(bytes.subarray(0, bytes.length - 32));
  if (verbose) process.stderr.write(`case ${n}: ${c.name}\n`);
  c.edit(body);
  const file = resign(body, `case-${n}.lfw`);
  let loaded;
  try {
    loaded = await Watchlist.load(file);
  } catch (err) {
    report.errors[err?.code ?? err?.name ?? 'unknown'] = (report.errors[err?.code ?? err?.name ?? 'unknown'] ?? 0) + 1;
    if (err?.name === 'FileFormatError' && err.code === 'ERR_LIVEFR_FILE_FORMAT' && String(err.message).includes(file)) {
      report.rejected++;
      if (c.targeted) report.outcomes[c.name] = 'rejected';
    } else report.failures.push({ case: c.name, error: `${err?.name}: ${err?.message}` });
    continue;
  }
  // It loaded: it must work like a watchlist.
  try {
    report.loaded++;
    if (c.targeted) report.outcomes[c.name] = 'loaded';
    if (verbose) process.stderr.write(`  loaded: ${c.name}\n`);
    const ids = new Set(loaded.ids());
    const results = await loaded.match(queries, { k: 5 });
    for (const r of results) for (const cand of r.candidates) if (!ids.has(cand.id)) throw new Error(`match returned unknown id ${cand.id}`);
    await loaded.add('new-person', queries.slice(0, dim));
    await loaded.addMany([{ id: 'new-2', embeddings: queries.slice(dim, 2 * dim) }]);
    const again = await loaded.match(queries.subarray(0, dim), { k: 1 });
    if (again[0].best?.id !== 'new-person') throw new Error(`the person just added is not found (got ${again[0].best?.id})`);
    const first = loaded.ids()[0];
    await loaded.remove(first);
    await loaded.match(queries, { k: 10 });
    if (kind === 'hnsw') await loaded.compact();
    await loaded.save(path.join(dir, `resaved-${n}.lfw`));
  } catch (err) {
    report.failures.push({ case: c.name, error: `after load: ${err?.name}: ${err?.message}` });
  }
}
if (arg('dir', undefined) === undefined) rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify(report));
