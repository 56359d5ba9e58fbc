/**
 * The audit log: append-only JSON lines, hash-chained, optionally signed.
 *
 * Each line is one record:
 *
 *   {"seq":N,"time":"<ISO>","prev":"<hash of record N-1>","type":"...",...fields,"hash":"<hex>"[,"sig":"<base64>"]}
 *
 * `hash` is the SHA-256 of the line's *body*: the line with its
 * `,"hash":...` tail replaced by `}` (exactly the bytes written, no
 * re-serialisation). `prev` of record 0 is 64 zeros. `sig`, when the log is
 * signed, is the Ed25519 signature of the body. Record 0 is `audit.open`
 * and names the log (a random id) and, for a signed log, the key's id.
 *
 * Beside the log, `<log>.head` holds the sequence number and hash of the
 * last record (signed too), replaced atomically after every append: a log
 * cut at a record boundary ends before what its head says, so truncation is
 * detected as well as edits, deletions, insertions and reorderings.
 *
 * Every append takes `<log>.lock` (several processes may append: a
 * deployment and a reviewer's `livefr review`), reads what others appended
 * since, writes one line and fsyncs it, then replaces the head. A writer
 * killed mid-line leaves a torn tail that the next writer drops (and
 * records that it did); a log whose committed records are damaged is
 * refused for appending and reported by verifyAuditLog().
 *
 * What is written is decided by the callers in lib/governance: ids, counts,
 * scores, times, never a template, an image or anything about a face that
 * matched nobody. append() refuses binary values outright.
 */
import { createHash, createPrivateKey, createPublicKey, randomUUID, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, readSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import { FileFormatError, StateError, invalidType, outOfRange } from '../errors.js';
import { fsyncDirectory, removeStaleTemps, writeFileAtomicSync } from '../util/atomic-file.js';
import { checkOptions, checkString, isPlainObject } from '../validate.js';

export const AUDIT_FORMAT = 'livefr-audit/1';
export const ZERO_HASH = '0'.repeat(64);
/** Longest record accepted (bytes of one line). */
export const MAX_RECORD_BYTES = 64 * 1024;

const RESERVED = new Set(['seq', 'time', 'prev', 'type', 'hash', 'sig']);
const TAIL_RE = /,"hash":"([0-9a-f]{64})"(?:,"sig":"([A-Za-z0-9+/=]+)")?\}$/;

/** One parsed record: the fixed fields plus whatever its type carries. */
export interface AuditRecord {
  seq: number;
  time: string;
  prev: string;
  type: string;
  hash: string;
  sig?: string;
  [field: string]: unknown;
}

export interface AuditLogOptions {
  /** Ed25519 private key (KeyObject, PEM text or PEM file path) to sign every record with. */
  signingKey?: KeyObject | string | Buffer;
  /** Clock for record times (tests). */
  now?: () => Date;
  /** How long an append waits for another writer's lock (default 10,000 ms). */
  lockTimeoutMs?: number;
  /** Create the log when the file does not exist (default true). */
  create?: boolean;
}

export interface AuditVerifyOptions {
  /** Ed25519 public key (KeyObject, PEM text, PEM file path, or the raw 32 bytes as hex/base64). */
  publicKey?: KeyObject | string | Buffer;
}

export interface AuditProblem {
  /** Sequence number of the first bad record (the position it should hold). */
  seq: number;
  /** 1-based line number in the file. */
  line: number;
  reason: string;
}

export interface AuditVerifyReport {
  ok: boolean;
  file: string;
  /** Records that verified, in order (all of them when ok). */
  records: AuditRecord[];
  /** The first damage found. */
  problem?: AuditProblem;
  /** The log's records carry signatures. */
  signed: boolean;
  /** Signatures were checked against the given key. */
  signaturesChecked: boolean;
  /** Key id (sha256 of the SPKI, 16 hex) recorded by audit.open, for signed logs. */
  keyId?: string;
  lastHash: string;
}

// ------------------------------------------------------------------ keys --

/** Key id: first 16 hex digits of the SHA-256 of the public key's SPKI DER. */
export function keyIdOf(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

function readKeyText(param: string, value: string | Buffer): string | Buffer {
  if (typeof value === 'string' && !value.includes('-----BEGIN') && existsSync(value)) {
    try {
      return readFileSync(value);
    } catch (err) {
      throw outOfRange(param, `a readable key file (${(err as Error).message})`, value);
    }
  }
  return value;
}

export function loadSigningKey(param: string, value: unknown): KeyObject {
  let key: KeyObject;
  if (value instanceof Object && (value as KeyObject).type !== undefined && typeof (value as KeyObject).export === 'function') key = value as KeyObject;
  else if (typeof value === 'string' || Buffer.isBuffer(value)) {
    try {
      key = createPrivateKey(readKeyText(param, value));
    } catch (err) {
      throw outOfRange(param, `an Ed25519 private key in PEM form or a PEM file (${(err as Error).message})`, typeof value === 'string' ? '<key text>' : value);
    }
  } else throw invalidType(param, 'an Ed25519 private key (KeyObject, PEM text or PEM file path)', value);
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ed25519') {
    throw outOfRange(param, 'an Ed25519 private key', `${key.type} ${key.asymmetricKeyType ?? ''} key`);
  }
  return key;
}

export function loadPublicKey(param: string, value: unknown): KeyObject {
  let key: KeyObject;
  if (value instanceof Object && (value as KeyObject).type !== undefined && typeof (value as KeyObject).export === 'function') key = value as KeyObject;
  else if (typeof value === 'string' || Buffer.isBuffer(value)) {
    const text = readKeyText(param, value);
    const s = text.toString().trim();
    try {
      if (/^[0-9a-fA-F]{64}$/.test(s) || /^[A-Za-z0-9+/]{43}=$/.test(s)) {
        const raw = /^[0-9a-fA-F]{64}$/.test(s) ? Buffer.from(s, 'hex') : Buffer.from(s, 'base64');
        key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
      } else key = createPublicKey(text);
    } catch (err) {
      throw outOfRange(param, `an Ed25519 public key (PEM, PEM file, or 32 raw bytes as hex or base64) (${(err as Error).message})`, '<key text>');
    }
  } else throw invalidType(param, 'an Ed25519 public key (KeyObject, PEM text or file, raw hex/base64)', value);
  if (key.type === 'private') key = createPublicKey(key);
  if (key.asymmetricKeyType !== 'ed25519') throw outOfRange(param, 'an Ed25519 key', `${key.asymmetricKeyType} key`);
  return key;
}

// --------------------------------------------------------------- encoding --

function sha256hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Refuses anything binary: the log never holds templates or images. */
function checkFields(value: unknown, where: string, depth = 0): void {
  if (depth > 8) throw outOfRange(where, 'fields nested at most 8 deep', value);
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw outOfRange(where, 'finite numbers', value);
    return;
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    throw invalidType(where, 'JSON values (the audit log never holds binary data such as templates or images)', value);
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkFields(v, `${where}[${i}]`, depth + 1));
    return;
  }
  if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) if (v !== undefined) checkFields(v, `${where}.${k}`, depth + 1);
    return;
  }
  throw invalidType(where, 'JSON values', value);
}

interface ParsedLine {
  record: AuditRecord;
  body: string;
}

/** Parses and self-checks one line; returns a reason string when it is bad. */
function parseLine(line: string): ParsedLine | string {
  const m = TAIL_RE.exec(line);
  if (!m) return 'not a livefr audit record (no hash field at the end of the line)';
  const body = line.slice(0, m.index) + '}';
  if (sha256hex(body) !== m[1]) return 'its hash does not match its content (the record was modified)';
  let obj: unknown;
  try {
    obj = JSON.parse(body);
  } catch {
    return 'not valid JSON';
  }
  if (!isPlainObject(obj)) return 'not a JSON object';
  const r = obj as Record<string, unknown>;
  if (!Number.isSafeInteger(r.seq) || typeof r.time !== 'string' || typeof r.prev !== 'string' || typeof r.type !== 'string') {
    return 'lacks seq, time, prev or type';
  }
  if (Object.keys(r).slice(0, 4).join(',') !== 'seq,time,prev,type') return 'fields out of order';
  const record = { ...r, hash: m[1]! } as AuditRecord;
  if (m[2] !== undefined) record.sig = m[2];
  return { record, body };
}

function headSignedText(log: string, seq: number, hash: string): string {
  return `livefr-audit-head\n${log}\n${seq}\n${hash}`;
}

interface Head {
  log: string;
  seq: number;
  hash: string;
  sig?: string;
}

function readHead(file: string): Head | null | string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return `the head file cannot be read (${(err as NodeJS.ErrnoException).code})`;
  }
  try {
    const h = JSON.parse(text) as Head;
    if (typeof h.log !== 'string' || !Number.isSafeInteger(h.seq) || !/^[0-9a-f]{64}$/.test(h.hash)) return 'the head file is malformed';
    return h;
  } catch {
    return 'the head file is not valid JSON';
  }
}

/** Calls fn with each complete line of the first `size` bytes of an open file, reading 1 MiB at a time. */
function forEachLine(fd: number, size: number, fn: (line: string) => void): void {
  const chunk = Buffer.alloc(1 << 20);
  let carry = Buffer.alloc(0);
  for (let pos = 0; pos < size; ) {
    const n = readSync(fd, chunk, 0, Math.min(chunk.length, size - pos), pos);
    if (n === 0) break;
    pos += n;
    let data = carry.length ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
    let start = 0;
    for (let nl = data.indexOf(10, start); nl >= 0; nl = data.indexOf(10, start)) {
      fn(data.subarray(start, nl).toString('utf8'));
      start = nl + 1;
    }
    carry = Buffer.from(data.subarray(start));
    data = Buffer.alloc(0);
  }
}

// ----------------------------------------------------------------- lock ---

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function lockOwnerAlive(text: string): boolean {
  const m = /^(\d+)-(\d+) (\S+)/.exec(text);
  if (!m) return false;
  const pid = Number(m[1]);
  if (pid === process.pid) return Number(m[2]) !== threadId; // a lock of this thread outlived its append: stale
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const started = startTicks(pid);
  return started === undefined || m[3] === '?' || String(started) === m[3];
}

function startTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const v = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Takes `<file>.lock` (O_EXCL); a lock left by a dead process is broken. */
function acquireLock(lockFile: string, timeoutMs: number): () => void {
  const me = `${process.pid}-${threadId} ${startTicks(process.pid) ?? '?'}\n`;
  const deadline = Date.now() + timeoutMs;
  let wait = 1;
  for (;;) {
    try {
      const fd = openSync(lockFile, 'wx', 0o600);
      try {
        writeSync(fd, me);
      } finally {
        closeSync(fd);
      }
      return () => {
        try {
          unlinkSync(lockFile);
        } catch {
          /* broken by someone who thought us dead: nothing to release */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner = '';
    try {
      owner = readFileSync(lockFile, 'utf8');
    } catch {
      continue; // released meanwhile
    }
    // An empty lock file is one being written right now, unless it stays empty.
    if ((owner !== '' && !lockOwnerAlive(owner)) || (owner === '' && Date.now() > deadline - timeoutMs / 2)) {
      try {
        if (readFileSync(lockFile, 'utf8') === owner) unlinkSync(lockFile);
      } catch {
        /* someone else broke it */
      }
      continue;
    }
    if (Date.now() > deadline) throw new StateError(`The audit log lock ${lockFile} is held by process ${owner.split(' ')[0]}; gave up after ${timeoutMs} ms`);
    sleepSync(wait);
    wait = Math.min(wait * 2, 50);
  }
}

// ---------------------------------------------------------------- writer --

/**
 * An open audit log. Appends are synchronous: when append() returns, the
 * record is on disk (fsync'ed) and the head names it.
 */
export class AuditLog {
  readonly file: string;
  readonly headFile: string;
  readonly lockFile: string;
  readonly #key: KeyObject | undefined;
  readonly #now: () => Date;
  readonly #lockTimeout: number;
  #fd: number | undefined;
  /** Byte length of the log up to the end of the last record we know. */
  #size = 0;
  #seq = -1;
  #hash = ZERO_HASH;
  #hashBefore = ZERO_HASH;
  #logId = '';
  #inTransaction = false;
  #locked = false;
  #signed = false;
  #keyId: string | undefined;
  readonly #listeners = new Set<(r: AuditRecord) => void>();

  private constructor(file: string, key: KeyObject | undefined, now: () => Date, lockTimeout: number) {
    this.file = file;
    this.headFile = `${file}.head`;
    this.lockFile = `${file}.lock`;
    this.#key = key;
    this.#now = now;
    this.#lockTimeout = lockTimeout;
  }

  /**
   * Opens (creating it when absent) an audit log for appending. Throws a
   * FileFormatError when committed records are damaged (run verifyAuditLog
   * to locate it), a StateError when the log is signed and no signing key,
   * or another key, is given.
   */
  static open(file: string, options?: AuditLogOptions): AuditLog {
    const target = path.resolve(checkString('file', file));
    const o = checkOptions('options', options, ['signingKey', 'now', 'lockTimeoutMs', 'create']);
    const key = o.signingKey === undefined ? undefined : loadSigningKey('options.signingKey', o.signingKey);
    if (o.now !== undefined && typeof o.now !== 'function') throw invalidType('options.now', 'a function returning a Date', o.now);
    const lockTimeout = o.lockTimeoutMs === undefined ? 10_000 : Number(o.lockTimeoutMs);
    if (!Number.isFinite(lockTimeout) || lockTimeout < 0) throw outOfRange('options.lockTimeoutMs', 'a number of milliseconds >= 0', o.lockTimeoutMs);
    const log = new AuditLog(target, key, (o.now as () => Date) ?? (() => new Date()), lockTimeout);
    if (!existsSync(target) && o.create === false) throw new FileFormatError(`${target}: no such audit log`);
    log.#withLock(() => {
      log.#openFd();
      log.#catchUp(true);
      if (log.#seq < 0) {
        log.#write('audit.open', { format: AUDIT_FORMAT, log: randomUUID(), signed: key !== undefined, ...(key ? { keyId: keyIdOf(key) } : {}) });
      }
    });
    return log;
  }

  /** The log's random id (from its audit.open record). */
  get id(): string {
    return this.#logId;
  }
  /** Sequence number of the last record. */
  get seq(): number {
    return this.#seq;
  }
  get lastHash(): string {
    return this.#hash;
  }
  get signed(): boolean {
    return this.#signed;
  }

  /** Called with every record read or written from now on (including other processes' records, as they are read). */
  onRecord(listener: (r: AuditRecord) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Appends one record of `type` with `fields` (JSON values only; never
   * binary data). Returns the record as written.
   */
  append(type: string, fields: Record<string, unknown> = {}): AuditRecord {
    const t = checkString('type', type);
    if (!/^[a-z][a-z0-9.-]*$/.test(t)) throw outOfRange('type', 'a lower-case dotted record type such as "alert" or "deployment.start"', type);
    if (!isPlainObject(fields)) throw invalidType('fields', 'a plain object of JSON values', fields);
    for (const k of Object.keys(fields)) if (RESERVED.has(k)) throw outOfRange(`fields.${k}`, `a field name other than ${[...RESERVED].join(', ')}`, k);
    checkFields(fields, 'fields');
    if (this.#fd === undefined) throw new StateError(`The audit log ${this.file} is closed`);
    if (this.#inTransaction) return this.#write(t, fields);
    let written: AuditRecord | undefined;
    this.#withLock(() => {
      this.#catchUp(false);
      written = this.#write(t, fields);
    });
    return written!;
  }

  #writeChecked(type: string, fields: Record<string, unknown>): AuditRecord {
    return this.append(type, fields);
  }

  /** Reads records other processes appended since the last append or refresh. */
  refresh(): void {
    if (this.#fd === undefined) throw new StateError(`The audit log ${this.file} is closed`);
    if (this.#inTransaction) return; // already current inside a transaction
    this.#withLock(() => this.#catchUp(false));
  }

  /**
   * Runs `fn` holding the log's lock, after reading what other processes
   * appended (listeners have seen it): decisions taken in `fn` (is this
   * alert still pending? has this reviewer reviewed?) see the current log,
   * and the records `fn` appends follow them directly.
   */
  transaction<T>(fn: (append: (type: string, fields?: Record<string, unknown>) => AuditRecord) => T): T {
    if (this.#fd === undefined) throw new StateError(`The audit log ${this.file} is closed`);
    let out: T;
    const outer = this.#inTransaction;
    this.#withLock(() => {
      if (!outer) this.#catchUp(false);
      this.#inTransaction = true;
      try {
        out = fn((type, fields = {}) => this.#writeChecked(type, fields));
      } finally {
        this.#inTransaction = outer;
      }
    });
    return out!;
  }

  /**
   * Calls `fn` with every record up to the last one read (a replay of the
   * history, for state that listeners then keep current). Records are
   * parsed one at a time, not kept.
   */
  replay(fn: (r: AuditRecord) => void): void {
    if (this.#fd === undefined) throw new StateError(`The audit log ${this.file} is closed`);
    forEachLine(this.#fd, this.#size, (line) => {
      const p = parseLine(line);
      if (typeof p === 'string') throw new FileFormatError(`${this.file}: ${p}`);
      fn(p.record);
    });
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    this.#listeners.clear();
  }

  // ------------------------------------------------------------ internals --

  /** Runs fn holding the lock; re-entrant (a refresh or transaction inside a transaction runs under the lock already held). */
  #withLock(fn: () => void): void {
    if (this.#locked) return fn();
    const release = acquireLock(this.lockFile, this.#lockTimeout);
    this.#locked = true;
    try {
      fn();
    } finally {
      this.#locked = false;
      release();
    }
  }

  #openFd(): void {
    // O_APPEND: every write lands at the end, whatever position is asked for.
    this.#fd = openSync(this.file, 'a+', 0o600);
    fsyncDirectory(path.dirname(this.file));
  }

  /**
   * Under the lock: reads the records after #size (all of them on the first
   * call), checks they chain on, repairs a torn tail a crashed writer left
   * and a head one record behind, refuses anything else.
   */
  #catchUp(first: boolean): void {
    const fd = this.#fd!;
    const size = fstatSync(fd).size;
    if (size < this.#size) throw new FileFormatError(`${this.file}: the audit log shrank from ${this.#size} to ${size} bytes while open (truncated by someone)`);
    if (size > this.#size) {
      const buf = Buffer.alloc(size - this.#size);
      let off = 0;
      while (off < buf.length) {
        const n = readSync(fd, buf, off, buf.length - off, this.#size + off);
        if (n === 0) break;
        off += n;
      }
      const text = buf.subarray(0, off).toString('utf8');
      const lastNl = text.lastIndexOf('\n');
      const complete = lastNl < 0 ? '' : text.slice(0, lastNl);
      const torn = text.length - (lastNl + 1);
      let pos = this.#size;
      if (complete.length > 0) {
        for (const line of complete.split('\n')) {
          const r = parseLine(line);
          const where = `${this.file}: record ${this.#seq + 1} (byte ${pos})`;
          if (typeof r === 'string') throw new FileFormatError(`${where}: ${r}; run \`livefr audit verify\``);
          if (r.record.seq !== this.#seq + 1 || r.record.prev !== this.#hash) {
            throw new FileFormatError(`${where}: does not chain on record ${this.#seq}; run \`livefr audit verify\``);
          }
          this.#accept(r.record);
          pos += Buffer.byteLength(line) + 1;
        }
      }
      this.#size = pos;
      if (torn > 0) {
        // A writer died mid-line (we fsync whole lines under the lock). Drop it, after checking the head agrees.
        this.#checkHead(first);
        const tornBytes = buf.subarray(Buffer.byteLength(complete) + (lastNl < 0 ? 0 : 1), off);
        ftruncateSync(fd, this.#size);
        fsyncSync(fd);
        this.#write('audit.recovered', { droppedBytes: tornBytes.length, droppedSha256: sha256hex(tornBytes) });
        return;
      }
    }
    if (first || size > 0) this.#checkHead(first);
  }

  /** The head must name our last record, or the one before it (a crash between the log's fsync and the head's rename). */
  #checkHead(cleanup: boolean): void {
    const repair = true; // under the lock, a head one record behind is a writer that died between the two steps
    if (cleanup) removeStaleTemps(this.headFile);
    const h = readHead(this.headFile);
    if (this.#seq < 0) {
      if (h !== null && typeof h !== 'string' && h.seq >= 0) {
        throw new FileFormatError(`${this.file}: the audit log is empty but its head names record ${h.seq} (the log was truncated)`);
      }
      return;
    }
    if (typeof h === 'string') throw new FileFormatError(`${this.file}: ${h}`);
    if (h === null) {
      if (this.#seq === 0 && repair) return this.#writeHead();
      throw new FileFormatError(`${this.file}: the head file ${this.headFile} is missing`);
    }
    if (h.seq === this.#seq && h.hash === this.#hash) return;
    if (h.seq === this.#seq - 1 && h.hash === this.#hashBefore && repair) return this.#writeHead();
    if (h.seq > this.#seq) {
      throw new FileFormatError(`${this.file}: the log ends at record ${this.#seq} but its head names record ${h.seq} (the log was truncated)`);
    }
    throw new FileFormatError(`${this.file}: the head (record ${h.seq}) does not match the log (record ${this.#seq}); run \`livefr audit verify\``);
  }

  #accept(r: AuditRecord): void {
    if (r.seq === 0) {
      if (r.type !== 'audit.open') throw new FileFormatError(`${this.file}: record 0 is not audit.open`);
      this.#logId = String(r.log);
      this.#signed = r.signed === true;
      this.#keyId = typeof r.keyId === 'string' ? r.keyId : undefined;
      if (this.#signed && this.#key === undefined) {
        throw new StateError(`The audit log ${this.file} is signed (key ${this.#keyId}): open it with its signing key`);
      }
      if (!this.#signed && this.#key !== undefined) {
        throw new StateError(`The audit log ${this.file} is not signed: it cannot take signed records; start a new log to sign`);
      }
      if (this.#key !== undefined && keyIdOf(this.#key) !== this.#keyId) {
        throw new StateError(`The audit log ${this.file} is signed with key ${this.#keyId}, not with the given key ${keyIdOf(this.#key)}`);
      }
    }
    this.#seq = r.seq;
    this.#hashBefore = this.#hash;
    this.#hash = r.hash;
    for (const l of this.#listeners) l(r);
  }

  #write(type: string, fields: Record<string, unknown>): AuditRecord {
    const head = { seq: this.#seq + 1, time: this.#now().toISOString(), prev: this.#hash, type };
    const body = JSON.stringify({ ...head, ...fields });
    const hash = sha256hex(body);
    let line = `${body.slice(0, -1)},"hash":"${hash}"`;
    let sig: string | undefined;
    if (this.#key) {
      sig = edSign(null, Buffer.from(body), this.#key).toString('base64');
      line += `,"sig":"${sig}"`;
    }
    line += '}\n';
    const bytes = Buffer.from(line, 'utf8');
    if (bytes.length > MAX_RECORD_BYTES) throw outOfRange('fields', `a record of at most ${MAX_RECORD_BYTES} bytes`, `${bytes.length} bytes`);
    const fd = this.#fd!;
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off, this.#size + off);
    fsyncSync(fd);
    this.#size += bytes.length;
    const record = { ...(JSON.parse(body) as Record<string, unknown>), hash, ...(sig ? { sig } : {}) } as AuditRecord;
    this.#accept(record);
    this.#writeHead();
    return record;
  }

  #writeHead(): void {
    const h: Head = { log: this.#logId, seq: this.#seq, hash: this.#hash };
    if (this.#key) h.sig = edSign(null, Buffer.from(headSignedText(h.log, h.seq, h.hash)), this.#key).toString('base64');
    writeFileAtomicSync(this.headFile, [Buffer.from(JSON.stringify(h) + '\n')]);
  }
}

// -------------------------------------------------------------- verifier --

/**
 * Checks a whole log: every record's own hash, its sequence number, its
 * link to the previous record, its signature (when a key is given), and the
 * head (truncation). Names the first bad record. Never throws for damage.
 */
export function verifyAuditLog(file: string, options?: AuditVerifyOptions): AuditVerifyReport {
  const target = path.resolve(checkString('file', file));
  const o = checkOptions('options', options, ['publicKey']);
  const key = o.publicKey === undefined ? undefined : loadPublicKey('options.publicKey', o.publicKey);
  const records: AuditRecord[] = [];
  const report = (problem?: AuditProblem): AuditVerifyReport => ({
    ok: problem === undefined,
    file: target,
    records,
    ...(problem ? { problem } : {}),
    signed: records[0]?.signed === true,
    signaturesChecked: key !== undefined && records[0]?.signed === true,
    ...(typeof records[0]?.keyId === 'string' ? { keyId: records[0].keyId as string } : {}),
    lastHash: records.at(-1)?.hash ?? ZERO_HASH,
  });
  let bytes: Buffer;
  try {
    bytes = readFileSync(target);
  } catch (err) {
    return report({ seq: 0, line: 1, reason: `the log cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` });
  }
  const text = bytes.toString('utf8');
  if (text.length === 0) return report({ seq: 0, line: 1, reason: 'the log is empty (record 0, audit.open, is missing)' });
  const lines = text.split('\n');
  const torn = lines.pop()!; // '' when the file ends with a newline
  let prev = ZERO_HASH;
  let keyId: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const bad = (reason: string) => report({ seq: i, line: i + 1, reason });
    const p = parseLine(lines[i]!);
    if (typeof p === 'string') return bad(`record ${i} (line ${i + 1}) is ${p.startsWith('its') ? 'damaged: ' + p : p}`);
    const r = p.record;
    if (r.seq !== i) {
      return bad(`record at line ${i + 1} has sequence number ${r.seq}, expected ${i} (records were deleted, inserted or reordered before it)`);
    }
    if (r.prev !== prev) return bad(`record ${i} (line ${i + 1}) does not link to record ${i - 1} (a record before it was replaced, or it was moved)`);
    if (i === 0) {
      if (r.type !== 'audit.open') return bad('record 0 is not audit.open (the start of the log is missing)');
      keyId = typeof r.keyId === 'string' ? r.keyId : undefined;
      if (key !== undefined && r.signed === true && keyId !== keyIdOf(key)) {
        return bad(`the log is signed with key ${keyId}, not with the given key ${keyIdOf(key)}`);
      }
    }
    const signed = records.length > 0 ? records[0]!.signed === true : r.signed === true;
    if (signed && r.sig === undefined) return bad(`record ${i} (line ${i + 1}) has no signature in a signed log`);
    if (!signed && r.sig !== undefined) return bad(`record ${i} (line ${i + 1}) carries a signature in an unsigned log`);
    if (key !== undefined && signed && !edVerify(null, Buffer.from(p.body), key, Buffer.from(r.sig!, 'base64'))) {
      return bad(`record ${i} (line ${i + 1}) has a signature that does not verify under the given key`);
    }
    if (key !== undefined && !signed) return bad('the log is not signed, but a key was given to check its signatures');
    records.push(r);
    prev = r.hash;
  }
  const n = lines.length;
  if (torn.length > 0) {
    return report({ seq: n, line: n + 1, reason: `record ${n} (line ${n + 1}) is incomplete: the log was truncated in the middle of it, or a writer died writing it` });
  }
  if (n === 0) return report({ seq: 0, line: 1, reason: 'the log is empty (record 0, audit.open, is missing)' });
  const h = readHead(`${target}.head`);
  const last = records[n - 1]!;
  if (h === null) return report({ seq: n, line: n + 1, reason: `the head file ${target}.head is missing: truncation cannot be ruled out` });
  if (typeof h === 'string') return report({ seq: n, line: n + 1, reason: h });
  if (h.log !== records[0]!.log) return report({ seq: 0, line: 1, reason: 'the head belongs to another log' });
  if (key !== undefined && records[0]!.signed === true) {
    if (h.sig === undefined || !edVerify(null, Buffer.from(headSignedText(h.log, h.seq, h.hash)), key, Buffer.from(h.sig, 'base64'))) {
      return report({ seq: n, line: n + 1, reason: 'the head has no valid signature under the given key' });
    }
  }
  if (h.seq > last.seq) {
    return report({ seq: n, line: n + 1, reason: `the log ends at record ${last.seq} but its head names record ${h.seq}: records ${n} to ${h.seq} were cut off (truncated)` });
  }
  const named = records[h.seq];
  if (named === undefined || named.hash !== h.hash) {
    return report({ seq: h.seq, line: h.seq + 1, reason: `record ${h.seq} is not the one the head names (the end of the log was replaced)` });
  }
  if (h.seq < last.seq - 1) {
    return report({ seq: h.seq + 1, line: h.seq + 2, reason: `records after ${h.seq} were appended without updating the head` });
  }
  return report();
}
