/**
 * Watchlist: people (string ids) with one or more L2-normalised face
 * templates each, searched by inner product (= cosine similarity) in a FAISS
 * index owned by the native core (native/src/index).
 *
 * - TypeScript validates every argument; the native side re-checks sizes.
 * - Mutations (add, remove, train, save) run one after another in call order;
 *   matches run concurrently with them. The native index holds a
 *   readers-writer lock, and a template whose person was removed is never
 *   reported, even by a search that was already in flight.
 * - Persistence is one file: header, JSON metadata, FAISS bytes, SHA-256.
 *
 * See docs/watchlist.md.
 */
import { seededRandom } from './util/random.js';
import { createHash, randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import {
  FileFormatError,
  LivefrRangeError,
  NativeError,
  StateError,
  invalidType,
  outOfRange,
} from './errors.js';
import { native } from './native.js';
import { checkBoolean, checkEnum, checkInteger, checkNumber, checkOptions, checkString, checkVectors, isPlainObject } from './validate.js';

// ------------------------------------------------------------------ types --

export const WATCHLIST_INDEX_KINDS = ['flat', 'hnsw', 'ivf'] as const;
export type WatchlistIndexKind = (typeof WATCHLIST_INDEX_KINDS)[number];

export interface HnswOptions {
  /** Graph degree (default 32). */
  M?: number;
  /** Candidates explored per search (default 64; raised to k when k is larger). */
  efSearch?: number;
  /** Candidates explored per insertion (default 80). */
  efConstruction?: number;
}

export interface IvfOptions {
  /** Number of inverted lists (k-means cells; default 64). */
  nlist?: number;
  /** Lists visited per search (default 8). */
  nprobe?: number;
  /**
   * Templates stored before the index trains itself (default 39 x nlist,
   * FAISS' recommendation). Until then searches are exact. `train()` trains
   * earlier (it needs at least nlist templates).
   */
  trainSize?: number;
}

export interface WatchlistOptions {
  /** Embedding dimension. */
  dim: number;
  /** 'flat' (exact, default), 'hnsw' or 'ivf' (approximate). */
  index?: WatchlistIndexKind;
  hnsw?: HnswOptions;
  ivf?: IvfOptions;
  /** Alert threshold on cosine similarity (default 0.5, an uncalibrated placeholder). */
  threshold?: number;
}

/** What a calibration measured: recorded with the threshold and saved with the file. */
export interface ThresholdCalibration {
  /** False positive identification rate the threshold was set for. */
  targetFPIR: number;
  /** Number of people on the watchlist the calibration assumed. */
  watchlistSize: number;
  method?: string;
  /** Confidence interval of the ideal threshold (bounds may be infinite). */
  interval?: [number, number];
}

/** The calibration record kept by the watchlist. */
export interface CalibrationRecord extends ThresholdCalibration {
  /** The calibrated threshold: lower thresholds need `force`. */
  threshold: number;
  /** ISO time the calibration was applied. */
  setAt: string;
}

export interface SetThresholdOptions {
  calibration?: ThresholdCalibration;
  /** Allows a threshold below the calibrated one (raises false alerts). */
  force?: boolean;
}

export interface MatchOptions {
  /** Alert threshold for this call (default: watchlist.threshold). */
  threshold?: number;
  /** Distinct people to return per query (default 5). */
  k?: number;
  /** Allows a threshold below the calibrated one for this call (raises false alerts). */
  force?: boolean;
}

export interface MatchCandidate {
  id: string;
  /** Cosine similarity of the person's best template. */
  score: number;
}

export interface MatchResult {
  /** Best k distinct people, best first, reported even below the threshold. */
  candidates: MatchCandidate[];
  /** best.score >= threshold. */
  alert: boolean;
  best: MatchCandidate | null;
}

export interface WatchlistEntry {
  id: string;
  templates: number;
  metadata: Record<string, unknown> | undefined;
}

export interface RecallOptions {
  /** Query vectors (n x dim, L2-normalised). Default: templates sampled from the watchlist. */
  queries?: Float32Array;
  /** Neighbours compared (default 10, capped at templateCount). */
  k?: number;
  /** Sampled queries when none are given (default 200). */
  samples?: number;
  /** Seed of the sampling (default 1). */
  seed?: number;
}

export interface RecallReport {
  index: WatchlistIndexKind;
  /** Mean over queries of |approximate top-k ∩ exact top-k| / |exact top-k| (templates). */
  recall: number;
  k: number;
  queries: number;
  /** True when the search is exact (flat, or ivf before training): recall is 1 by construction. */
  exact: boolean;
}

/** What the native watchlist index was compiled with. */
export interface WatchlistBuildInfo {
  faiss: string | null;
  gpu: boolean;
  kinds: string[];
}

// ------------------------------------------------------ native binding ----

interface NativeSearchResult {
  scores: Float32Array;
  ids: BigInt64Array;
}

interface NativeWatchIndex {
  add(ids: Float64Array | BigInt64Array, vectors: Float32Array): Promise<void>;
  remove(ids: Float64Array | BigInt64Array): Promise<number>;
  search(queries: Float32Array, k: number, exact?: boolean): Promise<NativeSearchResult>;
  vectors(ids: Float64Array | BigInt64Array): Promise<Float32Array>;
  ids(): Promise<BigInt64Array>;
  train(): Promise<void>;
  compact(): Promise<number>;
  serialize(): Promise<Uint8Array>;
  load(bytes: Uint8Array): Promise<void>;
  readonly size: number;
  readonly tombstones: number;
  readonly trained: boolean;
  readonly dim: number;
  readonly kind: WatchlistIndexKind;
}

interface NativeIndexOptions {
  dim: number;
  kind: WatchlistIndexKind;
  M: number;
  efSearch: number;
  efConstruction: number;
  nlist: number;
  nprobe: number;
}

type NativeWatchIndexClass = new (options: NativeIndexOptions) => NativeWatchIndex;

function nativeIndexClass(): NativeWatchIndexClass {
  const ctor = native().WatchIndex;
  if (typeof ctor !== 'function') {
    throw new NativeError('This build of the livefr native core has no watchlist index (it was compiled without FAISS: LIVEFR_WITH_FAISS=OFF).');
  }
  return ctor as NativeWatchIndexClass;
}

/** FAISS version, GPU path and index kinds compiled into the native core. */
export function watchlistBuildInfo(): WatchlistBuildInfo {
  const f = native().indexInfo;
  if (typeof f !== 'function') return { faiss: null, gpu: false, kinds: [] };
  return (f as () => WatchlistBuildInfo)();
}

/** Turns a native rejection (plain Error with a code) into livefr's error classes. */
function mapNativeError(err: unknown, param: string, file?: string): Error {
  const e = err as { code?: string; message?: string };
  const msg = e?.message ?? String(err);
  switch (e?.code) {
    case 'ERR_LIVEFR_OUT_OF_RANGE':
      return new LivefrRangeError(param, `${msg}`);
    case 'ERR_LIVEFR_FILE_FORMAT':
      return new FileFormatError(file ? `${file}: ${msg}` : msg, { cause: err });
    case 'ERR_LIVEFR_STATE':
      return new StateError(msg);
    default:
      return err instanceof Error ? err : new NativeError(msg, { cause: err });
  }
}

// --------------------------------------------------------------- checks ----

const NORM_TOLERANCE = 1e-3;

/** Float32Array of n x dim finite, non-zero, L2-normalised rows. */
function checkEmbeddings(param: string, value: unknown, dim: number): Float32Array {
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

function checkThreshold(param: string, value: unknown): number {
  return checkNumber(param, value);
}

function checkCalibration(value: unknown): ThresholdCalibration {
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

/** A JSON-safe deep copy of user metadata (what save() will write). */
function copyMetadata(value: unknown): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) throw invalidType('metadata', 'a plain object of JSON values', value);
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw invalidType('metadata', `a plain object of JSON values (${(err as Error).message})`, value);
  }
  return JSON.parse(text) as Record<string, unknown>;
}

/** Deterministic PRNG for reproducible sampling. */
const rng = seededRandom;

// ----------------------------------------------------------- file format ----
//
//   offset  size  field
//   0       8     magic "LFRWATCH"
//   8       4     format version (u32 LE) = 1
//   12      4     flags (u32 LE) = 0
//   16      8     JSON length J (u64 LE)
//   24      8     index length X (u64 LE)
//   32      J     JSON metadata (UTF-8)
//   32+J    X     native index bytes (LFIX header + FAISS write_index)
//   32+J+X  32    SHA-256 of bytes [0, 32+J+X)

const MAGIC = Buffer.from('LFRWATCH', 'latin1');
const FORMAT_VERSION = 1;
const HEADER_SIZE = 32;
const DIGEST_SIZE = 32;

interface FilePerson {
  id: string;
  templates: number[];
  metadata?: Record<string, unknown>;
}

interface FileJson {
  format: 'livefr-watchlist';
  dim: number;
  index: WatchlistIndexKind;
  hnsw: Required<HnswOptions>;
  ivf: Required<IvfOptions>;
  threshold: number;
  calibration: (Omit<CalibrationRecord, 'interval'> & { interval?: [number | string, number | string] }) | null;
  nextTemplateId: number;
  people: FilePerson[];
}

function encodeBound(v: number): number | string {
  return Number.isFinite(v) ? v : String(v);
}
function decodeBound(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return NaN;
}

// ------------------------------------------------------------ Watchlist ----

interface Person {
  templates: number[];
  metadata: Record<string, unknown> | undefined;
}

export class Watchlist {
  readonly dim: number;
  readonly indexKind: WatchlistIndexKind;
  readonly #hnsw: Required<HnswOptions>;
  readonly #ivf: Required<IvfOptions>;
  readonly #native: NativeWatchIndex;
  readonly #people = new Map<string, Person>();
  /** template id -> person id */
  readonly #owner = new Map<number, string>();
  #templateCount = 0;
  #maxTemplates = 0;
  #nextTemplateId = 0;
  #threshold: number;
  #calibration: CalibrationRecord | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #pending = 0;

  constructor(options: WatchlistOptions) {
    const o = checkOptions('options', options, ['dim', 'index', 'hnsw', 'ivf', 'threshold']);
    if (options === undefined) throw invalidType('options', 'an options object with dim', options);
    this.dim = checkInteger('options.dim', o.dim, 1, 65536);
    this.indexKind = o.index === undefined ? 'flat' : checkEnum('options.index', o.index, WATCHLIST_INDEX_KINDS);
    if (o.hnsw !== undefined && this.indexKind !== 'hnsw') {
      throw outOfRange('options.hnsw', "options.index 'hnsw' (hnsw options only apply to it)", o.hnsw);
    }
    if (o.ivf !== undefined && this.indexKind !== 'ivf') {
      throw outOfRange('options.ivf', "options.index 'ivf' (ivf options only apply to it)", o.ivf);
    }
    const h = checkOptions('options.hnsw', o.hnsw, ['M', 'efSearch', 'efConstruction']);
    this.#hnsw = {
      M: h.M === undefined ? 32 : checkInteger('options.hnsw.M', h.M, 2, 256),
      efSearch: h.efSearch === undefined ? 64 : checkInteger('options.hnsw.efSearch', h.efSearch, 1, 100000),
      efConstruction: h.efConstruction === undefined ? 80 : checkInteger('options.hnsw.efConstruction', h.efConstruction, 1, 100000),
    };
    const v = checkOptions('options.ivf', o.ivf, ['nlist', 'nprobe', 'trainSize']);
    const nlist = v.nlist === undefined ? 64 : checkInteger('options.ivf.nlist', v.nlist, 1, 1 << 20);
    this.#ivf = {
      nlist,
      nprobe: v.nprobe === undefined ? Math.min(8, nlist) : checkInteger('options.ivf.nprobe', v.nprobe, 1, nlist),
      trainSize: v.trainSize === undefined ? 39 * nlist : checkInteger('options.ivf.trainSize', v.trainSize, nlist),
    };
    this.#threshold = o.threshold === undefined ? 0.5 : checkThreshold('options.threshold', o.threshold);
    const Ctor = nativeIndexClass();
    this.#native = new Ctor({
      dim: this.dim,
      kind: this.indexKind,
      M: this.#hnsw.M,
      efSearch: this.#hnsw.efSearch,
      efConstruction: this.#hnsw.efConstruction,
      nlist: this.#ivf.nlist,
      nprobe: this.#ivf.nprobe,
    });
  }

  // ------------------------------------------------------------ state ----

  /** Number of people. */
  get size(): number {
    return this.#people.size;
  }
  /** Number of templates (vectors) over all people. */
  get templateCount(): number {
    return this.#templateCount;
  }
  /** False for an ivf index that has not trained yet (searches are exact until then). */
  get trained(): boolean {
    return this.#native.trained;
  }
  /** Options the watchlist was created with (for reporting). */
  get options(): { dim: number; index: WatchlistIndexKind; hnsw?: Required<HnswOptions>; ivf?: Required<IvfOptions> } {
    const o: { dim: number; index: WatchlistIndexKind; hnsw?: Required<HnswOptions>; ivf?: Required<IvfOptions> } = { dim: this.dim, index: this.indexKind };
    if (this.indexKind === 'hnsw') o.hnsw = { ...this.#hnsw };
    if (this.indexKind === 'ivf') o.ivf = { ...this.#ivf };
    return o;
  }
  has(id: string): boolean {
    return this.#people.has(checkString('id', id));
  }
  ids(): string[] {
    return [...this.#people.keys()];
  }
  /** A copy of the metadata of `id`, or undefined when it has none or is absent. */
  get(id: string): Record<string, unknown> | undefined {
    const p = this.#people.get(checkString('id', id));
    return p?.metadata === undefined ? undefined : structuredClone(p.metadata);
  }
  entries(): WatchlistEntry[] {
    return [...this.#people].map(([id, p]) => ({
      id,
      templates: p.templates.length,
      metadata: p.metadata === undefined ? undefined : structuredClone(p.metadata),
    }));
  }

  // -------------------------------------------------------- threshold ----

  /** Alert threshold on cosine similarity. */
  get threshold(): number {
    return this.#threshold;
  }
  /** The calibration recorded with the threshold, if any. */
  get calibration(): CalibrationRecord | undefined {
    return this.#calibration === undefined ? undefined : structuredClone(this.#calibration);
  }

  /**
   * Sets the alert threshold. With `calibration`, records what it was
   * calibrated for. Once a calibrated threshold is set, a lower threshold
   * (more false alerts than calibrated) throws a RangeError unless `force`.
   */
  setThreshold(threshold: number, options?: SetThresholdOptions): void {
    const t = checkThreshold('threshold', threshold);
    const o = checkOptions('options', options, ['calibration', 'force']);
    const force = o.force === undefined ? false : checkBoolean('options.force', o.force);
    const cal = o.calibration === undefined ? undefined : checkCalibration(o.calibration);
    this.#guardThreshold('threshold', t, force);
    this.#threshold = t;
    if (cal !== undefined) this.#calibration = { ...cal, threshold: t, setAt: new Date().toISOString() };
  }

  /** A threshold below the calibrated one raises more false alerts: refused unless forced. */
  #guardThreshold(param: string, t: number, force: boolean): void {
    if (this.#calibration !== undefined && t < this.#calibration.threshold && !force) {
      throw new LivefrRangeError(
        param,
        `Expected ${param} >= the calibrated threshold ${this.#calibration.threshold} (calibrated for FPIR ${this.#calibration.targetFPIR} at ` +
          `${this.#calibration.watchlistSize} people) but received ${t}: a lower threshold raises more false alerts; pass { force: true } to override`,
      );
    }
  }

  // -------------------------------------------------------- mutations ----

  /** Runs mutations one at a time, in call order. */
  #enqueue<T>(fn: () => Promise<T>): Promise<T> {
    this.#pending++;
    const run = this.#queue.then(fn, fn);
    this.#queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run.finally(() => {
      this.#pending--;
    });
  }

  /**
   * Adds templates (n x dim, L2-normalised) for person `id`; appends to an
   * existing person, whose metadata is replaced when `metadata` is given.
   * The array is read by the native core until the promise settles: do not
   * modify it before then.
   */
  async add(id: string, embeddings: Float32Array, metadata?: Record<string, unknown>): Promise<void> {
    const key = checkString('id', id);
    let vectors = checkEmbeddings('embeddings', embeddings, this.dim);
    const meta = copyMetadata(metadata);
    // Waiting behind other mutations: copy, so the caller may reuse its buffer.
    if (this.#pending > 0) vectors = vectors.slice();
    return this.#insert([{ id: key, embeddings: vectors, metadata: meta }], vectors, 'embeddings');
  }

  /**
   * Adds many people in one native call (one FAISS add, parallel for
   * HNSW/IVF): the fast way to enrol thousands. Same rules as add(); an id
   * may appear more than once. All entries are checked before any is added.
   */
  async addMany(entries: readonly { id: string; embeddings: Float32Array; metadata?: Record<string, unknown> }[]): Promise<void> {
    if (!Array.isArray(entries)) throw invalidType('entries', 'an array of { id, embeddings, metadata? }', entries);
    const checked = entries.map((e, i) => {
      const o = checkOptions(`entries[${i}]`, e, ['id', 'embeddings', 'metadata']);
      if (e === undefined) throw invalidType(`entries[${i}]`, 'an object { id, embeddings, metadata? }', e);
      return {
        id: checkString(`entries[${i}].id`, o.id),
        embeddings: checkEmbeddings(`entries[${i}].embeddings`, o.embeddings, this.dim),
        metadata: copyMetadata(o.metadata),
      };
    });
    const total = checked.reduce((s, e) => s + e.embeddings.length, 0);
    if (total === 0) return;
    const vectors = new Float32Array(total);
    let off = 0;
    for (const e of checked) {
      vectors.set(e.embeddings, off);
      off += e.embeddings.length;
    }
    return this.#insert(checked, vectors, 'entries');
  }

  /** Adds checked entries whose templates, in order, are `vectors` (one native add). */
  #insert(
    entries: readonly { id: string; embeddings: Float32Array; metadata: Record<string, unknown> | undefined }[],
    vectors: Float32Array,
    param: string,
  ): Promise<void> {
    const n = vectors.length / this.dim;
    return this.#enqueue(async () => {
      const tids = new Float64Array(n);
      for (let i = 0; i < n; i++) tids[i] = this.#nextTemplateId + i;
      try {
        await this.#native.add(tids, vectors);
      } catch (err) {
        throw mapNativeError(err, param);
      }
      this.#nextTemplateId += n;
      let t = 0;
      for (const e of entries) {
        const p = this.#people.get(e.id) ?? { templates: [], metadata: undefined };
        for (let i = 0; i < e.embeddings.length / this.dim; i++, t++) {
          p.templates.push(tids[t]!);
          this.#owner.set(tids[t]!, e.id);
        }
        if (e.metadata !== undefined) p.metadata = e.metadata;
        this.#people.set(e.id, p);
        this.#maxTemplates = Math.max(this.#maxTemplates, p.templates.length);
      }
      this.#templateCount += n;
      await this.#maybeTrain();
    });
  }

  async #maybeTrain(): Promise<void> {
    if (this.indexKind === 'ivf' && !this.#native.trained && this.#templateCount >= this.#ivf.trainSize) {
      await this.#native.train();
    }
  }

  /** Removes a person and all their templates. Resolves false if absent. */
  async remove(id: string): Promise<boolean> {
    const key = checkString('id', id);
    return this.#enqueue(async () => {
      const p = this.#people.get(key);
      if (!p) return false;
      // Forget the templates first: from now on no match reports them.
      this.#people.delete(key);
      for (const t of p.templates) this.#owner.delete(t);
      this.#templateCount -= p.templates.length;
      if (p.templates.length === this.#maxTemplates) {
        this.#maxTemplates = 0;
        for (const q of this.#people.values()) this.#maxTemplates = Math.max(this.#maxTemplates, q.templates.length);
      }
      try {
        await this.#native.remove(Float64Array.from(p.templates));
      } catch (err) {
        // Not expected (the ids are ours); keep the person rather than lose track of its vectors.
        this.#people.set(key, p);
        for (const t of p.templates) this.#owner.set(t, key);
        this.#templateCount += p.templates.length;
        this.#maxTemplates = Math.max(this.#maxTemplates, p.templates.length);
        throw mapNativeError(err, 'id');
      }
      return true;
    });
  }

  /**
   * Trains an ivf index now on the stored templates (it trains by itself
   * once `ivf.trainSize` templates are stored). Needs at least ivf.nlist
   * templates. A no-op for flat and hnsw, and once trained.
   */
  async train(): Promise<void> {
    if (this.indexKind !== 'ivf') return;
    return this.#enqueue(async () => {
      if (this.#native.trained) return;
      if (this.#templateCount < this.#ivf.nlist) {
        throw outOfRange(
          'ivf.nlist',
          `at most as many lists as stored templates: training ${this.#ivf.nlist} lists needs at least ${this.#ivf.nlist} templates, the watchlist has ${this.#templateCount}; add more or choose a smaller ivf.nlist`,
          this.#ivf.nlist,
        );
      }
      try {
        await this.#native.train();
      } catch (err) {
        throw mapNativeError(err, 'ivf.nlist');
      }
    });
  }

  /** hnsw: rebuilds the graph without removed entries (also done automatically when they outnumber live ones). */
  async compact(): Promise<number> {
    return this.#enqueue(() => this.#native.compact());
  }

  // ----------------------------------------------------------- search ----

  /**
   * Matches each query (n x dim, L2-normalised) against the watchlist:
   * one result per query, with the best `k` distinct people.
   */
  async match(embeddings: Float32Array, options?: MatchOptions): Promise<MatchResult[]> {
    const queries = checkEmbeddings('embeddings', embeddings, this.dim);
    const o = checkOptions('options', options, ['threshold', 'k', 'force']);
    const k = o.k === undefined ? 5 : checkInteger('options.k', o.k, 1, 10000);
    const threshold = o.threshold === undefined ? this.#threshold : checkThreshold('options.threshold', o.threshold);
    this.#guardThreshold('options.threshold', threshold, o.force === undefined ? false : checkBoolean('options.force', o.force));
    const n = queries.length / this.dim;
    // Each person holds at most maxTemplates templates, so the best k x
    // maxTemplates templates always contain the best k distinct people.
    const kt = Math.min(this.#native.size, k * Math.max(1, this.#maxTemplates));
    if (kt === 0) return Array.from({ length: n }, () => ({ candidates: [], alert: false, best: null }));
    const r = await this.#native.search(queries, kt);
    const out: MatchResult[] = new Array(n);
    for (let q = 0; q < n; q++) {
      const seen = new Set<string>();
      const candidates: MatchCandidate[] = [];
      for (let j = q * kt; j < (q + 1) * kt && candidates.length < k; j++) {
        const tid = Number(r.ids[j]!);
        if (tid < 0) break;
        const person = this.#owner.get(tid);
        if (person === undefined || seen.has(person)) continue; // removed meanwhile, or a worse template
        seen.add(person);
        candidates.push({ id: person, score: r.scores[j]! });
      }
      const best = candidates[0] ?? null;
      out[q] = { candidates, alert: best !== null && best.score >= threshold, best: best === null ? null : { ...best } };
    }
    return out;
  }

  /**
   * Measures what the approximate index costs: recall@k of its template
   * search against an exact search of the same vectors.
   */
  async approximateRecall(options?: RecallOptions): Promise<RecallReport> {
    const o = checkOptions('options', options, ['queries', 'k', 'samples', 'seed']);
    const kWanted = o.k === undefined ? 10 : checkInteger('options.k', o.k, 1, 10000);
    const samples = o.samples === undefined ? 200 : checkInteger('options.samples', o.samples, 1, 100000);
    const seed = o.seed === undefined ? 1 : checkInteger('options.seed', o.seed, 0, 2 ** 32 - 1);
    const given = o.queries === undefined ? undefined : checkEmbeddings('options.queries', o.queries, this.dim);
    return this.#enqueue(async () => {
      const exact = this.indexKind === 'flat' || !this.#native.trained;
      const k = Math.min(kWanted, this.#templateCount);
      if (k === 0) throw new StateError('approximateRecall() needs a non-empty watchlist');
      let queries = given;
      if (queries === undefined) {
        const all = [...this.#owner.keys()];
        const rand = rng(seed);
        const pick = new Float64Array(Math.min(samples, all.length));
        for (let i = 0; i < pick.length; i++) {
          const j = i + Math.floor(rand() * (all.length - i));
          [all[i], all[j]] = [all[j]!, all[i]!];
          pick[i] = all[i]!;
        }
        queries = await this.#native.vectors(pick);
      }
      const n = queries.length / this.dim;
      const [approx, truth] = await Promise.all([this.#native.search(queries, k), this.#native.search(queries, k, true)]);
      let sum = 0;
      for (let q = 0; q < n; q++) {
        const want = new Set<bigint>();
        for (let j = q * k; j < (q + 1) * k; j++) if (truth.ids[j]! >= 0n) want.add(truth.ids[j]!);
        let hit = 0;
        for (let j = q * k; j < (q + 1) * k; j++) if (want.has(approx.ids[j]!)) hit++;
        sum += want.size === 0 ? 1 : hit / want.size;
      }
      return { index: this.indexKind, recall: sum / n, k, queries: n, exact };
    });
  }

  // ------------------------------------------------------ persistence ----

  /**
   * Saves to one file (written to a temporary file, flushed, then renamed
   * over `file`, so a crash never leaves a half-written watchlist).
   */
  async save(file: string): Promise<void> {
    const target = checkString('path', file);
    return this.#enqueue(async () => {
      const indexBytes = await this.#native.serialize();
      const cal = this.#calibration;
      const json: FileJson = {
        format: 'livefr-watchlist',
        dim: this.dim,
        index: this.indexKind,
        hnsw: this.#hnsw,
        ivf: this.#ivf,
        threshold: this.#threshold,
        calibration:
          cal === undefined
            ? null
            : { ...cal, interval: cal.interval === undefined ? undefined : [encodeBound(cal.interval[0]), encodeBound(cal.interval[1])] },
        nextTemplateId: this.#nextTemplateId,
        people: [...this.#people].map(([id, p]) => (p.metadata === undefined ? { id, templates: p.templates } : { id, templates: p.templates, metadata: p.metadata })),
      };
      const jsonBytes = Buffer.from(JSON.stringify(json), 'utf8');
      const header = Buffer.alloc(HEADER_SIZE);
      MAGIC.copy(header, 0);
      header.writeUInt32LE(FORMAT_VERSION, 8);
      header.writeUInt32LE(0, 12);
      header.writeBigUInt64LE(BigInt(jsonBytes.length), 16);
      header.writeBigUInt64LE(BigInt(indexBytes.length), 24);
      const digest = createHash('sha256').update(header).update(jsonBytes).update(indexBytes).digest();
      const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      const fh = await open(tmp, 'w');
      try {
        await fh.writev([header, jsonBytes, indexBytes, digest]);
        await fh.sync();
      } catch (err) {
        await fh.close().catch(() => undefined);
        await unlink(tmp).catch(() => undefined);
        throw err;
      }
      await fh.close();
      try {
        await rename(tmp, target);
      } catch (err) {
        await unlink(tmp).catch(() => undefined);
        throw err;
      }
    });
  }

  /** Loads a file written by save(). Any damage is a FileFormatError naming the file. */
  static async load(file: string): Promise<Watchlist> {
    const source = checkString('path', file);
    const bad = (what: string, cause?: unknown) => new FileFormatError(`${source}: ${what}`, cause === undefined ? undefined : { cause });
    let bytes: Buffer;
    try {
      bytes = await readFile(source);
    } catch (err) {
      throw bad(`cannot read the watchlist file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, err);
    }
    if (bytes.length < HEADER_SIZE + DIGEST_SIZE) throw bad(`too short for a livefr watchlist (${bytes.length} bytes)`);
    if (!bytes.subarray(0, 8).equals(MAGIC)) throw bad('not a livefr watchlist (bad magic)');
    const version = bytes.readUInt32LE(8);
    if (version !== FORMAT_VERSION) throw bad(`format version ${version} is not supported (this livefr reads version ${FORMAT_VERSION})`);
    const jsonLen = bytes.readBigUInt64LE(16);
    const indexLen = bytes.readBigUInt64LE(24);
    const expected = BigInt(HEADER_SIZE) + jsonLen + indexLen + BigInt(DIGEST_SIZE);
    if (expected !== BigInt(bytes.length)) {
      throw bad(`truncated or extended: the header announces ${expected} bytes, the file has ${bytes.length}`);
    }
    const body = bytes.subarray(0, bytes.length - DIGEST_SIZE);
    const digest = createHash('sha256').update(body).digest();
    if (!digest.equals(bytes.subarray(bytes.length - DIGEST_SIZE))) throw bad('SHA-256 checksum mismatch (the file is corrupt or was modified)');
    const jsonEnd = HEADER_SIZE + Number(jsonLen);
    let json: unknown;
    try {
      json = JSON.parse(bytes.subarray(HEADER_SIZE, jsonEnd).toString('utf8'));
    } catch (err) {
      throw bad('metadata is not valid JSON', err);
    }
    const wl = Watchlist.#fromJson(json, bad);
    const indexBytes = bytes.subarray(jsonEnd, bytes.length - DIGEST_SIZE);
    try {
      await wl.#native.load(indexBytes);
    } catch (err) {
      throw mapNativeError(err, 'path', source);
    }
    // The index must hold exactly the templates the metadata lists.
    const stored = await wl.#native.ids();
    if (stored.length !== wl.#templateCount) throw bad(`the index holds ${stored.length} templates, the metadata lists ${wl.#templateCount}`);
    for (const t of stored) {
      if (!wl.#owner.has(Number(t))) throw bad(`the index holds template ${t}, which the metadata does not list`);
    }
    return wl;
  }

  static #fromJson(json: unknown, bad: (what: string) => FileFormatError): Watchlist {
    if (!isPlainObject(json) || json.format !== 'livefr-watchlist') throw bad('metadata is not a livefr watchlist description');
    const j = json as unknown as FileJson;
    let wl: Watchlist;
    try {
      wl = new Watchlist({
        dim: j.dim,
        index: j.index,
        threshold: j.threshold,
        ...(j.index === 'hnsw' ? { hnsw: j.hnsw } : {}),
        ...(j.index === 'ivf' ? { ivf: j.ivf } : {}),
      });
      if (j.calibration !== null) {
        const c = j.calibration;
        if (!isPlainObject(c) || typeof c.threshold !== 'number' || typeof c.setAt !== 'string') throw new Error('bad calibration record');
        const cal = checkCalibration({
          targetFPIR: c.targetFPIR,
          watchlistSize: c.watchlistSize,
          ...(c.method !== undefined ? { method: c.method } : {}),
          ...(c.interval !== undefined ? { interval: [decodeBound(c.interval[0]), decodeBound(c.interval[1])] } : {}),
        });
        wl.#calibration = { ...cal, threshold: c.threshold, setAt: c.setAt };
      }
    } catch (err) {
      throw bad(`invalid options in the metadata: ${(err as Error).message}`);
    }
    if (!Number.isSafeInteger(j.nextTemplateId) || j.nextTemplateId < 0) throw bad('invalid nextTemplateId');
    if (!Array.isArray(j.people)) throw bad('people is not an array');
    for (const p of j.people as unknown[]) {
      if (!isPlainObject(p) || typeof p.id !== 'string' || p.id.length === 0 || !Array.isArray(p.templates) || p.templates.length === 0) {
        throw bad('invalid person record');
      }
      if (wl.#people.has(p.id)) throw bad(`person ${JSON.stringify(p.id)} is listed twice`);
      if (p.metadata !== undefined && !isPlainObject(p.metadata)) throw bad(`invalid metadata for ${JSON.stringify(p.id)}`);
      for (const t of p.templates as unknown[]) {
        if (!Number.isSafeInteger(t) || (t as number) < 0 || (t as number) >= j.nextTemplateId || wl.#owner.has(t as number)) {
          throw bad(`invalid or duplicate template id for ${JSON.stringify(p.id)}`);
        }
        wl.#owner.set(t as number, p.id);
      }
      wl.#people.set(p.id, { templates: [...(p.templates as number[])], metadata: p.metadata as Record<string, unknown> | undefined });
      wl.#templateCount += p.templates.length;
      wl.#maxTemplates = Math.max(wl.#maxTemplates, p.templates.length);
    }
    wl.#nextTemplateId = j.nextTemplateId;
    return wl;
  }
}
