/**
 * The watchlist file format, version 1: bytes in, bytes out.
 *
 *   offset  size  field
 *   0       8     magic "LFRWATCH"
 *   8       4     format version (u32 LE) = 1
 *   12      4     flags (u32 LE) = 0
 *   16      8     JSON length J (u64 LE)
 *   24      8     index length X (u64 LE)
 *   32      J     JSON description (UTF-8): options, threshold, calibration, people
 *   32+J    X     native index bytes (LFIX header + FAISS write_index)
 *   32+J+X  32    SHA-256 of bytes [0, 32+J+X)
 *
 * `encodeWatchlist` / `decodeWatchlist` turn a description plus index bytes
 * into file bytes and back, checking everything the layout promises (sizes,
 * magic, version, checksum, JSON schema); `writeFileAtomic` and
 * `readWatchlistBytes` move bytes to and from disk (a temporary file beside
 * the target, flushed, then renamed over it: a crash leaves the old or the
 * new file). What the index bytes mean is the native core's business
 * (native/src/index/store.cc, which validates them again on load).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { removeStaleTemps, writeFileAtomic as writeFileAtomicFs } from '../util/atomic-file.js';
import { FileFormatError, FileSystemError, LivefrRangeError, invalidType, outOfRange, type FileFormatReason } from '../errors.js';
import { isPlainObject } from '../validate.js';
import type { CalibrationRecord, HnswOptions, IvfOptions, WatchlistIndexKind } from './types.js';

export const MAGIC = Buffer.from('LFRWATCH', 'latin1');
export const FORMAT_VERSION = 1;
export const HEADER_SIZE = 32;
export const DIGEST_SIZE = 32;

/** One person as the file stores it. */
export interface FilePerson {
  id: string;
  /** Template ids (the native index's ids for this person's vectors). */
  templates: number[];
  metadata?: Record<string, unknown>;
}

/** The JSON description of a watchlist, as written. */
export interface FileJson {
  format: 'livefr-watchlist';
  dim: number;
  index: WatchlistIndexKind;
  hnsw: Required<HnswOptions>;
  ivf: Required<IvfOptions>;
  threshold: number;
  /** Interval bounds that are not finite are written as strings ('Infinity', '-Infinity'). */
  calibration: (Omit<CalibrationRecord, 'interval'> & { interval?: [number | string, number | string] }) | null;
  nextTemplateId: number;
  people: FilePerson[];
}

/** What a file holds once its layout and checksum are verified. */
export interface DecodedWatchlist {
  /** The JSON description: parsed, with its top-level shape checked (format tag, people array). */
  json: FileJson;
  /** The native index bytes (a view into the file's bytes). */
  index: Uint8Array;
}

/** Largest metadata of one person, as JSON (bytes). */
export const MAX_METADATA_BYTES = 64 * 1024;
/** Deepest nesting of metadata. */
export const MAX_METADATA_DEPTH = 32;

/**
 * A deep copy of `value` if it is what the file stores as a person's
 * metadata, a plain object of JSON values that comes back from the file
 * unchanged (null, booleans, finite numbers, strings, arrays and plain
 * objects of those); else a TypeError or RangeError naming the part that is
 * not (a Date, a boxed Number, an object with toJSON, undefined, NaN, a
 * cycle...), so save() and load() never meet what add() accepted but the
 * file cannot hold.
 */
export function storableMetadata(param: string, value: unknown): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (!isPlainData(value) || Array.isArray(value)) throw invalidType(param, 'a plain object of JSON values (null, booleans, finite numbers, strings, arrays, plain objects)', value);
  const seen = new Set<object>();
  const copy = (v: unknown, where: string, depth: number): unknown => {
    if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw outOfRange(where, 'a finite number (JSON has no NaN or Infinity)', v);
      return v;
    }
    if (typeof v !== 'object' || !isPlainData(v)) {
      throw invalidType(where, 'a JSON value: null, a boolean, a finite number, a string, an array or a plain object (a Date, a boxed primitive, a class instance, undefined or a function would not come back from the file as it is)', v);
    }
    if (depth > MAX_METADATA_DEPTH) throw outOfRange(where, `metadata nested at most ${MAX_METADATA_DEPTH} levels deep`, v);
    if (seen.has(v)) throw outOfRange(where, 'metadata without cycles', v);
    seen.add(v);
    let out: unknown;
    if (Array.isArray(v)) {
      out = v.map((x, i) => copy(x, `${where}[${i}]`, depth + 1));
    } else {
      if (Object.getOwnPropertySymbols(v).length > 0) throw invalidType(where, 'an object without symbol keys (JSON drops them)', v);
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) o[k] = copy(x, `${where}.${k}`, depth + 1);
      out = o;
    }
    seen.delete(v);
    return out;
  };
  const result = copy(value, param, 0) as Record<string, unknown>;
  const bytes = Buffer.byteLength(JSON.stringify(result), 'utf8');
  if (bytes > MAX_METADATA_BYTES) throw outOfRange(param, `metadata of at most ${MAX_METADATA_BYTES} bytes as JSON (this is ${bytes})`, value);
  return result;
}

/** An array, or an object whose prototype is Object.prototype or null, with no toJSON. */
function isPlainData(v: unknown): v is object {
  if (typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) return Object.getPrototypeOf(v) === Array.prototype;
  const proto = Object.getPrototypeOf(v);
  return (proto === Object.prototype || proto === null) && typeof (v as { toJSON?: unknown }).toJSON !== 'function';
}

/** Interval bound to JSON: non-finite bounds become strings. */
export function encodeBound(v: number): number | string {
  return Number.isFinite(v) ? v : String(v);
}

/** Interval bound from JSON; anything unexpected is NaN (rejected by the calibration check). */
export function decodeBound(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return NaN;
}

/** The file's bytes, as chunks to write in order: header, JSON, index, SHA-256. */
export function encodeWatchlist(json: FileJson, index: Uint8Array): Buffer[] {
  const jsonBytes = Buffer.from(JSON.stringify(json), 'utf8');
  const header = Buffer.alloc(HEADER_SIZE);
  MAGIC.copy(header, 0);
  header.writeUInt32LE(FORMAT_VERSION, 8);
  header.writeUInt32LE(0, 12);
  header.writeBigUInt64LE(BigInt(jsonBytes.length), 16);
  header.writeBigUInt64LE(BigInt(index.length), 24);
  const digest = createHash('sha256').update(header).update(jsonBytes).update(index).digest();
  return [header, jsonBytes, Buffer.from(index.buffer, index.byteOffset, index.byteLength), digest];
}

/**
 * Checks a file's layout and checksum and parses its JSON. `source` names
 * the file in errors. Any damage is a FileFormatError saying what is wrong.
 */
export function decodeWatchlist(bytes: Uint8Array, source: string): DecodedWatchlist {
  const bad = fileError(source);
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length >= 8 && !b.subarray(0, 8).equals(MAGIC)) throw bad('not a livefr watchlist (bad magic)', undefined, 'not-livefr');
  if (b.length < HEADER_SIZE + DIGEST_SIZE) throw bad(`too short for a livefr watchlist (${b.length} bytes)`, undefined, 'truncated');
  const version = b.readUInt32LE(8);
  if (version !== FORMAT_VERSION) {
    throw bad(`format version ${version} is not supported (this livefr reads version ${FORMAT_VERSION})`, undefined, version > FORMAT_VERSION ? 'newer-version' : 'corrupt');
  }
  const jsonLen = b.readBigUInt64LE(16);
  const indexLen = b.readBigUInt64LE(24);
  const expected = BigInt(HEADER_SIZE) + jsonLen + indexLen + BigInt(DIGEST_SIZE);
  if (expected !== BigInt(b.length)) {
    throw bad(`truncated or extended: the header announces ${expected} bytes, the file has ${b.length}`, undefined, expected > BigInt(b.length) ? 'truncated' : 'corrupt');
  }
  const body = b.subarray(0, b.length - DIGEST_SIZE);
  const digest = createHash('sha256').update(body).digest();
  if (!digest.equals(b.subarray(b.length - DIGEST_SIZE))) throw bad('SHA-256 checksum mismatch (the file is corrupt or was modified)', undefined, 'corrupt');
  const jsonEnd = HEADER_SIZE + Number(jsonLen);
  let json: unknown;
  try {
    json = JSON.parse(b.subarray(HEADER_SIZE, jsonEnd).toString('utf8'));
  } catch (err) {
    throw bad('metadata is not valid JSON', err, 'corrupt');
  }
  if (!isPlainObject(json) || json.format !== 'livefr-watchlist') throw bad('metadata is not a livefr watchlist description', undefined, 'invalid');
  if (!Array.isArray(json.people)) throw bad('people is not an array', undefined, 'invalid');
  return { json: json as unknown as FileJson, index: b.subarray(jsonEnd, b.length - DIGEST_SIZE) };
}

/** A FileFormatError factory naming the file. */
export function fileError(source: string): (what: string, cause?: unknown, reason?: FileFormatReason) => FileFormatError {
  return (what, cause, reason = 'invalid') => new FileFormatError(`${source}: ${what}`, { ...(cause === undefined ? {} : { cause }), reason });
}

/** Reads a watchlist file's bytes; a file that cannot be read is a FileFormatError naming it. */
export async function readWatchlistBytes(source: string): Promise<Buffer> {
  try {
    return await readFile(source);
  } catch (err) {
    throw fileError(source)(`cannot read the watchlist file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, err, 'unreadable');
  }
}

/** Errors of the path itself: a RangeError naming it. Others (permissions, full disk): FileSystemError. */
const PATH_ERRORS = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'ENAMETOOLONG', 'ELOOP', 'EINVAL', 'ERR_INVALID_ARG_VALUE', 'ERR_INVALID_ARG_TYPE']);

/** A Node file-system error about `target` as a livefr error naming `param`, with the original as `cause`. */
export function fileSystemError(err: unknown, param: string, target: string, doing: string): Error {
  const code = (err as NodeJS.ErrnoException)?.code ?? 'unknown';
  const message = (err as Error)?.message ?? String(err);
  const why = message.startsWith(code) ? message : `${code}: ${message}`;
  if (PATH_ERRORS.has(code)) {
    return new LivefrRangeError(param, `Expected a path to a file in an existing directory for ${param} but cannot ${doing} ${JSON.stringify(target)} (${why})`, { cause: err });
  }
  return new FileSystemError(param, `Cannot ${doing} ${JSON.stringify(target)} (${why})`, { cause: err });
}

/**
 * Writes chunks to `target` atomically (lib/util/atomic-file.ts): a
 * temporary file beside it (`.<name>.<pid>-<thread>.<hex>.tmp`), fsync'ed,
 * renamed over the target, then the folder fsync'ed, so a crash leaves
 * either the old or the new file, byte for byte. Temporary files that dead
 * writers left are removed first; the replaced file's bytes are zeroed once
 * unlinked. Failures are livefr errors naming `param` (fileSystemError).
 */
export async function writeFileAtomic(target: string, chunks: readonly Uint8Array[], param = 'path'): Promise<void> {
  try {
    await writeAtomically(target, chunks);
  } catch (err) {
    throw fileSystemError(err, param, target, 'write');
  }
}

async function writeAtomically(target: string, chunks: readonly Uint8Array[]): Promise<void> {
  // What killed writers left for this file goes first (never a live writer's file); then temp file, fsync, rename, fsync of the folder.
  removeStaleTemps(target);
  await writeFileAtomicFs(target, chunks, { scrubPrevious: true });
}
