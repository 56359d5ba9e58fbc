// Deployments and review: each rule of a deployment is attacked (outside its
// window, below its minimum threshold, with an unbound or foreign watchlist,
// an urgent deployment not authorised in time or refused), alerts come from
// real Watchlist.match() results on seeded unit vectors, and the review rule
// is tried with one reviewer, the same reviewer twice, a rejection and an
// expiry. The clock is a variable the tests move.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AuditLog,
  addWithProvenance,
  createDeployment,
  createGovernor,
  purgeExpired,
  verifyAuditLog,
  type DeploymentRecord,
} from '../dist/governance/index.js';
import { StateError, Watchlist } from '../dist/index.js';
import { seededRandom } from '../dist/util/random.js';

const dir = mkdtempSync(path.join(tmpdir(), 'livefr-deploy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let serial = 0;
const fresh = () => path.join(dir, `audit-${serial++}.jsonl`);

const DIM = 32;
function unit(seed: number, n = 1): Float32Array {
  const r = seededRandom(seed);
  const out = new Float32Array(n * DIM);
  for (let i = 0; i < n; i++) {
    let ss = 0;
    for (let j = 0; j < DIM; j++) {
      const g = Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
      out[i * DIM + j] = g;
      ss += g * g;
    }
    for (let j = 0; j < DIM; j++) out[i * DIM + j]! /= Math.sqrt(ss);
  }
  return out;
}

const T0 = Date.parse('2025-06-01T08:00:00Z');
const H = 3_600_000;
function clock(start = T0 + H) {
  const c = { t: start, now: () => new Date(c.t) };
  return c;
}

function record(over: Partial<DeploymentRecord> = {}): DeploymentRecord {
  return {
    id: 'LFR-2025-06-01-A',
    purpose: 'locate people wanted on warrant for violent offences',
    legalBasis: 'common law policing powers; force LFR policy v3',
    authorisation: { reference: 'AUTH-77', by: 'Supt. A. Example', at: '2025-05-30T12:00:00Z' },
    location: 'Example Street, outside the station',
    start: new Date(T0).toISOString(),
    end: new Date(T0 + 8 * H).toISOString(),
    minThreshold: 0.6,
    reviewersPerAlert: 2,
    alertRetention: '24h',
    ...over,
  };
}

const provenance = (deployment: string, over: Record<string, unknown> = {}) => ({
  deployment,
  category: 'wanted' as const,
  reason: 'warrant W-1',
  source: 'custody image, force system X',
  addedBy: 'PC 1234',
  addedAt: new Date(T0 - 48 * H).toISOString(),
  expiresAt: new Date(T0 + 48 * H).toISOString(),
  ...over,
});

/** A watchlist of `n` people enrolled for `deployment`, threshold 0.7. */
async function bespoke(deployment: string, n = 5): Promise<Watchlist> {
  const wl = new Watchlist({ dim: DIM, threshold: 0.7 });
  for (let i = 0; i < n; i++) await addWithProvenance(wl, { id: `p${i}`, ...provenance(deployment, { category: i % 2 ? 'missing' : 'wanted' }) }, unit(100 + i));
  return wl;
}

const jpeg = (tag: string) => Buffer.from(`\xff\xd8\xff\xe0fake-jpeg-of-${tag}\xff\xd9`, 'latin1');

describe('deployment record', () => {
  it('is checked field by field, naming the field', () => {
    const audit = fresh();
    const bad: Array<[Partial<DeploymentRecord> | Record<string, unknown>, RegExp]> = [
      [{ purpose: undefined }, /deployment\.purpose/],
      [{ end: new Date(T0 - H).toISOString() }, /deployment\.end/],
      [{ start: '2025-06-01T08:00:00' }, /time zone/],
      [{ minThreshold: 2 }, /deployment\.minThreshold/],
      [{ alertRetention: 'soon' }, /deployment\.alertRetention/],
      [{ reviewersPerAlert: 2, reviewers: ['Alice', ' alice '] }, /deployment\.reviewers/],
      [{ authorisation: { urgent: false, requestedAt: '2025-06-01T08:00:00Z' } as never }, /authorisation\.urgent/],
      [{ colour: 'blue' } as never, /deployment\.colour/],
    ];
    for (const [over, re] of bad) {
      const rec = { ...record(), ...over } as Record<string, unknown>;
      for (const k of Object.keys(over)) if ((over as Record<string, unknown>)[k] === undefined) delete rec[k];
      expect(() => createDeployment(rec as never, { audit }), JSON.stringify(over)).toThrow(re);
    }
  });

  it('cannot change once started (same id, other rules), and is written to the audit log once', async () => {
    const audit = fresh();
    const c = clock();
    (await createDeployment(record(), { audit, now: c.now }).close());
    (await createDeployment(record(), { audit, now: c.now }).close());
    expect(() => createDeployment(record({ minThreshold: 0.4 }), { audit, now: c.now })).toThrow(/minThreshold differs/);
    const v = verifyAuditLog(audit);
    expect(v.ok).toBe(true);
    expect(v.records.filter((r) => r.type === 'deployment.start')).toHaveLength(1);
  });
});

describe('deployment rules, attacked', () => {
  it('refuses to start before its window opens and after it closes', async () => {
    const c = clock(T0 - 10 * 60_000);
    const d = createDeployment(record(), { audit: fresh(), now: c.now });
    const wl = await bespoke(d.id);
    d.bindWatchlist(wl);
    expect(() => d.admit({ threshold: 0.7, watchlist: wl })).toThrow(StateError);
    expect(() => d.admit({ threshold: 0.7, watchlist: wl })).toThrow(/has not started/);
    c.t = T0; // opens exactly at start
    expect(() => d.admit({ threshold: 0.7, watchlist: wl })).not.toThrow();
    c.t = T0 + 8 * H; // closes exactly at end
    expect(() => d.admit({ threshold: 0.7, watchlist: wl })).toThrow(/ended/);
    // An admit context's own clock is honoured too.
    expect(() => d.admit({ threshold: 0.7, watchlist: wl, now: new Date(T0 + 9 * H) })).toThrow(StateError);
    await d.close();
  });

  it('refuses a threshold below the minimum (RangeError naming threshold), for admit, binding and setThreshold', async () => {
    const c = clock();
    const d = createDeployment(record(), { audit: fresh(), now: c.now });
    const wl = await bespoke(d.id);
    d.bindWatchlist(wl);
    let err: unknown;
    try {
      d.admit({ threshold: 0.59, watchlist: wl });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RangeError);
    expect(err).toMatchObject({ parameter: 'threshold', code: 'ERR_LIVEFR_OUT_OF_RANGE' });
    expect(() => d.setThreshold(wl, 0.5)).toThrow(RangeError);
    d.setThreshold(wl, 0.65);
    expect(wl.threshold).toBe(0.65);
    const low = await bespoke(d.id);
    low.setThreshold(0.3);
    expect(() => d.bindWatchlist(low)).toThrow(/watchlist threshold/);
    // Even a pipeline that slipped past admit cannot record an alert below the minimum.
    expect(() => d.recordAlert({ watchlistId: 'p1', score: 0.9, threshold: 0.5 })).toThrow(/below the minimum/);
    await d.close();
  });

  it('refuses a watchlist not bound to it, one enrolled for another deployment, entries without provenance or expired', async () => {
    const c = clock();
    const d = createDeployment(record(), { audit: fresh(), now: c.now });
    const wl = await bespoke(d.id);
    expect(() => d.admit({ threshold: 0.7, watchlist: wl })).toThrow(/not bound/);
    const foreign = await bespoke('OTHER-DEPLOYMENT');
    expect(() => d.bindWatchlist(foreign)).toThrow(/enrolled for deployment OTHER-DEPLOYMENT/);
    const plain = new Watchlist({ dim: DIM, threshold: 0.7 });
    await plain.add('x', unit(1));
    expect(() => d.bindWatchlist(plain)).toThrow(/no provenance/);
    const stale = await bespoke(d.id);
    await addWithProvenance(stale, { id: 'old', ...provenance(d.id, { expiresAt: new Date(T0).toISOString() }) }, unit(9));
    expect(() => d.bindWatchlist(stale)).toThrow(/expired/);
    expect(await purgeExpired(stale, { now: c.now() })).toEqual({ people: 1, templates: 1 });
    d.bindWatchlist(stale);
    // A foreign entry slipped into a bound list after binding is caught at the next admit.
    d.bindWatchlist(wl);
    await wl.add('intruder', unit(77), { provenance: provenance('OTHER') });
    expect(() => d.admit({ threshold: 0.7, watchlist: wl })).toThrow(/intruder/);
    await d.close();
  });

  it('an urgent deployment not authorised within 24 h stops: alerts and crops deleted, watchlist purged, nothing admitted', async () => {
    const c = clock(T0 + 10 * 60_000);
    const audit = fresh();
    const rec = record({ authorisation: { urgent: true, requestedAt: new Date(T0 + 5 * 60_000).toISOString() }, end: new Date(T0 + 72 * H).toISOString() });
    const d = createDeployment(rec, { audit, now: c.now });
    const wl = await bespoke(d.id);
    d.bindWatchlist(wl);
    d.admit({ threshold: 0.7, watchlist: wl }); // urgent: may run while authorisation is pending
    const [r] = await wl.match(unit(101), { k: 1 });
    const [a] = d.recordMatches([r!], { threshold: 0.7, crops: [jpeg('p1')] });
    const crop = path.join(path.dirname(audit), d.alert(a!.id)!.crop!);
    expect(existsSync(crop)).toBe(true);
    a!.review({ reviewer: 'Alice', decision: 'confirm' });
    a!.review({ reviewer: 'Bob', decision: 'confirm' });
    expect(d.alert(a!.id)!.outcome).toBe('confirmed');
    c.t = T0 + 24 * H + 1; // deadline passed (24 h from the earlier of start and request... start)
    expect(() => d.admit({ threshold: 0.7, watchlist: wl })).toThrow(/not recorded within 24 h/);
    await d.sweep();
    expect(d.status()).toBe('stopped');
    expect(existsSync(crop)).toBe(false); // even the confirmed alert's crop
    expect(d.alerts().map((x) => x.outcome)).toEqual(['deleted']);
    expect(wl.size).toBe(0);
    expect(() => d.authorise({ reference: 'LATE-1', by: 'Judge' })).toThrow(StateError);
    await d.close();
    const types = verifyAuditLog(audit).records.map((x) => x.type);
    expect(types).toContain('alerts.deleted');
    expect(verifyAuditLog(audit).records.find((x) => x.type === 'deployment.end')).toMatchObject({ reason: 'authorisation-missing', people: 5 });
  });

  it('an urgent deployment authorised in time keeps running past 24 h; one refused stops at once and deletes everything', async () => {
    const c = clock(T0 + H);
    const urgent = { authorisation: { urgent: true as const, requestedAt: new Date(T0).toISOString() }, end: new Date(T0 + 72 * H).toISOString() };
    const ok = createDeployment(record({ id: 'URG-OK', ...urgent }), { audit: fresh(), now: c.now });
    const wl = await bespoke('URG-OK');
    ok.bindWatchlist(wl);
    ok.authorise({ reference: 'W-2025-991', by: 'Judge B' });
    c.t = T0 + 30 * H;
    expect(() => ok.admit({ threshold: 0.7, watchlist: wl })).not.toThrow();
    expect(ok.status()).toBe('active');
    await ok.close();

    c.t = T0 + 2 * H;
    const audit = fresh();
    const no = createDeployment(record({ id: 'URG-NO', ...urgent }), { audit, now: c.now });
    const wl2 = await bespoke('URG-NO');
    no.bindWatchlist(wl2);
    const [r] = await wl2.match(unit(102), { k: 1 });
    const g = no.recordAlert({ watchlistId: r!.best!.id, score: r!.best!.score, threshold: 0.7, crop: jpeg('x') });
    const crop = path.join(path.dirname(audit), no.alert(g.id)!.crop!);
    const summary = await no.refuseAuthorisation({ by: 'Judge C', reason: 'not necessary' });
    expect(summary).toMatchObject({ reason: 'authorisation-refused', people: 5, crops: 1 });
    expect(existsSync(crop)).toBe(false);
    expect(wl2.size).toBe(0);
    expect(() => no.admit({ threshold: 0.7, watchlist: wl2 })).toThrow(/refused|ended|stopped/);
    expect(() => no.recordAlert({ watchlistId: 'p0', score: 0.9, threshold: 0.7 })).toThrow(StateError);
    await no.close();
  });

  it('ending purges the bespoke watchlist (memory and file) and every unconfirmed crop; confirmed crops stay', async () => {
    const c = clock();
    const audit = fresh();
    const d = createDeployment(record(), { audit, now: c.now });
    const wl = await bespoke(d.id);
    const file = path.join(dir, 'bespoke.lfw');
    await wl.save(file);
    d.bindWatchlist(wl, { file });
    const results = await wl.match(new Float32Array([...unit(100), ...unit(101), ...unit(102)]), { k: 1 });
    const alerts = d.recordMatches(results, { threshold: 0.7, crops: [jpeg('a'), jpeg('b'), jpeg('c')] }).map((a) => a!);
    alerts[0]!.review({ reviewer: 'Alice', decision: 'confirm' });
    alerts[0]!.review({ reviewer: 'Bob', decision: 'confirm' });
    alerts[1]!.review({ reviewer: 'Alice', decision: 'confirm' }); // one of two: still pending
    const crops = alerts.map((a) => path.join(path.dirname(audit), d.alert(a.id)!.crop!));
    const summary = await d.end('operation complete');
    expect(summary).toMatchObject({ people: 5, templates: 5, crops: 2, files: 1 });
    expect(wl.size).toBe(0);
    expect(existsSync(file)).toBe(false);
    expect(crops.map(existsSync)).toEqual([true, false, false]);
    expect(() => d.admit({ threshold: 0.7, watchlist: wl })).toThrow(/ended/);
    await d.close();
  });

  it('ends by itself when its window closes (sweep), with the same purge', async () => {
    const c = clock();
    const d = createDeployment(record(), { audit: fresh(), now: c.now });
    const wl = await bespoke(d.id);
    d.bindWatchlist(wl);
    c.t = T0 + 8 * H + 1;
    await d.sweep();
    expect(d.record.ended?.reason).toBe('window-ended');
    expect(wl.size).toBe(0);
    await d.close();
  });
});

describe('review of alerts (two-person rule)', () => {
  async function setup(over: Partial<DeploymentRecord> = {}) {
    const c = clock();
    const audit = fresh();
    const d = createDeployment(record(over), { audit, now: c.now });
    const wl = await bespoke(d.id);
    d.bindWatchlist(wl);
    const results = await wl.match(new Float32Array([...unit(100), ...unit(103)]), { k: 1 });
    const alerts = d.recordMatches(results, { threshold: 0.7, streamId: 'cam-1', crops: [jpeg('1'), jpeg('2')] }).map((a) => a!);
    return { c, audit, d, wl, alerts };
  }

  it('only alerting results are recorded, and nothing of the others', async () => {
    const { d, wl } = await setup();
    const before = d.alerts().length;
    const stranger = unit(999); // matches nobody
    const results = await wl.match(stranger, { k: 3 });
    expect(results[0]!.alert).toBe(false);
    expect(d.recordMatches(results, { threshold: 0.7 })).toEqual([null]);
    expect(d.alerts()).toHaveLength(before);
    await d.close();
  });

  it('one reviewer cannot confirm alone when two are required; the same reviewer twice counts once', async () => {
    const { d, alerts } = await setup();
    const a = alerts[0]!;
    expect(a.reviewersRequired).toBe(2);
    expect(a.review({ reviewer: 'Alice Smith', decision: 'confirm' })).toMatchObject({ outcome: 'pending', reviews: 1, required: 2 });
    expect(() => a.review({ reviewer: 'Alice Smith', decision: 'confirm' })).toThrow(/counts once/);
    expect(() => a.review({ reviewer: '  alice   SMITH ', decision: 'confirm' })).toThrow(StateError);
    expect(d.alert(a.id)!.outcome).toBe('pending');
    expect(a.review({ reviewer: 'Bob Jones', decision: 'confirm', note: 'matches custody image' })).toMatchObject({ outcome: 'confirmed', reviews: 2 });
    expect(() => a.review({ reviewer: 'Carol', decision: 'reject' })).toThrow(/already confirmed/);
    await d.close();
  });

  it('a rejection rejects the alert and deletes its crop at once', async () => {
    const { d, alerts, audit } = await setup();
    const a = alerts[1]!;
    const crop = path.join(path.dirname(audit), d.alert(a.id)!.crop!);
    a.review({ reviewer: 'Alice', decision: 'confirm' });
    expect(existsSync(crop)).toBe(true);
    expect(a.review({ reviewer: 'Bob', decision: 'reject', note: 'different person' })).toMatchObject({ outcome: 'rejected', cropDeleted: true });
    expect(existsSync(crop)).toBe(false);
    await d.close();
  });

  it('unreviewed alerts and their crops expire after alertRetention; an expired alert takes no review', async () => {
    const { c, d, alerts, audit } = await setup();
    const crop = path.join(path.dirname(audit), d.alert(alerts[0]!.id)!.crop!);
    c.t += 24 * H;
    expect(() => alerts[0]!.review({ reviewer: 'Alice', decision: 'confirm' })).toThrow(/expired/);
    expect(existsSync(crop)).toBe(false);
    await d.sweep();
    expect(d.alerts().map((x) => x.outcome)).toEqual(['expired', 'expired']);
    await d.close();
  });

  it('only the named reviewers may review when the deployment names them; reviewersPerAlert 3 needs three', async () => {
    const { d, alerts } = await setup({ reviewersPerAlert: 3, reviewers: ['Alice', 'Bob', 'Carol', 'Dan'] });
    const a = alerts[0]!;
    expect(() => a.review({ reviewer: 'Mallory', decision: 'confirm' })).toThrow(/not one of the reviewers/);
    a.review({ reviewer: 'Alice', decision: 'confirm' });
    a.review({ reviewer: 'Bob', decision: 'confirm' });
    expect(d.alert(a.id)!.outcome).toBe('pending');
    a.review({ reviewer: 'carol', decision: 'confirm' });
    expect(d.alert(a.id)!.outcome).toBe('confirmed');
    expect(() => a.review({ reviewer: 'Alice', decision: 'maybe' as never })).toThrow(RangeError);
    await d.close();
  });

  it('reviews written by another process (another AuditLog on the same file) are seen', async () => {
    const { d, alerts, audit } = await setup();
    const other = AuditLog.open(audit);
    other.append('review', { deployment: d.id, alert: alerts[0]!.id, reviewer: 'Remote One', decision: 'confirm' });
    other.close();
    expect(() => alerts[0]!.review({ reviewer: 'remote one', decision: 'confirm' })).toThrow(/counts once/);
    expect(alerts[0]!.review({ reviewer: 'Local Two', decision: 'confirm' }).outcome).toBe('confirmed');
    await d.close();
  });
});

describe('governor for the pipeline', () => {
  it('admits, stamps alerts with id, deployment and review(), counts faces, stops the pipeline once the deployment ends', async () => {
    const c = clock();
    const audit = fresh();
    const d = createDeployment(record(), { audit, now: c.now, countsFlushMs: 0 });
    const wl = await bespoke(d.id);
    d.bindWatchlist(wl);
    const g = createGovernor(d);
    expect(() => g.admit({ threshold: 0.5, watchlist: wl, now: c.now() })).toThrow(RangeError);
    g.admit({ threshold: 0.7, watchlist: wl, streamId: 'cam-1', now: c.now() });
    const [r] = await wl.match(unit(104), { k: 1 });
    const extra = g.onAlert({ streamId: 'cam-1', trackId: 3, frame: 17, time: 0.68, box: { x: 1, y: 2, width: 30, height: 30 }, watchlistId: r!.best!.id, score: r!.best!.score, threshold: 0.7, crop: jpeg('t') });
    expect(extra).toMatchObject({ deploymentId: d.id, reviewersRequired: 2 });
    expect(extra.id).toMatch(/^a[0-9a-f]{16}$/);
    expect(typeof extra.review).toBe('function');
    g.onFacesScanned('cam-1', 250);
    g.onFacesScanned('cam-1', 50);
    g.onClose();
    c.t = T0 + 9 * H;
    expect(() => g.onAlert({ streamId: 'cam-1', trackId: 4, frame: 90, time: 3.6, box: { x: 1, y: 2, width: 30, height: 30 }, watchlistId: 'p0', score: 0.9, threshold: 0.7, crop: jpeg('u') })).toThrow(StateError);
    await d.close();
    const recs = verifyAuditLog(audit).records;
    expect(recs.filter((x) => x.type === 'faces.scanned').reduce((s, x) => s + (x.count as number), 0)).toBe(300);
    const alert = recs.find((x) => x.type === 'alert')!;
    expect(Object.keys(alert).sort()).toEqual(['alert', 'at', 'crop', 'deployment', 'expiresAt', 'frame', 'hash', 'prev', 'reviewersRequired', 'score', 'seq', 'stream', 'streamTime', 'threshold', 'time', 'type', 'watchlistId']);
    expect(alert).toMatchObject({ frame: 17, streamTime: 0.68, at: new Date(T0 + H).toISOString() });
    // Nothing in the log is a vector: no array of numbers anywhere.
    const text = readFileSync(audit, 'utf8');
    expect(text).not.toMatch(/\[\s*-?\d+\.\d+\s*,\s*-?\d+\.\d+/);
  });
});
