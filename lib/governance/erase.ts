/**
 * Erasure of a person: their templates leave the index (an HNSW graph is
 * rebuilt without them), their metadata leaves memory and, with `file`, the
 * disk (the saved file is written anew and the one it replaced is zeroed:
 * no free list, no stale pages); the embedding cache of `livefr eval` loses
 * every record that matches them, and any other file of the cache folder
 * still holding their template bytes is removed; every alert crop of theirs
 * is deleted. The audit log records that an erasure happened and its
 * counts, never who or what.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { invalidType } from '../errors.js';
import { dropCacheRecords } from '../eval/cache.js';
import { removeFileScrubbed } from '../util/atomic-file.js';
import { checkNumber, checkOptions, checkString } from '../validate.js';
import type { Watchlist, WatchlistKeySource } from '../watchlist/index.js';
import { verifyAuditLog, type AuditLog } from './audit.js';
import { CropStore } from './crops.js';
import { GovernanceState } from './state.js';

export interface EraseOptions {
  /** The watchlist's file: saved without the person at once. */
  file?: string;
  /** Key of the file (see Watchlist.save). */
  key?: WatchlistKeySource;
  /** Embedding cache folders (`livefr eval --cache`) to purge. */
  cacheDirs?: string[];
  /** A cache record whose cosine similarity to one of the person's templates reaches this is theirs (default: the watchlist's threshold). */
  cacheThreshold?: number;
  /** Audit logs whose alerts may hold crops of the person (default: `audit`'s). */
  alertLogs?: string[];
  /** Where the erasure is recorded (counts only). */
  audit?: AuditLog;
}

export interface ErasureReport {
  /** 1 when the person was on the watchlist, else 0 (caches and crops are purged either way). */
  people: number;
  templates: number;
  cacheRecords: number;
  cacheFiles: number;
  crops: number;
}

/** Erases person `id` everywhere livefr keeps them. */
export async function erase(watchlist: Watchlist, id: string, options?: EraseOptions): Promise<ErasureReport> {
  const key = checkString('id', id);
  const o = checkOptions('options', options, ['file', 'key', 'cacheDirs', 'cacheThreshold', 'alertLogs', 'audit']);
  if (!watchlist || typeof watchlist.templates !== 'function') throw invalidType('watchlist', 'a Watchlist', watchlist);
  const file = o.file === undefined ? undefined : checkString('options.file', o.file);
  const cacheDirs = checkPaths('options.cacheDirs', o.cacheDirs);
  const audit = o.audit as AuditLog | undefined;
  const alertLogs = o.alertLogs === undefined ? (audit ? [audit.file] : []) : checkPaths('options.alertLogs', o.alertLogs);
  const cacheThreshold = o.cacheThreshold === undefined ? watchlist.threshold : checkNumber('options.cacheThreshold', o.cacheThreshold, -1, 1);

  // 1. The templates, kept only for this call: to find their copies.
  const templates = (await watchlist.templates(key)) ?? new Float32Array(0);
  const dim = watchlist.dim;
  const n = templates.length / dim;
  try {
    // 2. Out of the index and memory; an HNSW graph keeps removed vectors as waypoints until rebuilt.
    const removed = await watchlist.remove(key);
    if (removed && watchlist.indexKind === 'hnsw') await watchlist.compact();
    // 3. Out of the file: a fresh file, the replaced one zeroed.
    if (file !== undefined) await watchlist.save(file, o.key === undefined ? undefined : { key: o.key as WatchlistKeySource });
    // 4. Out of the evaluation caches.
    let cacheRecords = 0;
    let cacheFiles = 0;
    for (const d of cacheDirs) {
      const r = await purgeCacheFolder(d, templates, dim, cacheThreshold);
      cacheRecords += r.records;
      cacheFiles += r.files;
    }
    // 5. Their alert crops.
    let crops = 0;
    for (const log of alertLogs) crops += deleteCropsOf(log, key);
    const report: ErasureReport = { people: removed ? 1 : 0, templates: removed ? n : 0, cacheRecords, cacheFiles, crops };
    audit?.append('erasure', { ...report });
    return report;
  } finally {
    templates.fill(0);
  }
}

function checkPaths(param: string, v: unknown): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw invalidType(param, 'an array of paths', v);
  return v.map((p, i) => checkString(`${param}[${i}]`, p));
}

/** Best cosine similarity of `e` to any row of `templates`. */
function bestScore(e: Float32Array, templates: Float32Array, dim: number): number {
  if (e.length !== dim) return -Infinity;
  let norm = 0;
  for (let j = 0; j < dim; j++) norm += e[j]! * e[j]!;
  norm = Math.sqrt(norm) || 1;
  let best = -Infinity;
  for (let r = 0; r < templates.length / dim; r++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += e[j]! * templates[r * dim + j]!;
    best = Math.max(best, s / norm);
  }
  return best;
}

function filesUnder(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const name of names) {
    const p = path.join(dir, name);
    const st = statSync(p, { throwIfNoEntry: false });
    if (st?.isDirectory()) out.push(...filesUnder(p));
    else if (st?.isFile()) out.push(p);
  }
  return out;
}

/**
 * Drops the person's records from every embedding cache of `dir`, then
 * removes any file there that still holds one of their templates' bytes
 * (at any offset).
 */
async function purgeCacheFolder(dir: string, templates: Float32Array, dim: number, threshold: number): Promise<{ records: number; files: number }> {
  let records = 0;
  let files = 0;
  if (templates.length === 0) return { records, files };
  for (const f of filesUnder(dir)) {
    const dropped = await dropCacheRecords(f, (e) => bestScore(e, templates, dim) >= threshold);
    if (dropped) {
      records += dropped;
      files++;
    }
  }
  const needles = Array.from({ length: templates.length / dim }, (_, r) => Buffer.from(templates.buffer, templates.byteOffset + r * dim * 4, dim * 4));
  for (const f of filesUnder(dir)) {
    const bytes = readFileSync(f);
    if (needles.some((b) => bytes.indexOf(b) >= 0)) {
      removeFileScrubbed(f);
      files++;
    }
    bytes.fill(0);
  }
  return { records, files };
}

/** Deletes the crops of every alert for `id` in an audit log. */
function deleteCropsOf(log: string, id: string): number {
  const v = verifyAuditLog(log);
  // A damaged log still names crops: use what verified, and the rest is found by the next erasure of the same id.
  const state = GovernanceState.from(v.records);
  const crops = new CropStore(path.dirname(path.resolve(log)), '.');
  let n = 0;
  for (const a of state.alerts.values()) {
    if (a.watchlistId === id && a.crop && crops.delete(a.crop)) n++;
  }
  return n;
}
