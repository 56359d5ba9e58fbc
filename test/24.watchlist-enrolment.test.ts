// What add() accepts is what the file stores (issue 7, item 5), a file with
// one odd record still loads whole, and exact duplicate templates are
// refused (issue 7, item 11). Seeded: every run builds the same metadata.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LivefrRangeError, LivefrTypeError, Watchlist } from '../dist/index.js';
import { seededRandom } from '../dist/util/random.js';

const dir = mkdtempSync(path.join(tmpdir(), 'livefr-enrol-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const D = 8;
function unit(seed: number, rows = 1): Float32Array {
  const r = seededRandom(seed);
  const out = new Float32Array(rows * D);
  for (let i = 0; i < rows; i++) {
    let ss = 0;
    for (let j = 0; j < D; j++) ss += (out[i * D + j] = r() - 0.5) ** 2;
    for (let j = 0; j < D; j++) out[i * D + j]! /= Math.sqrt(ss);
  }
  return out;
}

async function rejects(p: Promise<unknown>, cls: typeof LivefrTypeError | typeof LivefrRangeError, parameter: string, what: string): Promise<void> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err, what).toBeInstanceOf(cls);
  expect(err, what).toMatchObject({ code: cls === LivefrTypeError ? 'ERR_LIVEFR_INVALID_TYPE' : 'ERR_LIVEFR_OUT_OF_RANGE', parameter });
}

/** A seeded random JSON value (what the file can store). */
function jsonValue(r: () => number, depth = 0): unknown {
  const k = Math.floor(r() * (depth > 3 ? 4 : 6));
  if (k === 0) return null;
  if (k === 1) return r() < 0.5;
  if (k === 2) return Math.round((r() - 0.5) * 1e6) / 100;
  if (k === 3) return `s${Math.floor(r() * 1e6)} é ${'\u00e9'.repeat(Math.floor(r() * 3))}`;
  if (k === 4) return Array.from({ length: Math.floor(r() * 4) }, () => jsonValue(r, depth + 1));
  return Object.fromEntries(Array.from({ length: Math.floor(r() * 4) }, (_, i) => [`k${i}`, jsonValue(r, depth + 1)]));
}

describe('metadata: add() accepts only what the file stores', () => {
  it('refuses values that would not come back from the file as they are, naming the part', async () => {
    const wl = new Watchlist({ dim: D });
    class Custom {
      a = 1;
    }
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const cases: [string, unknown, typeof LivefrTypeError | typeof LivefrRangeError, string][] = [
      ['a Date', new Date(0), LivefrTypeError, 'metadata'],
      ['new Number(5)', new Number(5), LivefrTypeError, 'metadata'],
      ['an object with toJSON', { toJSON: () => 5 }, LivefrTypeError, 'metadata'],
      ['a class instance', new Custom(), LivefrTypeError, 'metadata'],
      ['an array', [1, 2], LivefrTypeError, 'metadata'],
      ['a nested Date', { when: new Date(0) }, LivefrTypeError, 'metadata.when'],
      ['a nested boxed string', { name: new String('x') }, LivefrTypeError, 'metadata.name'],
      ['undefined inside', { a: undefined }, LivefrTypeError, 'metadata.a'],
      ['NaN inside', { list: [1, NaN] }, LivefrRangeError, 'metadata.list[1]'],
      ['Infinity inside', { x: Infinity }, LivefrRangeError, 'metadata.x'],
      ['a function inside', { f: () => 1 }, LivefrTypeError, 'metadata.f'],
      ['a bigint inside', { n: 1n }, LivefrTypeError, 'metadata.n'],
      ['a cycle', cyclic, LivefrRangeError, 'metadata.self'],
      ['a symbol key', { [Symbol('s')]: 1 }, LivefrTypeError, 'metadata'],
      ['too large', { text: 'x'.repeat(70 * 1024) }, LivefrRangeError, 'metadata'],
    ];
    for (const [what, meta, cls, param] of cases) {
      await rejects(wl.add('bob', unit(1), meta as Record<string, unknown>), cls, param, `add: ${what}`);
      await rejects(wl.addMany([{ id: 'ok', embeddings: unit(2) }, { id: 'bob', embeddings: unit(3), metadata: meta as Record<string, unknown> }]), cls, param.replace(/^metadata/, 'entries[1].metadata'), `addMany: ${what}`);
    }
    expect(wl.size).toBe(0); // nothing was added by the refused calls
  });

  it('132 seeded metadata objects survive save() and load() exactly', async () => {
    const r = seededRandom(132);
    const wl = new Watchlist({ dim: D });
    const want = new Map<string, Record<string, unknown>>();
    for (let i = 0; i < 132; i++) {
      const meta = { ...(jsonValue(r) as object), n: i, nested: { list: [jsonValue(r), jsonValue(r)] } };
      want.set(`p${i}`, meta);
      await wl.add(`p${i}`, unit(1000 + i), meta);
    }
    const file = path.join(dir, 'meta.lfw');
    await wl.save(file);
    const back = await Watchlist.load(file);
    for (const [id, meta] of want) expect(back.get(id), id).toEqual(meta);
  });

  it('a file whose one record has odd metadata loads whole: the odd value is kept, with a warning', async () => {
    const wl = new Watchlist({ dim: D });
    await wl.add('alice', unit(11), { role: 'missing person' });
    await wl.add('bob', unit(12), { role: 'wanted' });
    await wl.add('carol', unit(13));
    const file = path.join(dir, 'odd.lfw');
    await wl.save(file);
    // What a Date became in files written before add() checked metadata: a string.
    const bytes = readFileSync(file);
    const jsonLen = Number(bytes.readBigUInt64LE(16));
    const json = JSON.parse(bytes.subarray(32, 32 + jsonLen).toString('utf8'));
    json.people.find((p: { id: string }) => p.id === 'bob').metadata = '1970-01-01T00:00:00.000Z';
    const edited = Buffer.from(JSON.stringify(json), 'utf8');
    const header = Buffer.from(bytes.subarray(0, 32));
    header.writeBigUInt64LE(BigInt(edited.length), 16);
    const index = bytes.subarray(32 + jsonLen, bytes.length - 32);
    const digest = createHash('sha256').update(header).update(edited).update(index).digest();
    const odd = path.join(dir, 'odd-edited.lfw');
    writeFileSync(odd, Buffer.concat([header, edited, index, digest]));
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const back = await Watchlist.load(odd);
      await new Promise((res) => setImmediate(res));
      expect(back.ids().sort()).toEqual(['alice', 'bob', 'carol']);
      expect(back.get('alice')).toEqual({ role: 'missing person' });
      expect(back.get('bob')).toEqual({ value: '1970-01-01T00:00:00.000Z' });
      expect(back.get('carol')).toBeUndefined();
      const [r] = await back.match(unit(12), { k: 1 });
      expect(r!.best!.id).toBe('bob');
      expect(warnings.some((w) => (w as Error & { code?: string }).code === 'LIVEFR_WATCHLIST_METADATA' && /"bob"/.test(w.message))).toBe(true);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('exact duplicate templates are refused', () => {
  for (const index of ['flat', 'hnsw', 'ivf'] as const) {
    it(`${index}: a row identical to an enrolled template, or to another row of the call, is a RangeError naming it`, async () => {
      const wl = new Watchlist({ dim: D, index });
      const a = unit(21);
      await wl.add('alice', a);
      await rejects(wl.add('alice', a), LivefrRangeError, 'embeddings', 'the same person again');
      await rejects(wl.add('bob', Float32Array.from(a)), LivefrRangeError, 'embeddings', 'another person');
      const twice = new Float32Array(2 * D);
      twice.set(unit(22), 0);
      twice.set(unit(22), D);
      await rejects(wl.add('carol', twice), LivefrRangeError, 'embeddings', 'two equal rows in one call');
      await rejects(wl.addMany([{ id: 'd', embeddings: unit(23) }, { id: 'e', embeddings: unit(23) }]), LivefrRangeError, 'entries[1].embeddings', 'two entries, one vector');
      const err = await wl.add('bob', a).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/"alice"/);
      expect(wl.ids()).toEqual(['alice']);
      // 2,000 copies of one vector (24 s for HNSW to build before) are refused at once.
      const copies = new Float32Array(2000 * D);
      for (let i = 0; i < 2000; i++) copies.set(unit(24), i * D);
      await rejects(wl.addMany([{ id: 'many', embeddings: copies }]), LivefrRangeError, 'entries[0].embeddings', '2,000 copies');
      // Distinct templates are fine; a removed template may be enrolled again.
      await wl.add('alice', unit(25));
      expect(await wl.remove('alice')).toBe(true);
      await wl.add('bob', a);
      // The check survives save and load.
      const file = path.join(dir, `dup-${index}.lfw`);
      await wl.save(file);
      const back = await Watchlist.load(file);
      await rejects(back.add('zoe', Float32Array.from(a)), LivefrRangeError, 'embeddings', 'after load');
      await back.add('zoe', unit(26));
      expect(back.ids().sort()).toEqual(['bob', 'zoe']);
    });
  }
});
