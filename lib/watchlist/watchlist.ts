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
 * - Persistence is one file (format.ts): header, JSON metadata, FAISS
 *   bytes, SHA-256.
 *
 * The public types are in types.ts, argument checks in checks.ts, threshold
 * governance in threshold.ts. See docs/watchlist.md.
 */
import { invalidType, LivefrRangeError, outOfRange, StateError } from '../errors.js';
import { seededRandom } from '../util/random.js';
import { checkBoolean, checkEnum, checkInteger, checkOptions, checkString, isPlainObject } from '../validate.js';
import { checkCalibration, checkEmbeddings, checkThreshold, copyMetadata } from './checks.js';
import { decodeBound, decodeWatchlist, encodeBound, encodeWatchlist, fileError, type FileJson } from './format.js';
import { checkFileOptions, openWatchlistBytes, readWatchlistFile, rekeyWatchlistFile, writeWatchlistFile, type WatchlistFileOptions, type WatchlistKeySource } from './storage.js';
import { createNativeIndex, mapNativeError, type NativeWatchIndex } from './native-index.js';
import { digestRow, TemplateDigests } from './digests.js';
import { MutationQueue } from './queue.js';
import { ThresholdGovernor } from './threshold.js';
import {
  WATCHLIST_INDEX_KINDS,
  type CalibrationRecord,
  type HnswOptions,
  type IvfOptions,
  type MatchCandidate,
  type MatchOptions,
  type MatchResult,
  type RecallOptions,
  type RecallReport,
  type SetThresholdOptions,
  type WatchlistEntry,
  type WatchlistIndexKind,
  type WatchlistOptions,
} from './types.js';

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
  /** Digests of every template, to refuse exact copies. */
  readonly #digests = new TemplateDigests(true);
  #templateCount = 0;
  #maxTemplates = 0;
  #nextTemplateId = 0;
  readonly #governor: ThresholdGovernor;
  readonly #queue = new MutationQueue();
  #closing: Promise<void> | undefined;

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
    this.#governor = new ThresholdGovernor(o.threshold === undefined ? 0.5 : checkThreshold('options.threshold', o.threshold));
    this.#native = createNativeIndex({
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
    return this.#governor.threshold;
  }
  /** The calibration recorded with the threshold, if any. */
  get calibration(): CalibrationRecord | undefined {
    const c = this.#governor.calibration;
    return c === undefined ? undefined : structuredClone(c);
  }

  /**
   * Sets the alert threshold. With `calibration`, records what it was
   * calibrated for. Once a calibrated threshold is set, a lower threshold
   * (more false alerts than calibrated) throws a RangeError unless `force`.
   */
  setThreshold(threshold: number, options?: SetThresholdOptions): void {
    this.#governor.set(threshold, options);
  }

  // -------------------------------------------------------- mutations ----

  /** Runs mutations one at a time, in call order. */
  #enqueue<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#closing) return Promise.reject(new StateError('The watchlist is closed'));
    return this.#queue.run(fn);
  }

  /**
   * Closes the watchlist: changes already queued (a save() in progress
   * included) finish first, then add, remove, match, save and the other
   * operations reject with a StateError. `await using wl = ...` calls it
   * when the block ends. Idempotent.
   */
  close(): Promise<void> {
    if (!this.#closing) {
      // Queued behind every change already asked for; from now on nothing new is accepted.
      this.#closing = this.#queue.run(async () => undefined);
    }
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
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
    if (this.#queue.pending > 0) vectors = vectors.slice();
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
        metadata: copyMetadata(o.metadata, `entries[${i}].metadata`),
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
      const digests = await this.#newDigests(entries, vectors, param);
      const tids = new Float64Array(n);
      for (let i = 0; i < n; i++) tids[i] = this.#nextTemplateId + i;
      try {
        await this.#native.add(tids, vectors);
      } catch (err) {
        throw mapNativeError(err, param);
      }
      this.#nextTemplateId += n;
      for (let i = 0; i < n; i++) this.#digests.add(tids[i]!, digests[i]!);
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

  /**
   * The digest of every new row, refusing a row identical to a template
   * already enrolled or to an earlier row of the same call (RangeError
   * naming the entry and the row).
   */
  async #newDigests(
    entries: readonly { id: string; embeddings: Float32Array }[],
    vectors: Float32Array,
    param: string,
  ): Promise<string[]> {
    if (!this.#digests.complete) await this.#readDigests();
    const out: string[] = [];
    const inCall = new Map<string, string>();
    let row = 0;
    entries.forEach((e, ei) => {
      const rows = e.embeddings.length / this.dim;
      const where = param === 'entries' ? `entries[${ei}].embeddings` : param;
      for (let r = 0; r < rows; r++, row++) {
        const d = digestRow(vectors, row, this.dim);
        const existing = this.#digests.find(d);
        const owner = existing === undefined ? inCall.get(d) : this.#owner.get(existing);
        if (owner !== undefined) {
          throw new LivefrRangeError(
            where,
            `Expected templates that are not exact copies of one already enrolled for ${where}, but row ${r} is identical to a template of ${JSON.stringify(owner)}${existing === undefined ? ' in the same call' : ''}: ` +
              'a copy adds nothing to a match (and many copies make an HNSW build quadratic)',
          );
        }
        inCall.set(d, e.id);
        out.push(d);
      }
    });
    return out;
  }

  /** Digests of the templates of a watchlist loaded from a file, read back from the index once. */
  async #readDigests(): Promise<void> {
    const ids = [...this.#owner.keys()];
    for (let i = 0; i < ids.length; i += 8192) {
      const chunk = Float64Array.from(ids.slice(i, i + 8192));
      const v = await this.#native.vectors(chunk);
      for (let r = 0; r < chunk.length; r++) this.#digests.add(chunk[r]!, digestRow(v, r, this.dim));
    }
    this.#digests.complete = true;
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
      for (const t of p.templates) {
        this.#owner.delete(t);
        this.#digests.remove(t);
      }
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
        this.#digests.complete = false; // read back before the next add
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
    if (this.#closing) throw new StateError('The watchlist is closed');
    const queries = checkEmbeddings('embeddings', embeddings, this.dim);
    const o = checkOptions('options', options, ['threshold', 'k', 'force']);
    const k = o.k === undefined ? 5 : checkInteger('options.k', o.k, 1, 10000);
    const threshold = o.threshold === undefined ? this.#governor.threshold : checkThreshold('options.threshold', o.threshold);
    this.#governor.guard('options.threshold', threshold, o.force === undefined ? false : checkBoolean('options.force', o.force));
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
      out[q] = best !== null && best.score >= threshold ? { candidates, alert: true, best: { ...best } } : { candidates, alert: false, best: best === null ? null : { ...best } };
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
        const rand = seededRandom(seed);
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
   * Saves to one file (written to a temporary file, fsync'ed, renamed over
   * `file`, the folder fsync'ed: a crash leaves the old or the new file).
   * Encrypted with AES-256-GCM when a key is given (`options.key`, a
   * callback, or LIVEFR_WATCHLIST_KEY; storage.ts). The replaced file's
   * bytes are zeroed, so removed people do not linger on disk.
   */
  async save(file: string, options?: WatchlistFileOptions): Promise<void> {
    const target = checkString('path', file);
    const o = checkFileOptions('options', options);
    return this.#enqueue(async () => {
      const indexBytes = await this.#native.serialize();
      const chunks = encodeWatchlist(this.#toJson(), indexBytes);
      try {
        await writeWatchlistFile(target, chunks, o.key);
      } finally {
        indexBytes.fill(0);
        chunks[2]?.fill(0);
      }
    });
  }

  /**
   * A copy of the templates of person `id` (n x dim), or undefined when
   * absent: what erasure needs to find and remove copies of them elsewhere.
   */
  async templates(id: string): Promise<Float32Array | undefined> {
    const key = checkString('id', id);
    return this.#enqueue(async () => {
      const p = this.#people.get(key);
      return p === undefined ? undefined : this.#native.vectors(Float64Array.from(p.templates));
    });
  }

  /** The JSON description save() writes. */
  #toJson(): FileJson {
    const cal = this.#governor.calibration;
    return {
      format: 'livefr-watchlist',
      dim: this.dim,
      index: this.indexKind,
      hnsw: this.#hnsw,
      ivf: this.#ivf,
      threshold: this.#governor.threshold,
      calibration:
        cal === undefined
          ? null
          : { ...cal, interval: cal.interval === undefined ? undefined : [encodeBound(cal.interval[0]), encodeBound(cal.interval[1])] },
      nextTemplateId: this.#nextTemplateId,
      people: [...this.#people].map(([id, p]) => (p.metadata === undefined ? { id, templates: p.templates } : { id, templates: p.templates, metadata: p.metadata })),
    };
  }

  /**
   * Loads a file written by save() (decrypting it with `options.key`, a
   * callback or LIVEFR_WATCHLIST_KEY when it is encrypted). Any damage is a
   * FileFormatError naming the file and its `reason`; a missing or wrong key
   * a KeyError. Never a partial watchlist.
   */
  static async load(file: string, options?: WatchlistFileOptions): Promise<Watchlist> {
    const source = checkString('path', file);
    const o = checkFileOptions('options', options);
    const bad = fileError(source);
    let out: Watchlist | undefined;
    await readWatchlistFile(source, async (bytes) => {
      const plain = await openWatchlistBytes(bytes, source, o.key);
      try {
        const decoded = decodeWatchlist(plain, source);
        const wl = Watchlist.#fromJson(decoded.json, bad);
        try {
          await wl.#native.load(decoded.index);
        } catch (err) {
          throw mapNativeError(err, 'path', source);
        }
        // The index must hold exactly the templates the metadata lists.
        const stored = await wl.#native.ids();
        if (stored.length !== wl.#templateCount) throw bad(`the index holds ${stored.length} templates, the metadata lists ${wl.#templateCount}`);
        for (const t of stored) {
          if (!wl.#owner.has(Number(t))) throw bad(`the index holds template ${t}, which the metadata does not list`);
        }
        out = wl;
      } finally {
        plain.fill(0);
      }
    });
    return out!;
  }

  /** Key rotation: re-encrypts a watchlist file under `newKey` (null: plain) without loading it (storage.ts). */
  static rekey(file: string, options: { key?: WatchlistKeySource; newKey: WatchlistKeySource }): Promise<{ from: string | null; to: string | null }> {
    return rekeyWatchlistFile(file, options);
  }

  static #fromJson(j: FileJson, bad: (what: string) => Error): Watchlist {
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
        wl.#governor.restore({ ...cal, threshold: c.threshold, setAt: c.setAt });
      }
    } catch (err) {
      throw bad(`invalid options in the metadata: ${(err as Error).message}`);
    }
    if (!Number.isSafeInteger(j.nextTemplateId) || j.nextTemplateId < 0) throw bad('invalid nextTemplateId');
    wl.#digests.complete = false; // read back from the index on the first add
    const odd: string[] = [];
    for (const p of j.people as unknown[]) {
      if (!isPlainObject(p) || typeof p.id !== 'string' || p.id.length === 0 || !Array.isArray(p.templates) || p.templates.length === 0) {
        throw bad('invalid person record');
      }
      if (wl.#people.has(p.id)) throw bad(`person ${JSON.stringify(p.id)} is listed twice`);
      const metadata = loadedMetadata(p.id, p.metadata, odd);
      for (const t of p.templates as unknown[]) {
        if (!Number.isSafeInteger(t) || (t as number) < 0 || (t as number) >= j.nextTemplateId || wl.#owner.has(t as number)) {
          throw bad(`invalid or duplicate template id for ${JSON.stringify(p.id)}`);
        }
        wl.#owner.set(t as number, p.id);
      }
      wl.#people.set(p.id, { templates: [...(p.templates as number[])], metadata });
      wl.#templateCount += p.templates.length;
      wl.#maxTemplates = Math.max(wl.#maxTemplates, p.templates.length);
    }
    wl.#nextTemplateId = j.nextTemplateId;
    if (odd.length > 0) {
      process.emitWarning(
        `${odd.length} person record(s) of this watchlist file had metadata that is not a plain object (${odd.slice(0, 5).map((id) => JSON.stringify(id)).join(', ')}${odd.length > 5 ? ', ...' : ''}); ` +
          'it was kept as { value: <what the file holds> } (files written by earlier livefr versions could hold a Date or a boxed number there)',
        { code: 'LIVEFR_WATCHLIST_METADATA' },
      );
    }
    return wl;
  }
}

/**
 * A person's metadata as the file holds it. A plain object is taken as it
 * is. Anything else (a string or number that a Date or a boxed Number
 * became in files of earlier versions) is kept, not dropped, as
 * `{ value: ... }`, and the person counted in `odd`: one odd record never
 * costs the whole file, nor that person's data.
 */
function loadedMetadata(id: string, value: unknown, odd: string[]): Record<string, unknown> | undefined {
  if (value === undefined || isPlainObject(value)) return value as Record<string, unknown> | undefined;
  odd.push(id);
  return { value };
}
