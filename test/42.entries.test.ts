// Watchlist entries with provenance: the fields every entry must carry, the
// quality gate of enrolment on real faces (each refusal says why), and the
// purge of expired entries on load (the file rewritten without them) and on
// a timer. Real faces from ../shared (skipped with a message when absent);
// the purge cases use seeded vectors.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog, addWithProvenance, enrol, openWatchlist, provenanceOf, purgeExpired, startPurgeTimer, verifyAuditLog } from '../dist/governance/index.js';
import { Detector, Embedder, Watchlist } from '../dist/index.js';
import { seededRandom } from '../dist/util/random.js';
import { hasSharedData, sharedData, SKIP_SHARED } from './helpers/shared.js';

const dir = mkdtempSync(path.join(tmpdir(), 'livefr-entries-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let serial = 0;
const fresh = (name: string) => path.join(dir, `${serial++}-${name}`);

const D = 16;
function unit(seed: number): Float32Array {
  const r = seededRandom(seed);
  const v = new Float32Array(D).map(() => r() - 0.5);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}
const T0 = Math.floor(Date.now() / 1000) * 1000;
const iso = (ms: number) => new Date(ms).toISOString();
const prov = (over: Record<string, unknown> = {}) => ({ category: 'vulnerable' as const, reason: 'missing since 2025-08-30', source: 'family photo', addedBy: 'PC 42', expiresAt: iso(T0 + 86_400_000), ...over });

describe('provenance', () => {
  it('every entry states category, reason, source, who added it and when it expires; each field is checked', async () => {
    const wl = new Watchlist({ dim: D });
    await addWithProvenance(wl, { id: 'v1', ...prov(), addedAt: iso(T0) }, unit(1));
    const p = provenanceOf(wl.get('v1'));
    expect(p).toEqual({ category: 'vulnerable', reason: 'missing since 2025-08-30', source: 'family photo', addedBy: 'PC 42', addedAt: iso(T0), expiresAt: iso(T0 + 86_400_000) });
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [prov({ category: 'suspicious' }), /entry\.category/],
      [prov({ expiresAt: undefined }), /entry\.expiresAt/],
      [prov({ reason: '' }), /entry\.reason/],
      [prov({ addedBy: 3 }), /entry\.addedBy/],
      [prov({ expiresAt: '2025-09-01' , addedAt: '2025-09-02T00:00:00Z' }), /after addedAt/],
      [prov({ colour: 'red' }), /entry\.colour/],
    ];
    for (const [p2, re] of bad) {
      const e = { id: 'x', ...p2 } as Record<string, unknown>;
      for (const k of Object.keys(e)) if (e[k] === undefined) delete e[k];
      await expect(addWithProvenance(wl, e as never, unit(2)), JSON.stringify(p2)).rejects.toThrow(re);
    }
    expect(wl.size).toBe(1);
  });
});

describe('expired entries are purged on load and on a timer', () => {
  it('purgeExpired removes exactly the expired entries and records counts, never who', async () => {
    const wl = new Watchlist({ dim: D });
    for (let i = 0; i < 6; i++) await addWithProvenance(wl, { id: `e${i}`, ...prov({ addedAt: iso(T0 - 10), expiresAt: iso(T0 + i * 1000) }) }, unit(10 + i));
    await wl.add('no-provenance', unit(99)); // never expires: governance refuses to bind it instead
    const log = fresh('purge.jsonl');
    const audit = AuditLog.open(log);
    expect(await purgeExpired(wl, { now: new Date(T0 + 2500), audit })).toEqual({ people: 3, templates: 3 });
    audit.close();
    expect(wl.ids().sort()).toEqual(['e3', 'e4', 'e5', 'no-provenance']);
    const rec = verifyAuditLog(log).records.find((r) => r.type === 'watchlist.purge')!;
    expect(rec).toMatchObject({ reason: 'expired', people: 3, templates: 3 });
    expect(JSON.stringify(rec)).not.toMatch(/"e[0-2]"/);
  });

  it('openWatchlist purges on load and rewrites the file without the expired entries (their bytes gone)', async () => {
    const wl = new Watchlist({ dim: D });
    const gone = unit(21);
    await addWithProvenance(wl, { id: 'old', ...prov({ addedAt: iso(T0 - 1000), expiresAt: iso(T0) }) }, gone);
    await addWithProvenance(wl, { id: 'current', ...prov() }, unit(22));
    const file = fresh('wl.lfw');
    await wl.save(file, { key: null });
    expect(readFileSync(file).indexOf(Buffer.from(gone.buffer))).toBeGreaterThan(0);
    const { watchlist, purged } = await openWatchlist(file, { now: new Date(T0 + 1) });
    expect(purged.people).toBe(1);
    expect(watchlist.ids()).toEqual(['current']);
    expect(readFileSync(file).indexOf(Buffer.from(gone.buffer))).toBe(-1);
    expect((await Watchlist.load(file)).ids()).toEqual(['current']);
  });

  it('startPurgeTimer purges as the clock passes an expiry, then calls onPurged (e.g. to save)', async () => {
    const wl = new Watchlist({ dim: D });
    let now = T0;
    await addWithProvenance(wl, { id: 'soon', ...prov({ addedAt: iso(T0 - 1), expiresAt: iso(T0 + 500) }) }, unit(31));
    await addWithProvenance(wl, { id: 'later', ...prov() }, unit(32));
    const purged: number[] = [];
    const stop = startPurgeTimer(wl, { intervalMs: 20, now: () => new Date(now), onPurged: (r) => void purged.push(r.people) });
    await new Promise((r) => setTimeout(r, 120));
    expect(wl.size).toBe(2);
    now = T0 + 600;
    for (let i = 0; i < 50 && wl.has('soon'); i++) await new Promise((r) => setTimeout(r, 20));
    stop();
    expect(wl.ids()).toEqual(['later']);
    expect(purged).toEqual([1]);
  });
});

describe.skipIf(!hasSharedData)('quality-gated enrolment on real faces (default models)', () => {
  let detector: Detector;
  let embedder: Embedder;
  const files: Record<string, string> = {};

  beforeAll(async () => {
    detector = await Detector.load({});
    embedder = await Embedder.load({});
    const howard = sharedData('cast', 'howard', 'howard1.png');
    files.good = howard;
    files.blurred = fresh('blurred.png');
    await sharp(howard).blur(1.5).toFile(files.blurred); // sigma 3 hides the face from the detector altogether (no-face)
    files.tiny = fresh('tiny.png');
    await sharp(howard).resize(40, 40).toFile(files.tiny);
    files.group = sharedData('scenes', 'bbt1.jpg');
    files.empty = fresh('empty.png');
    await sharp({ create: { width: 200, height: 200, channels: 3, background: { r: 128, g: 128, b: 128 } } }).png().toFile(files.empty);
    files.broken = fresh('broken.jpg');
    writeFileSync(files.broken, Buffer.from(Array.from({ length: 500 }, (_, i) => (i * 37) % 256)));
  });
  afterAll(async () => {
    await detector?.close();
    await embedder?.close();
  });

  it('accepts one clear face and refuses the rest, each with a code and a reason; the audit counts refusals by code', async () => {
    const wl = new Watchlist({ dim: embedder.dim, threshold: embedder.suggestedThreshold ?? 0.5 });
    const log = fresh('enrol.jsonl');
    const audit = AuditLog.open(log);
    const r = await enrol(wl, { id: 'howard', deployment: 'DEP-E', ...prov({ category: 'wanted', addedAt: undefined }) } as never, [files.good!, files.blurred!, files.tiny!, files.group!, files.empty!, files.broken!], {
      detector,
      embedder,
      audit,
    });
    audit.close();
    expect(r.templates).toBe(1);
    expect(r.accepted).toEqual([files.good]);
    const by = Object.fromEntries(r.refused.map((x) => [x.image, x]));
    expect(by[files.blurred!]).toMatchObject({ code: 'blurred', reason: expect.stringMatching(/too blurred \(sharpness 0\.\d+, minimum 0\.55\)/) });
    expect(by[files.tiny!]!.code).toMatch(/too-small|no-face|low-confidence/);
    expect(by[files.group!]).toMatchObject({ code: 'several-faces', reason: expect.stringMatching(/\d faces found/) });
    expect(by[files.empty!]!.code).toBe('no-face');
    expect(by[files.broken!]!.code).toBe('unreadable');
    expect(provenanceOf(wl.get('howard'))).toMatchObject({ deployment: 'DEP-E', category: 'wanted' });
    const add = verifyAuditLog(log).records.find((x) => x.type === 'watchlist.add')!;
    expect(add).toMatchObject({ deployment: 'DEP-E', id: 'howard', templates: 1, images: 6, refused: 5 });
    expect(Object.values(add.refusedBy as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(5);
  });

  it('adds nothing when every image is refused, and the quality rules can be set per call', async () => {
    const wl = new Watchlist({ dim: embedder.dim });
    const none = await enrol(wl, { id: 'nobody', ...prov() }, [files.blurred!, files.empty!], { detector, embedder });
    expect(none.templates).toBe(0);
    expect(wl.has('nobody')).toBe(false);
    const lax = await enrol(wl, { id: 'howard', ...prov() }, [files.blurred!], { detector, embedder, quality: { minSharpness: 0.05 } });
    expect(lax.templates).toBe(1);
    await expect(enrol(wl, { id: 'x', ...prov() }, [files.good!], { detector, embedder, quality: { minSharpness: -1 } })).rejects.toThrow(/options\.quality\.minSharpness/);
    await expect(enrol(wl, { id: 'x', ...prov() }, [files.good!], { detector, embedder, quality: { sharp: 1 } as never })).rejects.toThrow(/options\.quality\.sharp/);
  });
});

if (!hasSharedData) console.warn(`[42.entries] enrolment on real faces: ${SKIP_SHARED}`);
