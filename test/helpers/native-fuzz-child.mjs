#!/usr/bin/env node
// Seeded random bad input to the raw native binding (bypassing every
// TypeScript check) and to the public calls whose errors come from native
// code. Every failure must be one of livefr's error classes with a code (and
// a parameter for type and range errors); a crash kills this process, which
// the caller (npm run fuzz) reports with the seed.
//
//   node test/helpers/native-fuzz-child.mjs --seed S --cases N
//
// Prints one JSON line: { seed, cases, failures: [{ case, error }] }.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const { raw } = await import(path.join(root, 'dist/native/index.js'));
const lf = await import(path.join(root, 'dist/index.js'));
const { seededRandom } = await import(path.join(root, 'dist/util/random.js'));

const argv = process.argv.slice(2);
const opt = (n, d) => (argv.includes(`--${n}`) ? argv[argv.indexOf(`--${n}`) + 1] : d);
const seed = Number(opt('seed', 1));
const cases = Number(opt('cases', 500));
const r = seededRandom(seed);
const pick = (a) => a[Math.floor(r() * a.length)];
const int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1));

/** A value that is sometimes right, often wrong in type or size. */
function anyValue(depth = 0) {
  const k = int(0, 13);
  switch (k) {
    case 0: return undefined;
    case 1: return null;
    case 2: return pick([0, -1, 1, 2.5, 1e39, -1e39, NaN, Infinity, 65537, 2 ** 31]);
    case 3: return pick(['', 'rgb', 'nv12', 'bogus', 'flat', 'hnsw', 'ivf', 'scrfd']);
    case 4: return new Uint8Array(int(0, 64));
    case 5: return new Float32Array(int(0, 40)).map(() => (r() < 0.1 ? NaN : (r() - 0.5) * pick([1, 100, 1e39])));
    case 6: return new Float64Array(int(0, 8)).map(() => int(-3, 40));
    case 7: return new BigInt64Array(int(0, 8)).map(() => BigInt(int(-3, 40)));
    case 8: return new Int32Array(int(0, 21)).map(() => int(-5, 60));
    case 9: return depth > 1 ? {} : frameLike();
    case 10: return depth > 1 ? [] : Array.from({ length: int(0, 5) }, () => anyValue(depth + 1));
    case 11: return () => 1;
    case 12: return depth > 1 ? {} : { size: anyValue(2), mean: anyValue(2), std: anyValue(2), template: anyValue(2), points: anyValue(2) };
    default: return true;
  }
}

function frameLike() {
  const width = pick([1, 2, 7, 16, 33, 0, -1, 40000, 2.5]);
  const height = pick([1, 3, 16, 21, 0, 40000]);
  const format = pick(['rgb', 'bgr', 'rgba', 'bgra', 'gray', 'nv12', 'i420', 'yuv', 5]);
  const stride = pick([undefined, width * 3, width, 0, -4, 1 << 20]);
  const bytes = pick([0, 10, 100, 3 * 16 * 21, 4 * 33 * 21, 1 << 16]);
  return { data: r() < 0.9 ? new Uint8Array(bytes) : new Float32Array(4), width, height, format, stride };
}

const CLASSES = new Map([
  ['TypeError', 'ERR_LIVEFR_INVALID_TYPE'],
  ['RangeError', 'ERR_LIVEFR_OUT_OF_RANGE'],
  ['FileFormatError', 'ERR_LIVEFR_FILE_FORMAT'],
  ['StateError', 'ERR_LIVEFR_STATE'],
  ['NativeError', 'ERR_LIVEFR_NATIVE'],
]);

function judge(err) {
  if (!(err instanceof Error)) return `threw a non-error ${String(err)}`;
  const code = CLASSES.get(err.name);
  if (!code || err.code !== code) return `${err.name} without a livefr code (${err.code}): ${err.message}`;
  if ((err.name === 'TypeError' || err.name === 'RangeError') && (typeof err.parameter !== 'string' || err.parameter.length === 0)) {
    return `${err.name} without a parameter: ${err.message}`;
  }
  return null;
}

const b = raw();
const calls = [
  ['letterbox', () => b.letterbox(anyValue(), anyValue(), anyValue())],
  ['alignFaces', () => b.alignFaces(anyValue(), anyValue(), anyValue(), anyValue())],
  ['similarityTransform', () => b.similarityTransform(anyValue(), anyValue())],
  ['convertColor', () => b.convertColor(anyValue(), anyValue(), anyValue())],
  ['squareCrops', () => b.squareCrops(anyValue(), anyValue(), anyValue(), anyValue())],
  ['setSimd', () => b.setSimd(anyValue())],
  ['detectPostprocess', () => b.detectPostprocess(anyValue())],
  ['qualitySharpness', () => b.qualitySharpness(anyValue(), anyValue())],
  ['WatchIndex', () => new b.WatchIndex(anyValue())],
  ['WatchIndex.add', () => new b.WatchIndex({ dim: 2, kind: pick(['flat', 'hnsw', 'ivf']) }).add(anyValue(), anyValue())],
  ['WatchIndex.search', () => new b.WatchIndex({ dim: 2, kind: 'flat' }).search(anyValue(), anyValue())],
  ['WatchIndex.load', () => new b.WatchIndex({ dim: 2, kind: pick(['flat', 'hnsw', 'ivf']) }).load(anyValue())],
  ['alignFaces (public)', () => lf.alignFaces(frameLike(), anyValue(), anyValue())],
  ['letterbox (public)', () => lf.letterbox(frameLike(), anyValue())],
  ['convertColor (public)', () => lf.convertColor(frameLike(), anyValue())],
];

const failures = [];
for (let i = 0; i < cases; i++) {
  const [name, call] = pick(calls);
  try {
    await call();
  } catch (err) {
    const bad = judge(err);
    if (bad) failures.push({ case: `${i} ${name}`, error: bad });
  }
}
console.log(JSON.stringify({ seed, cases, failures }));
