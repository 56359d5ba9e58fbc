// The audit log: hash chain, sequence numbers, head, signatures, locking and
// crash recovery. Every kind of tampering the issue names is tried on every
// position it can take (each byte flipped, each record deleted, inserted,
// swapped, each truncation length) and must be detected *and located*.
// Deterministic: record contents come from a seeded generator; the kill
// times of the crash test come from the same generator.
import { spawn } from 'node:child_process';
import { generateKeyPairSync, createHash, sign } from 'node:crypto';
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditLog, verifyAuditLog } from '../dist/governance/index.js';
import { FileFormatError, StateError } from '../dist/index.js';
import { seededRandom } from '../dist/util/random.js';
import { repoRoot } from './helpers/shared.js';

const dir = mkdtempSync(path.join(tmpdir(), 'livefr-audit-'));
// Tampered copies are many small files verified once each: memory-backed when the machine has it.
const scratch = mkdtempSync(path.join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'livefr-audit-copies-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});
let serial = 0;
const fresh = (name = 'log') => path.join(dir, `${name}-${serial++}.jsonl`);
const writer = path.join(repoRoot, 'test', 'helpers', 'audit-writer.mjs');

/** A log of `n` records with seeded, varied content; returns its bytes. */
function buildLog(file: string, n: number, seed: number, signingKey?: ReturnType<typeof generateKeyPairSync>['privateKey']): Buffer {
  const rand = seededRandom(seed);
  let t = Date.parse('2025-03-01T08:00:00Z');
  const log = AuditLog.open(file, { ...(signingKey ? { signingKey } : {}), now: () => new Date((t += 1000 + Math.floor(rand() * 5000))) });
  const types = ['deployment.start', 'alert', 'review', 'faces.scanned', 'watchlist.add', 'erasure'];
  for (let i = 1; i < n; i++) {
    log.append(types[i % types.length]!, { deployment: 'D1', n: Math.floor(rand() * 1e6), note: 'é'.repeat(i % 3) + 'x'.repeat(Math.floor(rand() * 40)) });
  }
  log.close();
  return readFileSync(file);
}

/** Start offsets of each record (line) in the log bytes. */
function recordStarts(bytes: Buffer): number[] {
  const starts = [0];
  for (let i = 0; i < bytes.length - 1; i++) if (bytes[i] === 10) starts.push(i + 1);
  return starts;
}
const recordOf = (starts: number[], offset: number) => {
  let k = 0;
  while (k + 1 < starts.length && starts[k + 1]! <= offset) k++;
  return k;
};
const lines = (bytes: Buffer) => bytes.toString('utf8').split('\n').slice(0, -1);

/** Writes `bytes` as a copy of the log (with the original's head) and verifies it. */
function verifyCopy(original: string, bytes: Buffer | string, options?: Parameters<typeof verifyAuditLog>[1]) {
  const copy = path.join(scratch, `${path.basename(original)}.copy`);
  writeFileSync(copy, bytes);
  if (!existsSync(`${copy}.head`)) copyFileSync(`${original}.head`, `${copy}.head`);
  return verifyAuditLog(copy, options);
}

describe('audit log: format and chain', () => {
  it('writes one JSON line per record with seq, time, prev, type, fields and hash; verifies clean', () => {
    const file = fresh();
    const bytes = buildLog(file, 12, 1);
    const recs = lines(bytes).map((l) => JSON.parse(l));
    expect(recs).toHaveLength(12);
    expect(recs[0]).toMatchObject({ seq: 0, type: 'audit.open', prev: '0'.repeat(64), signed: false });
    for (const [i, r] of recs.entries()) {
      expect(Object.keys(r).slice(0, 4)).toEqual(['seq', 'time', 'prev', 'type']);
      expect(r.seq).toBe(i);
      if (i > 0) expect(r.prev).toBe(recs[i - 1].hash);
      // hash = sha256 of the line with its hash tail replaced by "}"
      const line = lines(bytes)[i]!;
      const body = line.slice(0, line.lastIndexOf(',"hash":')) + '}';
      expect(createHash('sha256').update(body).digest('hex')).toBe(r.hash);
    }
    const v = verifyAuditLog(file);
    expect(v.ok).toBe(true);
    expect(v.records).toHaveLength(12);
    expect(v.lastHash).toBe(recs[11].hash);
    expect(JSON.parse(readFileSync(`${file}.head`, 'utf8'))).toMatchObject({ seq: 11, hash: recs[11].hash });
  });

  it('refuses binary values and reserved field names: the log never holds templates or images', () => {
    const log = AuditLog.open(fresh());
    expect(() => log.append('alert', { template: new Float32Array(128) })).toThrow(TypeError);
    expect(() => log.append('alert', { nested: { crop: Buffer.from('jpeg') } })).toThrow(/never holds binary/);
    expect(() => log.append('alert', { seq: 5 })).toThrow(RangeError);
    expect(() => log.append('Bad Type')).toThrow(RangeError);
    expect(() => log.append('alert', { x: NaN })).toThrow(RangeError);
    log.close();
  });

  it('reopening continues the chain; records of other processes are read before appending', () => {
    const file = fresh();
    const a = AuditLog.open(file);
    const b = AuditLog.open(file);
    a.append('one');
    b.append('two'); // b has not seen "one" yet: it reads it under the lock first
    a.append('three');
    a.close();
    b.close();
    const v = verifyAuditLog(file);
    expect(v.ok).toBe(true);
    expect(v.records.map((r) => r.type)).toEqual(['audit.open', 'one', 'two', 'three']);
  });
});

describe('audit log: transactions', () => {
  it('a transaction sees other writers first; nested transactions and refreshes run under the lock already held', () => {
    const file = fresh();
    const a = AuditLog.open(file);
    const b = AuditLog.open(file);
    b.append('from-b');
    const seen: string[] = [];
    a.onRecord((r) => seen.push(r.type));
    a.transaction((append) => {
      expect(seen).toEqual(['from-b']); // read before fn runs
      append('one');
      a.refresh();
      a.transaction((inner) => inner('two'));
      a.append('three');
      expect(existsSync(`${file}.lock`)).toBe(true);
    });
    expect(existsSync(`${file}.lock`)).toBe(false);
    b.append('after');
    a.close();
    b.close();
    expect(verifyAuditLog(file).records.map((r) => r.type)).toEqual(['audit.open', 'from-b', 'one', 'two', 'three', 'after']);
  });
});

describe('audit log: tampering is detected and located', () => {
  const file = fresh('tamper');
  const bytes = buildLog(file, 24, 7);
  const starts = recordStarts(bytes);
  const n = starts.length;

  it(`flipping any byte (all ${bytes.length} positions, and seeded random values) names the record holding it`, () => {
    const rand = seededRandom(11);
    let checked = 0;
    for (let off = 0; off < bytes.length; off++) {
      for (const value of off % 4 === 0 ? [bytes[off]! ^ 0x01, Math.floor(rand() * 256)] : [bytes[off]! ^ 0x01]) {
        if (value === bytes[off]) continue;
        const b = Buffer.from(bytes);
        b[off] = value;
        const v = verifyCopy(file, b);
        expect(v.ok, `byte ${off} -> ${value}`).toBe(false);
        expect(v.problem!.seq, `byte ${off} -> ${value}: ${v.problem!.reason}`).toBe(recordOf(starts, off));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(bytes.length * 1.2);
  });

  it('deleting any record names its position', () => {
    for (let k = 0; k < n; k++) {
      const l = lines(bytes);
      l.splice(k, 1);
      const v = verifyCopy(file, l.map((x) => x + '\n').join(''));
      expect(v.ok).toBe(false);
      expect(v.problem!.seq, v.problem!.reason).toBe(k);
    }
  });

  it('inserting a copy of any record anywhere names the insertion point', () => {
    const l = lines(bytes);
    for (let at = 0; at <= n; at++) {
      for (const src of [0, 5, n - 1]) {
        const m = [...l];
        m.splice(at, 0, l[src]!);
        const v = verifyCopy(file, m.map((x) => x + '\n').join(''));
        expect(v.ok).toBe(false);
        // Detected where the copy lands; a copy put right before its original is indistinguishable from it, so the original is flagged.
        expect(v.problem!.seq, `insert ${src} at ${at}: ${v.problem!.reason}`).toBe(src === at ? at + 1 : at);
      }
    }
  });

  it('inserting a forged record with a recomputed hash is detected at or right after the insertion point', () => {
    const l = lines(bytes);
    for (let at = 1; at < n; at++) {
      const prev = JSON.parse(l[at - 1]!).hash;
      const body = JSON.stringify({ seq: at, time: '2025-03-01T09:00:00.000Z', prev, type: 'review', alert: 'forged', decision: 'confirm' });
      const forged = `${body.slice(0, -1)},"hash":"${createHash('sha256').update(body).digest('hex')}"}`;
      const m = [...l];
      m.splice(at, 0, forged);
      const v = verifyCopy(file, m.map((x) => x + '\n').join(''));
      expect(v.ok).toBe(false);
      // Unsigned, the forgery itself is self-consistent: the next record no longer fits.
      expect(v.problem!.seq).toBe(at + 1);
    }
  });

  it('swapping any two adjacent records, or moving one, names the first position out of place', () => {
    const l = lines(bytes);
    for (let k = 0; k + 1 < n; k++) {
      const m = [...l];
      [m[k], m[k + 1]] = [m[k + 1]!, m[k]!];
      const v = verifyCopy(file, m.map((x) => x + '\n').join(''));
      expect(v.ok).toBe(false);
      expect(v.problem!.seq).toBe(k);
    }
    const m = [...l];
    const [moved] = m.splice(3, 1);
    m.splice(15, 0, moved!);
    expect(verifyCopy(file, m.map((x) => x + '\n').join('')).problem!.seq).toBe(3);
  });

  it('truncating at every length names the first record cut off (at record boundaries thanks to the head)', () => {
    for (let len = 0; len < bytes.length; len++) {
      const v = verifyCopy(file, bytes.subarray(0, len));
      expect(v.ok, `truncated to ${len}`).toBe(false);
      expect(v.problem!.seq, `truncated to ${len}: ${v.problem!.reason}`).toBe(len === 0 ? 0 : recordOf(starts, len));
    }
  });

  it('a missing or foreign head is reported, never passed', () => {
    const copy = path.join(scratch, 'nohead.jsonl');
    writeFileSync(copy, bytes);
    expect(verifyAuditLog(copy).problem!.reason).toMatch(/head file .* missing/);
    const other = fresh();
    buildLog(other, 3, 2);
    copyFileSync(`${other}.head`, `${copy}.head`);
    expect(verifyAuditLog(copy).ok).toBe(false);
  });

  it('a writer refuses to append to a damaged log', () => {
    const copy = `${file}.damaged`;
    const b = Buffer.from(bytes);
    b[starts[n - 1]! + 20] ^= 1;
    writeFileSync(copy, b);
    copyFileSync(`${file}.head`, `${copy}.head`);
    expect(() => AuditLog.open(copy)).toThrow(FileFormatError);
    const cut = `${file}.cut`;
    writeFileSync(cut, bytes.subarray(0, starts[n - 2]!));
    copyFileSync(`${file}.head`, `${cut}.head`);
    expect(() => AuditLog.open(cut)).toThrow(/truncated/);
  });
});

describe('audit log: Ed25519 signatures', () => {
  const keys = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519');
  const file = fresh('signed');
  const bytes = buildLog(file, 16, 3, keys.privateKey);
  const starts = recordStarts(bytes);

  it('verifies under its key and fails under another key', () => {
    expect(verifyAuditLog(file, { publicKey: keys.publicKey }).ok).toBe(true);
    expect(verifyAuditLog(file, { publicKey: keys.publicKey }).signaturesChecked).toBe(true);
    const v = verifyAuditLog(file, { publicKey: other.publicKey });
    expect(v.ok).toBe(false);
    expect(v.problem!.reason).toMatch(/signed with key/);
    // The key may be given as PEM text or raw hex too.
    const pem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(verifyAuditLog(file, { publicKey: pem }).ok).toBe(true);
    const raw = Buffer.from(keys.publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('hex');
    expect(verifyAuditLog(file, { publicKey: raw }).ok).toBe(true);
  });

  it('a log re-signed entirely under another key fails under the real one', () => {
    // Rebuild every record (new hashes, new signatures) under `other`, keyId included.
    const l = lines(bytes).map((x) => JSON.parse(x));
    let prev = '0'.repeat(64);
    const out: string[] = [];
    for (const r of l) {
      delete r.hash;
      delete r.sig;
      r.prev = prev;
      const body = JSON.stringify(r);
      const hash = createHash('sha256').update(body).digest('hex');
      out.push(`${body.slice(0, -1)},"hash":"${hash}","sig":"${sign(null, Buffer.from(body), other.privateKey).toString('base64')}"}`);
      prev = hash;
    }
    const v = verifyCopy(file, out.map((x) => x + '\n').join(''), { publicKey: keys.publicKey });
    expect(v.ok).toBe(false);
    expect(v.problem!.seq).toBe(0); // record 0 still names the real key id, and its signature is foreign
  });

  it('every byte flip (signatures included) is located when the key is given', () => {
    for (let off = 0; off < bytes.length; off += 3) {
      const b = Buffer.from(bytes);
      b[off] ^= 0x01;
      const v = verifyCopy(file, b, { publicKey: keys.publicKey });
      expect(v.ok, `byte ${off}`).toBe(false);
      expect(v.problem!.seq, `byte ${off}: ${v.problem!.reason}`).toBe(recordOf(starts, off));
    }
  });

  it('a forged record with a recomputed hash is located exactly by its missing signature', () => {
    const l = lines(bytes);
    const prev = JSON.parse(l[6]!).hash;
    const body = JSON.stringify({ seq: 7, time: '2025-03-01T09:00:00.000Z', prev, type: 'review', alert: 'forged' });
    const forged = `${body.slice(0, -1)},"hash":"${createHash('sha256').update(body).digest('hex')}","sig":"${'A'.repeat(86)}=="}`;
    l.splice(7, 0, forged);
    expect(verifyCopy(file, l.map((x) => x + '\n').join(''), { publicKey: keys.publicKey }).problem!.seq).toBe(7);
  });

  it('a signed log cannot be appended to without its key, or with another', () => {
    expect(() => AuditLog.open(file)).toThrow(StateError);
    expect(() => AuditLog.open(file, { signingKey: other.privateKey })).toThrow(/signed with key/);
    const log = AuditLog.open(file, { signingKey: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
    log.append('more');
    log.close();
    expect(verifyAuditLog(file, { publicKey: keys.publicKey }).ok).toBe(true);
  });
});

// ------------------------------------------------------------- processes --

function runWriter(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [writer, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, out }));
  });
}

describe('audit log: several processes and killed writers', () => {
  it('three processes appending at once leave one valid chain with every record, each writer in order', async () => {
    const file = fresh('concurrent');
    AuditLog.open(file).close();
    const results = await Promise.all(['A', 'B', 'C'].map((tag) => runWriter([file, tag, '120'])));
    for (const r of results) expect(r.code).toBe(0);
    const v = verifyAuditLog(file);
    expect(v.ok, v.problem?.reason).toBe(true);
    expect(v.records).toHaveLength(1 + 360);
    for (const tag of ['A', 'B', 'C']) {
      const mine = v.records.filter((r) => r.tag === tag).map((r) => r.i);
      expect(mine).toEqual([...Array(120).keys()]);
    }
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('SIGKILL of a writer at seeded random moments never loses an acknowledged record; the next writer recovers a torn tail', async () => {
    const file = fresh('killed');
    AuditLog.open(file).close();
    const rand = seededRandom(2024);
    let acknowledged = 0;
    for (let round = 0; round < 24; round++) {
      const p = spawn(process.execPath, [writer, file, `k${round}`, '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      await new Promise<void>((resolve) => {
        const onData = () => {
          if (!out.includes('ready')) return;
          p.stdout.off('data', onData);
          setTimeout(() => p.kill('SIGKILL'), 5 + Math.floor(rand() * 60));
        };
        p.stdout.on('data', onData);
        p.on('close', () => resolve());
      });
      const acks = out.split('\n').filter((l) => l.startsWith(`k${round} `)).map((l) => Number(l.split(' ')[2]));
      if (acks.length) acknowledged = Math.max(acknowledged, acks.at(-1)!);
      // Whatever the kill left, a writer opens it (dropping a torn line, fixing a stale head) and the chain verifies.
      const log = AuditLog.open(file);
      log.close();
      const v = verifyAuditLog(file);
      expect(v.ok, `round ${round}: ${v.problem?.reason}`).toBe(true);
      expect(v.records.at(-1)!.seq).toBeGreaterThanOrEqual(acknowledged);
      expect(existsSync(`${file}.lock`)).toBe(false);
    }
    expect(acknowledged).toBeGreaterThan(24);
    // Temporary head files of killed writers do not accumulate.
    expect(readdirSync(dir).filter((f) => f.startsWith(`.${path.basename(file)}.head.`)).length).toBe(0);
  });

  it('a torn last line (a writer killed inside its write) is reported by verify, then dropped and recorded by the next writer', () => {
    const file = fresh('torn');
    buildLog(file, 5, 9);
    const before = readFileSync(file);
    const torn = '{"seq":5,"time":"2025-03-01T10:00:00.000Z","prev":"ab';
    appendFileSync(file, torn);
    const v = verifyAuditLog(file);
    expect(v.problem).toMatchObject({ seq: 5, line: 6 });
    expect(v.problem!.reason).toMatch(/incomplete/);
    const log = AuditLog.open(file);
    log.append('after');
    log.close();
    const w = verifyAuditLog(file);
    expect(w.ok).toBe(true);
    expect(readFileSync(file).subarray(0, before.length).equals(before)).toBe(true);
    expect(w.records.slice(5).map((r) => [r.type, r.droppedBytes])).toEqual([
      ['audit.recovered', torn.length],
      ['after', undefined],
    ]);
  });

  it('a lock left by a dead process is broken; one held by a live process makes the appender wait, then give up with a StateError', () => {
    const file = fresh('lock');
    AuditLog.open(file).close();
    writeFileSync(`${file}.lock`, '999999999-0 1\n'); // no such process
    const log = AuditLog.open(file, { lockTimeoutMs: 200 });
    log.append('after-stale-lock');
    writeFileSync(`${file}.lock`, `${process.ppid}-0 ?\n`); // the test runner's parent: alive
    expect(() => log.append('blocked')).toThrow(StateError);
    rmSync(`${file}.lock`);
    log.append('unblocked');
    log.close();
    expect(verifyAuditLog(file).records.map((r) => r.type)).toEqual(['audit.open', 'after-stale-lock', 'unblocked']);
  });
});
