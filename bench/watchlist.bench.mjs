// Watchlist match speed on FAISS: exact (flat) vs HNSW, 10k and 100k people
// at 128 and 512 dimensions; single-query latency and 64-query batches; the
// exact scan's bandwidth against the machine's memory bandwidth measured in
// the same run; HNSW recall@10; a plain JavaScript scan for comparison.
//
// Memory bandwidth methods (both native speed, one thread, 256 MiB buffers,
// best of 5; a single query's scan also runs on one thread):
//   read: Buffer.compare of two equal buffers (memcmp reads 2 x 256 MiB);
//   copy: Float32Array.prototype.set (memmove), counted as read + write.
// The exact scan only reads, so its fraction is taken against `read`, using
// the fastest single query (the machine is shared: p50 includes waiting).
//
// HNSW (defaults: M 32, efConstruction 80, efSearch 64) is built at 10k only: at 100k
// its build costs minutes of CPU on a 2-core machine, beyond this bench's
// ~3-minute budget. `node bench/watchlist.bench.mjs --full` adds 100k.
import { Watchlist, watchlistBuildInfo } from '../dist/index.js';
import { seededRandom } from '../dist/util/random.js';
import { fmt, report, time } from './util.mjs';

const rng = seededRandom;

/** n unit vectors (uniform in the cube, normalised: cheap and enough for timing). */
function unitVectors(n, d, seed) {
  const r = rng(seed);
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let ss = 0;
    for (let j = 0; j < d; j++) {
      const v = r() * 2 - 1;
      out[i * d + j] = v;
      ss += v * v;
    }
    const s = 1 / Math.sqrt(ss);
    for (let j = 0; j < d; j++) out[i * d + j] *= s;
  }
  return out;
}

function memoryBandwidth() {
  const bytes = 256 * 1024 * 1024;
  const a = Buffer.alloc(bytes, 1);
  const b = Buffer.alloc(bytes, 1);
  const fa = new Float32Array(a.buffer, a.byteOffset, bytes / 4);
  const fb = new Float32Array(b.buffer, b.byteOffset, bytes / 4);
  let read = 0;
  let copy = 0;
  for (let i = 0; i < 5; i++) {
    let t = performance.now();
    if (Buffer.compare(a, b) !== 0) throw new Error('buffers differ');
    read = Math.max(read, (2 * bytes) / ((performance.now() - t) / 1000));
    t = performance.now();
    fb.set(fa);
    copy = Math.max(copy, (2 * bytes) / ((performance.now() - t) / 1000));
  }
  return { readGBps: read / 1e9, copyGBps: copy / 1e9 };
}

/** What a user would write without a native index: a JS loop over all templates. */
function jsScan(data, n, d, q) {
  let best = -Infinity;
  let bi = -1;
  for (let i = 0; i < n; i++) {
    let s = 0;
    const o = i * d;
    for (let j = 0; j < d; j++) s += data[o + j] * q[j];
    if (s > best) {
      best = s;
      bi = i;
    }
  }
  return bi;
}

async function enrol(wl, data, n, d) {
  const t = performance.now();
  const chunk = 10000;
  for (let s = 0; s < n; s += chunk) {
    const entries = [];
    for (let i = s; i < Math.min(n, s + chunk); i++) entries.push({ id: `p${i}`, embeddings: data.subarray(i * d, (i + 1) * d) });
    await wl.addMany(entries);
  }
  return (performance.now() - t) / 1000;
}

const started = performance.now();
const bw = memoryBandwidth();
console.log(`memory bandwidth: read ${bw.readGBps.toFixed(1)} GB/s (memcmp), copy ${bw.copyGBps.toFixed(1)} GB/s (read+write)`);
console.log('native:', JSON.stringify(watchlistBuildInfo()));

const full = process.argv.includes('--full');
const cases = [
  { n: 10_000, d: 128, hnsw: true },
  { n: 10_000, d: 512, hnsw: true },
  { n: 100_000, d: 128, hnsw: full },
  { n: 100_000, d: 512, hnsw: full },
];
const rows = [];
for (const c of cases) {
  const { n, d } = c;
  const data = unitVectors(n, d, n + d);
  const queries = unitVectors(256, d, 7 + d);
  const single = (i) => queries.subarray((i % 256) * d, ((i % 256) + 1) * d);
  const batch = queries.subarray(0, 64 * d);
  const kinds = c.hnsw ? ['flat', 'hnsw'] : ['flat'];
  for (const index of kinds) {
    const wl = new Watchlist({ dim: d, index });
    const buildS = await enrol(wl, data, n, d);
    let i = 0;
    const one = await time(() => wl.match(single(i++), { k: 5 }), { iterations: index === 'flat' && n * d > 2e7 ? 20 : 100, warmup: 3 });
    const many = await time(() => wl.match(batch, { k: 5 }), { iterations: 5, warmup: 1 });
    const row = {
      case: `${n / 1000}k x ${d}`,
      index,
      'build s': +buildS.toFixed(2),
      'single p50': fmt(one.p50),
      'single min': fmt(one.min),
      'batch64 p50': fmt(many.p50),
      'batch q/s': Math.round((64 * 1000) / many.p50),
    };
    if (index === 'flat') {
      const scanned = n * d * 4;
      const gbps = scanned / (one.min / 1000) / 1e9;
      row['scan GB/s'] = +gbps.toFixed(2);
      row['of mem read'] = `${((100 * gbps) / bw.readGBps).toFixed(0)}%`;
      const js = await time(() => jsScan(data, n, d, single(i++)), { iterations: 5, warmup: 1 });
      row['JS loop p50'] = fmt(js.p50);
    } else {
      const rec = await wl.approximateRecall({ k: 10, samples: 200 });
      row['recall@10'] = +rec.recall.toFixed(3);
    }
    rows.push(row);
    console.log(JSON.stringify(row));
  }
}
console.log(`total ${((performance.now() - started) / 1000).toFixed(0)} s`);
report('watchlist', rows, { memoryBandwidth: bw, build: watchlistBuildInfo(), cpus: (await import('node:os')).cpus().length });
