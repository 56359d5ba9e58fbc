/**
 * Score lists: checking them, the float32 threshold convention
 * (nextUp32), sorting and counting helpers shared by the metrics, and
 * histograms. See index.ts for the conventions.
 */
import { invalidType, outOfRange } from '../../errors.js';
import { checkInteger } from '../../validate.js';

export type Scores = ArrayLike<number>;

/** Default minimum expected number of errors at a target rate (rule of three). */
export const MIN_EXPECTED_ERRORS = 3;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The smallest float32 strictly greater than x (x itself need not be a float32). */
export function nextUp32(x: number): number {
  if (Number.isNaN(x) || x === Infinity) return x;
  if (x === -Infinity) return -3.4028234663852886e38;
  const f = Math.fround(x);
  if (f > x) return f;
  if (f === 0) return 1.401298464324817e-45;
  f32[0] = f;
  u32[0] = f > 0 ? u32[0]! + 1 : u32[0]! - 1;
  return f32[0]!;
}

/** Scores as a Float64Array; NaN is rejected, -Infinity (no face) is allowed. */
export function toScores(param: string, value: unknown): Float64Array {
  if (!Array.isArray(value) && !(ArrayBuffer.isView(value) && !(value instanceof DataView))) {
    throw invalidType(param, 'an array or typed array of scores', value);
  }
  const a = value as ArrayLike<unknown>;
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (typeof v !== 'number' || Number.isNaN(v) || v === Infinity) {
      throw outOfRange(`${param}[${i}]`, 'a finite score (or -Infinity for "no face")', v);
    }
    out[i] = v;
  }
  return out;
}

export function sortedDesc(a: Float64Array): Float64Array {
  return Float64Array.from(a).sort().reverse();
}

/** Number of values in a descending array that are >= t (binary search). */
export function countAtLeast(desc: Float64Array, t: number): number {
  let lo = 0;
  let hi = desc.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (desc[mid]! >= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Counts of values per bin over [lo, hi] (values outside are clamped into the end bins). */
export function histogram(values: Scores, bins: number, lo: number, hi: number): number[] {
  checkInteger('bins', bins, 1, 10000);
  const out = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    const b = Math.min(bins - 1, Math.max(0, Math.floor(((v - lo) / (hi - lo)) * bins)));
    out[b]!++;
  }
  return out;
}
