/**
 * Argument checks shared by every public entry point. Each throws a
 * LivefrTypeError or LivefrRangeError naming the parameter.
 */
import { invalidType, outOfRange } from './errors.js';

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

/** Options object: undefined becomes {}; unknown keys are an error. */
export function checkOptions<K extends string>(
  param: string,
  value: unknown,
  allowed: readonly K[],
): Partial<Record<K, unknown>> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) throw invalidType(param, 'an options object', value);
  for (const key of Object.keys(value)) {
    if (!(allowed as readonly string[]).includes(key)) {
      throw outOfRange(`${param}.${key}`, `one of the known options (${allowed.join(', ')})`, key);
    }
  }
  return value as Partial<Record<K, unknown>>;
}

export function checkInteger(param: string, value: unknown, min: number, max: number = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidType(param, 'an integer', value);
  if (value < min || value > max) {
    throw outOfRange(param, max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer between ${min} and ${max}`, value);
  }
  return value;
}

export function checkNumber(param: string, value: unknown, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number') throw invalidType(param, 'a number', value);
  if (!Number.isFinite(value)) throw outOfRange(param, 'a finite number', value);
  if (value < min || value > max) throw outOfRange(param, `a number between ${min} and ${max}`, value);
  return value;
}

export function checkString(param: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw invalidType(param, 'a non-empty string', value);
  return value;
}

export function checkBoolean(param: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalidType(param, 'a boolean', value);
  return value;
}

export function checkEnum<T extends string>(param: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string') throw invalidType(param, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value);
  if (!(allowed as readonly string[]).includes(value)) {
    throw outOfRange(param, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value);
  }
  return value as T;
}

/** A Float32Array of finite values whose length is a positive multiple of dim. */
export function checkVectors(param: string, value: unknown, dim: number): Float32Array {
  if (!(value instanceof Float32Array)) throw invalidType(param, `a Float32Array of n x ${dim} values`, value);
  if (value.length === 0 || value.length % dim !== 0) {
    throw outOfRange(param, `a Float32Array whose length is a positive multiple of ${dim}`, value);
  }
  for (let i = 0; i < value.length; i++) {
    if (!Number.isFinite(value[i]!)) throw outOfRange(param, `finite values (index ${i} is ${value[i]})`, value);
  }
  return value;
}
