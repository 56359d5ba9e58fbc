// Erasure: after erase(id) and a save, no byte sequence of the person's
// templates (as float32, at any byte offset: every run of 8 consecutive
// values of every template) appears anywhere in the watchlist file or the
// evaluation cache folder, a search never returns them, their alert crops are
// gone, and the audit records only that an erasure happened and its counts.
// For each index kind (flat, HNSW, trained IVF). Seeded vectors.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addWithProvenance, createDeployment, erase, verifyAuditLog } from '../dist/governance/index.js';
import { EmbeddingCache } from '../dist/eval/cache.js';
import { Watchlist } from '../dist/index.js';
import { seededRandom } from '../dist/util/random.js';
import type { WatchlistIndexKind } from '../dist/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'livefr-erase-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let serial = 0;
const fresh = (name: string) => path.join(dir, `${serial++}-${name}`);

const D = 64;
function unitRows(n: number, seed: number): Float32Array {
  const r = seededRandom(seed);
  const out = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    let ss = 0;
    for (let j = 0; j < D; j++) {
      const g = Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
      out[i * D + j] = g;
      ss += g * g;
    }
    for (let j = 0; j < D; j++) out[i * D + j]! /= Math.sqrt(ss);
  }
  return out;
}

/** Runs of 8 consecutive float32 values of each template, as bytes: none may appear anywhere. */
function windows(templates: Float32Array): Buffer[] {
  const out: Buffer[] = [];
  for (let r = 0; r < templates.length / D; r++) {
    for (let j = 0; j + 8 <= D; j++) out.push(Buffer.from(templates.buffer, templates.byteOffset + (r * D + j) * 4, 32));
  }
  return out;
}
const found = (hay: Buffer, needles: Buffer[]) => needles.filter((n) => hay.indexOf(n) >= 0).length;
function allFiles(d: string): string[] {
  return readdirSync(d).flatMap((n) => {
    const p = path.join(d, n);
    return statSync(p).isDirectory() ? allFiles(p) : [p];
  });
}

const OPTIONS: Record<WatchlistIndexKind, ConstructorParameters<typeof Watchlist>[0]> = {
  flat: { dim: D, threshold: 0.6 },
  hnsw: { dim: D, threshold: 0.6, index: 'hnsw', hnsw: { M: 16, efConstruction: 40 } },
  ivf: { dim: D, threshold: 0.6, index: 'ivf', ivf: { nlist: 8, trainSize: 200 } },
};

const T0 = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();
const record = (id: string) => ({
  id,
  purpose: 'p',
  legalBasis: 'b',
  authorisation: { reference: 'R', by: 'B', at: iso(T0 - 86_400_000) },
  location: 'l',
  start: iso(T0 - 3_600_000),
  end: iso(T0 + 3_600_000),
  minThreshold: 0.5,
  alertRetention: '31d',
});

async function setup(kind: WatchlistIndexKind) {
  const people = 250;
  const vectors = unitRows(people * 2, kind.length * 100);
  const wl = new Watchlist(OPTIONS[kind]);
  const depId = `ERASE-${kind}-${serial}`;
  for (let i = 0; i < people; i++) {
    await addWithProvenance(wl, { id: `p${i}`, deployment: depId, category: 'wanted', reason: 'r', source: 's', addedBy: 'a', expiresAt: iso(T0 + 86_400_000) }, vectors.subarray(i * 2 * D, (i * 2 + 2) * D));
  }
  if (kind === 'ivf') expect(wl.trained).toBe(true);
  const file = fresh(`${kind}.lfw`);
  await wl.save(file, { key: null });
  // An evaluation cache holding the target's templates (as `livefr eval` writes them) among others', and a stray file.
  const cache = fresh('cache');
  const c = EmbeddingCache.open(cache, `config-${kind}`, D);
  for (let i = 0; i < 40; i++) {
    c.set(`${i.toString(16).padStart(2, '0')}`.repeat(32), { embedding: vectors.slice(i * D, (i + 1) * D), face: { box: { x: 1, y: 2, width: 3, height: 4 }, score: 0.9, landmarks: [] } });
  }
  const target = 'p7'; // templates are rows 14 and 15
  const tpl = (await wl.templates(target))!;
  mkdirSync(path.join(cache, 'nested'));
  writeFileSync(path.join(cache, 'nested', 'export.bin'), Buffer.concat([Buffer.from([1, 2, 3]), Buffer.from(tpl.buffer, tpl.byteOffset, tpl.byteLength)]));
  writeFileSync(path.join(cache, 'unrelated.txt'), 'nothing of anyone');
  // Alerts with crops for the target and for someone else.
  const log = fresh('audit.jsonl');
  const d = createDeployment(record(depId) as never, { audit: log });
  d.bindWatchlist(wl);
  const results = await wl.match(new Float32Array([...tpl.subarray(0, D), ...vectors.subarray(20 * D, 21 * D)]), { k: 1 });
  expect(results.map((r) => r.best!.id)).toEqual([target, 'p10']);
  const alerts = d.recordMatches(results, { threshold: 0.6, crops: [Buffer.from('crop of p7'), Buffer.from('crop of p10')] });
  const crops = alerts.map((a) => path.join(path.dirname(log), d.alert(a!.id)!.crop!));
  await d.close();
  return { wl, file, cache, target, tpl, log, crops, vectors };
}

describe('erasure leaves no byte of the person', () => {
  for (const kind of ['flat', 'hnsw', 'ivf'] as const) {
    it(`${kind}: watchlist file, cache folder, search results, alert crops; the audit holds counts only`, async () => {
      const { wl, file, cache, target, tpl, log, crops } = await setup(kind);
      const needles = windows(tpl);
      expect(needles).toHaveLength(2 * (D - 7));
      // Before: the bytes are there (the test can fail).
      expect(found(readFileSync(file), needles)).toBeGreaterThan(0);
      expect(allFiles(cache).some((f) => found(readFileSync(f), needles) > 0)).toBe(true);

      const { AuditLog } = await import('../dist/governance/index.js');
      const audit = AuditLog.open(log);
      const report = await erase(wl, target, { file, cacheDirs: [cache], audit });
      audit.close();
      expect(report).toEqual({ people: 1, templates: 2, cacheRecords: 2, cacheFiles: 2, crops: 1 });

      expect(found(readFileSync(file), needles), 'template bytes left in the watchlist file').toBe(0);
      for (const f of allFiles(cache)) expect(found(readFileSync(f), needles), `template bytes left in ${f}`).toBe(0);
      expect(existsSync(path.join(cache, 'unrelated.txt'))).toBe(true);
      // Everyone else's cache records are kept.
      const c = EmbeddingCache.open(cache, `config-${kind}`, D);
      expect(c.size).toBe(38);
      // No search returns them, from memory or from the file.
      for (const w of [wl, await Watchlist.load(file)]) {
        expect(w.has(target)).toBe(false);
        const res = await w.match(tpl, { k: 50 });
        for (const r of res) expect(r.candidates.map((x) => x.id)).not.toContain(target);
        expect(w.size).toBe(249);
      }
      expect(existsSync(crops[0]!)).toBe(false);
      expect(existsSync(crops[1]!)).toBe(true);
      const recs = verifyAuditLog(log).records;
      const e = recs.find((r) => r.type === 'erasure')!;
      expect(Object.keys(e).sort()).toEqual(['cacheFiles', 'cacheRecords', 'crops', 'hash', 'people', 'prev', 'seq', 'templates', 'time', 'type']);
      expect(JSON.stringify(e)).not.toContain(target);
    });
  }

  it('hnsw: without the graph rebuild the removed vectors would stay in the saved file (why erase() compacts)', async () => {
    const { wl, tpl, target } = await setup('hnsw');
    await wl.remove(target);
    const leaky = fresh('leaky.lfw');
    await wl.save(leaky, { key: null });
    expect(found(readFileSync(leaky), windows(tpl))).toBeGreaterThan(0);
    await wl.compact();
    await wl.save(leaky, { key: null });
    expect(found(readFileSync(leaky), windows(tpl))).toBe(0);
  });

  it('erasing in memory only, then saving later, leaves the file clean too; erasing someone absent changes nothing', async () => {
    const { wl, file, cache, target, tpl } = await setup('flat');
    await erase(wl, target);
    await wl.save(file, { key: null });
    expect(found(readFileSync(file), windows(tpl))).toBe(0);
    const again = await erase(wl, target, { cacheDirs: [cache] });
    expect(again).toEqual({ people: 0, templates: 0, cacheRecords: 0, cacheFiles: 0, crops: 0 });
  });
});
