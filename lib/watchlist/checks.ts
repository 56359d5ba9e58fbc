/**
 * Argument checks of the watchlist: embeddings (finite, non-zero,
 * L2-normalised rows of `dim` values), thresholds, calibration records and
 * metadata. Each throws a LivefrTypeError or LivefrRangeError naming the
 * parameter.
 */
import { invalidType, outOfRange } from '../errors.js';
import { checkInteger, checkNumber, checkOptions, checkString, checkVectors, isPlainObject } from '../validate.js';
import { storableMetadata } from './format.js';
import type { ThresholdCalibration } from './types.js';

/** How far from 1 a row's L2 norm may be. */
export const NORM_TOLERANCE = 1e-3;

/** Float32Array of n x dim finite, non-zero, L2-normalised rows. */
export function checkEmbeddings(param: string, value: unknown, dim: number): Float32Array {
  if (!(value instanceof Float32Array)) throw invalidType(param, `a Float32Array of n x ${dim} values`, value);
  if (value.length === 0 || value.length % dim !== 0) {
    throw outOfRange(param, `a length that is a positive multiple of dim ${dim}`, value);
  }
  checkVectors(param, value, dim);
  for (let r = 0; r < value.length / dim; r++) {
    let ss = 0;
    for (let i = r * dim; i < (r + 1) * dim; i++) ss += value[i]! * value[i]!;
    if (ss === 0) throw outOfRange(param, `non-zero vectors (row ${r} is all zeros)`, value);
    const norm = Math.sqrt(ss);
    if (Math.abs(norm - 1) > NORM_TOLERANCE) {
      throw outOfRange(param, `L2-normalised rows (row ${r} has norm ${norm.toPrecision(6)})`, value);
    }
  }
  return value;
}

export function checkThreshold(param: string, value: unknown): number {
  return checkNumber(param, value);
}

export function checkCalibration(value: unknown): ThresholdCalibration {
  const o = checkOptions('options.calibration', value, ['targetFPIR', 'watchlistSize', 'method', 'interval']);
  if (!isPlainObject(value)) throw invalidType('options.calibration', 'a calibration object', value);
  const out: ThresholdCalibration = {
    targetFPIR: checkNumber('options.calibration.targetFPIR', o.targetFPIR, 0, 1),
    watchlistSize: checkInteger('options.calibration.watchlistSize', o.watchlistSize, 1),
  };
  if (o.method !== undefined) out.method = checkString('options.calibration.method', o.method);
  if (o.interval !== undefined) {
    const iv = o.interval;
    if (!Array.isArray(iv) || iv.length !== 2 || typeof iv[0] !== 'number' || typeof iv[1] !== 'number') {
      throw invalidType('options.calibration.interval', 'a [low, high] pair of numbers', iv);
    }
    if (Number.isNaN(iv[0]) || Number.isNaN(iv[1]) || iv[0] > iv[1]) {
      throw outOfRange('options.calibration.interval', 'a [low, high] pair with low <= high', iv);
    }
    out.interval = [iv[0], iv[1]];
  }
  return out;
}

/** A deep copy of user metadata, checked to be what the file stores (format.ts storableMetadata). */
export function copyMetadata(value: unknown, param = 'metadata'): Record<string, unknown> | undefined {
  return storableMetadata(param, value);
}
