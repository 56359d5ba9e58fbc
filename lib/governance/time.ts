/**
 * Times and durations in governance records: instants are ISO 8601 strings
 * (or Dates, or epoch milliseconds), durations are milliseconds, `<n>s|m|h|d`
 * shorthands, or ISO 8601 durations (`P31D`, `PT24H`, `P1DT12H`).
 */
import { invalidType, outOfRange } from '../errors.js';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** A duration in milliseconds from a number (ms) or a string ("24h", "31d", "PT24H", "P31D"). */
export function parseDuration(param: string, value: unknown): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value <= 0) throw outOfRange(param, 'a positive duration in milliseconds', value);
    return value;
  }
  if (typeof value !== 'string') throw invalidType(param, 'a duration (milliseconds, "24h", "31d" or ISO 8601 "P31D")', value);
  const s = value.trim();
  const short = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(s);
  let ms: number | undefined;
  if (short) ms = Number(short[1]) * UNIT_MS[short[2]!.toLowerCase()]!;
  else {
    const iso = /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(s);
    if (iso && s.toUpperCase() !== 'P' && !/T$/i.test(s)) {
      const [, w, d, h, m, sec] = iso;
      ms = (Number(w ?? 0) * 7 + Number(d ?? 0)) * UNIT_MS.d! + Number(h ?? 0) * UNIT_MS.h! + Number(m ?? 0) * UNIT_MS.m! + Number(sec ?? 0) * 1000;
    }
  }
  if (ms === undefined || !Number.isFinite(ms) || ms <= 0) {
    throw outOfRange(param, 'a positive duration such as "24h", "31d", "PT24H" or "P31D"', value);
  }
  return ms;
}

/** An instant from a Date, an ISO 8601 string with a time zone, or epoch milliseconds. */
export function parseInstant(param: string, value: unknown): Date {
  let d: Date;
  if (value instanceof Date) d = new Date(value.getTime());
  else if (typeof value === 'number') d = new Date(value);
  else if (typeof value === 'string') {
    // A time without a zone would depend on the machine's: refuse it.
    if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/.test(value.trim())) {
      throw outOfRange(param, 'an ISO 8601 date-time with a time zone (e.g. "2025-06-01T08:00:00Z")', value);
    }
    d = new Date(value.trim());
  } else throw invalidType(param, 'a date (Date, ISO 8601 string or epoch milliseconds)', value);
  if (Number.isNaN(d.getTime())) throw outOfRange(param, 'a valid date', value);
  return d;
}

/** Human form of a duration for messages: "24 h", "31 d", "90 min". */
export function formatDuration(ms: number): string {
  if (ms % UNIT_MS.d! === 0) return `${ms / UNIT_MS.d!} d`;
  if (ms % UNIT_MS.h! === 0) return `${ms / UNIT_MS.h!} h`;
  if (ms % UNIT_MS.m! === 0) return `${ms / UNIT_MS.m!} min`;
  return `${ms / 1000} s`;
}
