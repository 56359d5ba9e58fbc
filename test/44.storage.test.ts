// Watchlist files at rest: AES-256-GCM encryption (keys from the caller, a
// callback or LIVEFR_WATCHLIST_KEY), key rotation, typed errors for every
// kind of bad file (wrong key, truncated, tampered, random bytes, newer
// version), the zeroing of replaced files, the removal of temporary files
// that killed writers left (never a live writer's), and 500+ SIGKILLs of a
// child process saving a watchlist of thousands of people, each leaving a
// file equal to the old or the new state, byte for byte.
// Seeded throughout: vectors, corruptions and kill times.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileFormatError, KeyError, Watchlist, keyIdOfFile } from '../dist/index.js';
import { openWatchlistBytes } from '../dist/watchlist/storage.js';
import { seededRandom } from '../dist/util/random.js';
import { repoRoot } from './helpers/shared.js';

const dir = mkdtempSync(path.join(tmpdir(), 'livefr-storage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let serial = 0;
const fresh = (name = 'wl.lfw') => path.join(dir, `${serial++}-${name}`);
const writer = path.join(repoRoot, 'test', 'helpers', 'save-writer.mjs');

function unitRows(n: number, d: number, seed: number): Float32Array {
  const r = seededRandom(seed);
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let ss = 0;
    for (let j = 0; j < d; j++) {
      const g = Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
      out[i * d + j] = g;
      ss += g * g;
    }
    for (let j = 0; j < d; j++) out[i * d + j]! /= Math.sqrt(ss);
  }
  return out;
}

async function people(n: number, d: number, seed: number, prefix = 'person'): Promise<Watchlist> {
  const wl = new Watchlist({ dim: d, threshold: 0.6 });
  const v = unitRows(n, d, seed);
  await wl.addMany(Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, embeddings: v.subarray(i * d, (i + 1) * d), metadata: { n: i } })));
  return wl;
}

const key = Buffer.from(seededRandomBytes(32, 5));
function seededRandomBytes(n: number, seed: number): Uint8Array {
  const r = seededRandom(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
}

/** Does `needle` occur in `hay` at any byte offset? */
function contains(hay: Buffer, needle: Uint8Array): boolean {
  return hay.indexOf(Buffer.from(needle.buffer, needle.byteOffset, needle.byteLength)) >= 0;
}

async function rejects(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('encryption at rest (AES-256-GCM)', () => {
  it('round-trips with the key as bytes, hex, base64, a callback or LIVEFR_WATCHLIST_KEY; the file shows no template and no id', async () => {
    const wl = await people(50, 32, 1);
    const file = fresh();
    await wl.save(file, { key });
    const bytes = readFileSync(file);
    expect(bytes.subarray(0, 8).toString('latin1')).toBe('LFRWATCH');
    expect(bytes.readUInt32LE(8)).toBe(2);
    expect(bytes.includes(Buffer.from('person-'))).toBe(false);
    const t0 = (await wl.templates('person-7'))!;
    expect(contains(bytes, t0.subarray(0, 8))).toBe(false);
    expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
    for (const k of [key, key.toString('hex'), key.toString('base64')]) expect((await Watchlist.load(file, { key: k })).size).toBe(50);
    const seen: unknown[] = [];
    const viaCallback = await Watchlist.load(file, { key: async (ctx) => (seen.push(ctx), key) });
    expect(viaCallback.ids()).toEqual(wl.ids());
    expect(seen).toEqual([{ file, keyId: keyIdOfFile(bytes) }]);
    process.env.LIVEFR_WATCHLIST_KEY = key.toString('hex');
    try {
      const env = fresh();
      await wl.save(env); // encrypted from the environment
      expect(readFileSync(env).readUInt32LE(8)).toBe(2);
      expect((await Watchlist.load(env)).size).toBe(50);
      const plain = fresh();
      await wl.save(plain, { key: null }); // explicitly plain
      expect(readFileSync(plain).readUInt32LE(8)).toBe(1);
      expect((await Watchlist.load(plain)).size).toBe(50); // a plain file loads whatever the environment says
    } finally {
      delete process.env.LIVEFR_WATCHLIST_KEY;
    }
    // The loaded templates are the saved ones, exactly.
    expect(Buffer.from((await viaCallback.templates('person-7'))!.buffer).equals(Buffer.from(t0.buffer))).toBe(true);
  });

  it('rotation re-encrypts under the new key: the old key stops working, nothing else changes; rotation to null decrypts', async () => {
    const wl = await people(20, 16, 2);
    const file = fresh();
    await wl.save(file, { key });
    const k2 = randomBytes(32);
    const before = keyIdOfFile(readFileSync(file));
    const r = await Watchlist.rekey(file, { key, newKey: k2 });
    expect(r.from).toBe(before);
    expect(r.to).toBe(keyIdOfFile(readFileSync(file)));
    expect(r.to).not.toBe(before);
    expect(await rejects(Watchlist.load(file, { key }))).toMatchObject({ name: 'KeyError', reason: 'wrong-key' });
    expect((await Watchlist.load(file, { key: k2 })).ids()).toEqual(wl.ids());
    await Watchlist.rekey(file, { key: k2, newKey: null });
    expect(readFileSync(file).readUInt32LE(8)).toBe(1);
    expect((await Watchlist.load(file)).size).toBe(20);
  });
});

describe('bad files are typed errors, never a crash or a partial watchlist', () => {
  it('wrong key, no key, invalid key', async () => {
    const file = fresh();
    await (await people(5, 8, 3)).save(file, { key });
    const wrong = await rejects(Watchlist.load(file, { key: randomBytes(32) }));
    expect(wrong).toBeInstanceOf(KeyError);
    expect(wrong).toMatchObject({ code: 'ERR_LIVEFR_KEY', reason: 'wrong-key' });
    expect(await rejects(Watchlist.load(file))).toMatchObject({ reason: 'key-required' });
    expect(await rejects(Watchlist.load(file, { key: 'not a key' }))).toBeInstanceOf(RangeError);
    expect(await rejects(Watchlist.load(file, { key: Buffer.alloc(16) }))).toBeInstanceOf(RangeError);
    expect(await rejects(Watchlist.load(file, { key: () => { throw new Error('vault down'); } }))).toBeInstanceOf(RangeError);
    expect(await rejects(Watchlist.load(file, { bogus: 1 } as never))).toBeInstanceOf(RangeError);
  });

  it('truncated at any of 300 seeded lengths, plain or encrypted: reason truncated', async () => {
    const wl = await people(40, 32, 4);
    for (const k of [null, key]) {
      const file = fresh();
      await wl.save(file, { key: k });
      const bytes = readFileSync(file);
      const r = seededRandom(k ? 9 : 8);
      const cut = fresh('cut.lfw');
      for (let i = 0; i < 150; i++) {
        const len = i < 20 ? i : Math.floor(r() * bytes.length);
        writeFileSync(cut, bytes.subarray(0, len));
        const e = await rejects(Watchlist.load(cut, { key }));
        expect(e, `length ${len}`).toBeInstanceOf(FileFormatError);
        expect((e as FileFormatError).reason, `length ${len}: ${e.message}`).toBe('truncated');
      }
    }
  });

  it('every flipped byte of an encrypted file (seeded sample) is refused with a reason: tampered, wrong key, truncated or newer version', async () => {
    const file = fresh();
    await (await people(30, 32, 5)).save(file, { key });
    const bytes = readFileSync(file);
    const copy = fresh('flip.lfw');
    const reasons = new Map<string, number>();
    for (let off = 0; off < bytes.length; off += off < 80 ? 1 : 53) {
      const b = Buffer.from(bytes);
      b[off] ^= 1 << (off % 8);
      writeFileSync(copy, b);
      const e = await rejects(Watchlist.load(copy, { key }));
      const reason = (e as FileFormatError | KeyError).reason ?? 'none';
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      expect(e instanceof FileFormatError || e instanceof KeyError, `byte ${off}: ${e.message}`).toBe(true);
      if (off >= 60) expect(reason, `byte ${off}`).toBe('tampered');
      if (off >= 16 && off < 24) expect(reason).toBe('wrong-key');
    }
    expect(reasons.get('tampered')).toBeGreaterThan(20);
  });

  it('random bytes (200 seeded files, some with a livefr header) and a newer format version', async () => {
    const r = seededRandom(77);
    const file = fresh('random.lfw');
    for (let i = 0; i < 200; i++) {
      const b = Buffer.from(seededRandomBytes(Math.floor(r() * 4000), 1000 + i));
      if (i % 3 === 0 && b.length >= 16) {
        b.write('LFRWATCH', 0, 'latin1');
        b.writeUInt32LE(1 + (i % 2), 8);
      }
      writeFileSync(file, b);
      const e = await rejects(Watchlist.load(file, { key }));
      expect(e instanceof FileFormatError || e instanceof KeyError, e.message).toBe(true);
    }
    const good = fresh();
    await (await people(3, 8, 6)).save(good, { key: null });
    for (const v of [3, 7, 1000]) {
      const b = readFileSync(good);
      b.writeUInt32LE(v, 8);
      writeFileSync(file, b);
      expect(await rejects(Watchlist.load(file))).toMatchObject({ name: 'FileFormatError', reason: 'newer-version' });
    }
  });
});

describe('replaced files are zeroed; temporary files of dead writers are removed, a live writer\'s never', () => {
  it('after a save, the bytes of the file it replaced are zero (read through a descriptor held open), unless hard-linked elsewhere', async () => {
    const file = fresh();
    const wl = await people(100, 32, 7);
    await wl.save(file, { key: null });
    const fd = openSync(file, 'r');
    const size = statSync(file).size;
    await wl.remove('person-3');
    await wl.save(file, { key: null });
    const old = Buffer.alloc(size);
    readSync(fd, old, 0, size, 0);
    closeSync(fd);
    expect(old.every((b) => b === 0)).toBe(true);
    // A hard link keeps the old bytes: the user's own copy is not destroyed.
    const backup = fresh('backup.lfw');
    linkSync(file, backup);
    const before = readFileSync(backup);
    await wl.save(file, { key: null });
    expect(readFileSync(backup).equals(before)).toBe(true);
  });

  it('save and load remove temporary files of dead writers and of reused process ids, and keep a live writer\'s', async () => {
    const sub = path.join(dir, `temps-${serial++}`);
    mkdirSync(sub);
    const file = path.join(sub, 'wl.lfw');
    const wl = await people(10, 8, 8);
    await wl.save(file);
    const sleeper: ChildProcess = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 300));
    const dead = path.join(sub, `.wl.lfw.999999999-0.0123456789ab.tmp`);
    const oldStyle = path.join(sub, `.wl.lfw.999999998.deadbeef.tmp`);
    const live = path.join(sub, `.wl.lfw.${sleeper.pid}-0.aaaaaaaaaaaa.tmp`);
    const reused = path.join(sub, `.wl.lfw.${sleeper.pid}-0.bbbbbbbbbbbb.tmp`);
    const otherFile = path.join(sub, `.other.lfw.999999999-0.cccccccccccc.tmp`);
    for (const f of [dead, oldStyle, live, reused, otherFile]) writeFileSync(f, 'partial watchlist bytes');
    // Written long before the sleeper started: its pid was reused, it is not the writer.
    utimesSync(reused, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    await Watchlist.load(file);
    expect(readdirSync(sub).sort()).toEqual([path.basename(live), path.basename(otherFile), 'wl.lfw'].sort());
    sleeper.kill('SIGKILL');
    await new Promise((r) => sleeper.once('exit', r));
    await wl.save(file);
    expect(readdirSync(sub).sort()).toEqual([path.basename(otherFile), 'wl.lfw'].sort());
  });

  it('two saves of one watchlist to one file at once, and a load during saves, all succeed', async () => {
    const file = fresh();
    const a = await people(300, 64, 9, 'a');
    const b = await people(200, 64, 10, 'b');
    await a.save(file);
    const loads: Promise<Watchlist>[] = [];
    const saves: Promise<void>[] = [];
    for (let i = 0; i < 10; i++) {
      saves.push((i % 2 ? a : b).save(file, { key: i % 3 ? null : key }));
      loads.push(Watchlist.load(file, { key }));
    }
    await Promise.all(saves);
    for (const wl of await Promise.all(loads)) expect([300, 200]).toContain(wl.size);
    expect(readdirSync(dir).filter((f) => f.startsWith(`.${path.basename(file)}.`))).toEqual([]);
  });
});

// ------------------------------------------------------------ the 500 kills --

const KILLS = 520;
const LANES = 2;

describe('crash safety: SIGKILL during saves', () => {
  it(`${KILLS} SIGKILLs of a child saving a 3,000-person watchlist leave the old or the new state, byte for byte; no temporary file outlives the next save or load`, async () => {
    const D = 128;
    const A = await people(3000, D, 11);
    const B = await people(3000, D, 11); // B = A with 150 people erased and 250 others added, new metadata for some
    for (let i = 0; i < 150; i++) await B.remove(`person-${i * 7}`);
    const extra = unitRows(250, D, 12);
    await B.addMany(Array.from({ length: 250 }, (_, i) => ({ id: `new-${i}`, embeddings: extra.subarray(i * D, (i + 1) * D), metadata: { added: true } })));
    const refA = fresh('refA.lfw');
    const refB = fresh('refB.lfw');
    await A.save(refA, { key: null });
    await B.save(refB, { key: null });
    // The states as a child saves them (load, then save): the bytes every surviving file must equal.
    const expected: Buffer[] = [];
    for (const ref of [refA, refB]) {
      const f = fresh('expected.lfw');
      await (await Watchlist.load(ref)).save(f, { key: null });
      expected.push(readFileSync(f));
    }
    expect(expected[0]!.equals(expected[1]!)).toBe(false);
    expect(expected[0]!.length).toBeGreaterThan(1_500_000);

    const rand = seededRandom(500);
    const delays = Array.from({ length: KILLS }, () => Math.floor(rand() * 90));
    const outcome = { A: 0, B: 0, encrypted: 0, loadedByWatchlist: 0, maxTemps: 0, midWrite: 0, savesBeforeKill: 0 };
    const lanes = Array.from({ length: LANES }, (_, lane) => {
      const laneDir = path.join(dir, `kills-${lane}`);
      mkdirSync(laneDir);
      return { laneDir, target: path.join(laneDir, 'live.lfw') };
    });
    // The target starts as state A (plain); each child first saves the other state than the file holds, then alternates.
    for (const l of lanes) writeFileSync(l.target, expected[0]!);
    const onDisk = lanes.map(() => 0);
    const temps = (laneDir: string) => readdirSync(laneDir).filter((f) => f.endsWith('.tmp')).length;

    /** A writer started ahead of its round (node start and loading hide behind the previous round), waiting for "go". */
    function prepare(encrypted: boolean, target: string): { child: ChildProcess; loaded: Promise<void>; out: () => string; err: () => string } {
      const env = { ...process.env };
      if (encrypted) env.LIVEFR_WATCHLIST_KEY = key.toString('hex');
      else delete env.LIVEFR_WATCHLIST_KEY;
      const child = spawn(process.execPath, [writer, target, refA, refB], { stdio: ['pipe', 'pipe', 'pipe'], env });
      let out = '';
      let err = '';
      child.stderr!.on('data', (d) => (err += d));
      const loaded = new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d) => {
          out += d;
          if (out.startsWith('loaded\n')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`writer exited ${code} before loading: ${err}`)));
      });
      loaded.catch(() => undefined);
      return { child, loaded, out: () => out, err: () => err };
    }
    const next: (ReturnType<typeof prepare> | undefined)[] = lanes.map(() => undefined);

    async function round(l: (typeof lanes)[number], i: number): Promise<void> {
      const lane = lanes.indexOf(l);
      const w = next[lane] ?? prepare(i % 2 === 1, l.target);
      next[lane] = i + LANES < KILLS ? prepare((i + LANES) % 2 === 1, l.target) : undefined;
      await w.loaded;
      const { child } = w;
      await new Promise<void>((resolve, reject) => {
        child.removeAllListeners('exit');
        child.once('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`writer exited ${code}: ${w.err()}`))));
        // Go: save first the state the file does not hold, then alternate; killed at a seeded moment.
        child.stdin!.write(`${1 - onDisk[lane]!}\n`);
        setTimeout(() => child.kill('SIGKILL'), delays[i]!);
      });
      const out = w.out();
      outcome.savesBeforeKill += out.split('\n').filter((x) => x === 'saved').length;
      // What the kill left: the old or the new file, exactly (decrypted when it is encrypted).
      const left = temps(l.laneDir);
      outcome.maxTemps = Math.max(outcome.maxTemps, left);
      if (left > 0) outcome.midWrite++;
      const bytes = readFileSync(l.target);
      if (bytes.readUInt32LE(8) === 2) outcome.encrypted++;
      const plain = await openWatchlistBytes(bytes, l.target, key);
      const which = plain.equals(expected[0]!) ? 'A' : plain.equals(expected[1]!) ? 'B' : null;
      expect(which, `round ${i}: the file is neither state`).not.toBeNull();
      outcome[which!]++;
      onDisk[lane] = which === 'A' ? 0 : 1;
      // Every other round the parent loads it (which cleans up temporary files); otherwise the next child's save must.
      if (i % 4 === 0) {
        const wl = await Watchlist.load(l.target, { key });
        expect(wl.size).toBe(which === 'A' ? 3000 : 3100);
        outcome.loadedByWatchlist++;
        expect(temps(l.laneDir), `round ${i}: load left temporary files`).toBe(0);
      }
    }

    await Promise.all(
      lanes.map(async (l, lane) => {
        for (let i = lane; i < KILLS; i += LANES) await round(l, i);
      }),
    );
    // One more save of each target: nothing a killed writer left survives it.
    for (const l of lanes) {
      await (await Watchlist.load(refA)).save(l.target, { key: null });
      expect(readdirSync(l.laneDir)).toEqual(['live.lfw']);
    }
    console.log(
      `[44.storage] ${KILLS} kills: ${outcome.A} left state A, ${outcome.B} state B; ${outcome.midWrite} with a half-written temporary file beside it; ` +
        `${outcome.savesBeforeKill} saves completed before the kills; ${outcome.encrypted} files encrypted; ${outcome.loadedByWatchlist} loaded in full; at most ${outcome.maxTemps} temporary file between saves`,
    );
    expect(outcome.midWrite).toBeGreaterThan(KILLS / 10);
    expect(outcome.A + outcome.B).toBe(KILLS);
    expect(outcome.A).toBeGreaterThan(KILLS / 10);
    expect(outcome.B).toBeGreaterThan(KILLS / 10);
    // Temporary files never pile up: each save or load removes what the previous kill left before writing its own.
    expect(outcome.maxTemps).toBeLessThanOrEqual(1);
  });
});
