// The governance commands as a user runs them (child processes): livefr
// audit verify | keygen, review, report, deployment, and the --deployment /
// --audit flags of match and enroll. Alerts come from real Watchlist.match()
// results on seeded vectors (no models), and, with ../shared present, from
// the default models on the `cast` faces and a `scenes` photo.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { addWithProvenance, createDeployment, verifyAuditLog } from '../dist/governance/index.js';
import { Watchlist } from '../dist/index.js';
import { seededRandom } from '../dist/util/random.js';
import { hasSharedData, repoRoot, sharedData, SKIP_SHARED } from './helpers/shared.js';

const run = promisify(execFile);
const cli = path.join(repoRoot, 'dist', 'cli', 'main.js');
const dir = mkdtempSync(path.join(tmpdir(), 'livefr-cli-gov-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let serial = 0;
const fresh = (name: string) => path.join(dir, `${serial++}-${name}`);

async function livefr(args: string[], env: Record<string, string> = {}) {
  try {
    const r = await run(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, maxBuffer: 64 << 20, cwd: dir });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const DIM = 16;
function unit(seed: number): Float32Array {
  const r = seededRandom(seed);
  const v = new Float32Array(DIM).map(() => r() - 0.5);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

const now = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();
function deploymentRecord(over: Record<string, unknown> = {}) {
  return {
    id: 'CLI-DEP-1',
    purpose: 'find missing person M',
    legalBasis: 'test',
    authorisation: { reference: 'AUTH-9', by: 'Supt. T', at: iso(now - 86_400_000) },
    location: 'test street',
    start: iso(now - 3_600_000),
    end: iso(now + 3_600_000),
    minThreshold: 0.5,
    alertRetention: '31d',
    ...over,
  };
}

/** A deployment record file, a watchlist file enrolled for it, and an audit log with two alerts. */
async function scenario(over: Record<string, unknown> = {}, alerts = true) {
  const rec = deploymentRecord(over);
  const depFile = fresh('dep.json');
  writeFileSync(depFile, JSON.stringify(rec));
  const wl = new Watchlist({ dim: DIM, threshold: 0.8 });
  for (let i = 0; i < 4; i++) {
    await addWithProvenance(wl, { id: `m${i}`, deployment: rec.id as string, category: 'missing', reason: 'r', source: 's', addedBy: 'PC 1', expiresAt: iso(now + 86_400_000) }, unit(i + 1));
  }
  const wlFile = fresh('wl.lfw');
  await wl.save(wlFile);
  const log = fresh('audit.jsonl');
  const d = createDeployment(rec as never, { audit: log });
  let ids: string[] = [];
  if (alerts) {
    d.bindWatchlist(wl, { file: wlFile });
    const results = await wl.match(new Float32Array([...unit(1), ...unit(2)]), { k: 1 });
    ids = d.recordMatches(results, { threshold: 0.8, crops: [Buffer.from('jpeg-1'), Buffer.from('jpeg-2')] }).map((a) => a!.id);
    d.facesScanned('cam', 1000);
  }
  await d.close();
  return { depFile, wlFile, log, alerts: ids };
}

describe('livefr audit', () => {
  it('verify: exit 0 on an intact log, 1 naming the first bad record on a tampered one, 2 on usage errors', async () => {
    const { log } = await scenario();
    const ok = await livefr(['audit', 'verify', log]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^ok .* records intact, unsigned/);
    const lines = readFileSync(log, 'utf8').split('\n');
    lines[3] = lines[3]!.replace('"score":', '"score": ');
    const bad = fresh('tampered.jsonl');
    writeFileSync(bad, lines.join('\n'));
    cpSync(`${log}.head`, `${bad}.head`);
    const r = await livefr(['audit', 'verify', bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL .*first bad record 3 \(line 4\)/);
    const j = await livefr(['audit', 'verify', bad, '--json']);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, problem: { seq: 3, line: 4 } });
    expect((await livefr(['audit', 'verify'])).code).toBe(2);
    expect((await livefr(['audit', 'verify', log, '--bogus'])).code).toBe(2);
  });

  it('keygen + a signed log: verifies under its key, fails under another', async () => {
    const k1 = fresh('k1');
    const k2 = fresh('k2');
    expect((await livefr(['audit', 'keygen', k1])).code).toBe(0);
    expect((await livefr(['audit', 'keygen', k2])).code).toBe(0);
    expect((await livefr(['audit', 'keygen', k1])).code).toBe(2); // no silent overwrite
    const rec = deploymentRecord({ id: 'SIGNED-1' });
    const log = fresh('signed.jsonl');
    (await createDeployment(rec as never, { audit: log, signingKey: `${k1}.key` }).close());
    expect((await livefr(['audit', 'verify', log, '--key', `${k1}.pub`])).code).toBe(0);
    const other = await livefr(['audit', 'verify', log, '--key', `${k2}.pub`]);
    expect(other.code).toBe(1);
    expect(other.stdout).toMatch(/signed with key/);
    expect((await livefr(['audit', 'verify', log])).stdout).toMatch(/NOT checked/);
  });
});

describe('livefr review', () => {
  it('lists pending alerts; the same reviewer twice is refused; two distinct reviewers confirm; a rejection deletes the crop', async () => {
    const { log, alerts } = await scenario();
    const list = await livefr(['review', log]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/2 alerts await review/);
    const [a, b] = alerts as [string, string];
    expect((await livefr(['review', log, a, '--reviewer', 'Officer One', '--decision', 'confirm'])).stdout).toMatch(/1 of the 2 reviews/);
    const twice = await livefr(['review', log, a, '--reviewer', 'officer one', '--decision', 'confirm']);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/counts once/);
    expect((await livefr(['review', log, a, '--reviewer', 'Officer Two', '--decision', 'confirm'])).stdout).toMatch(/is confirmed/);
    const cropB = verifyAuditLog(log).records.find((r) => r.type === 'alert' && r.alert === b)!.crop as string;
    expect(existsSync(path.join(path.dirname(log), cropB))).toBe(true);
    expect((await livefr(['review', log, b, '--reviewer', 'Officer One', '--decision', 'reject', '--note', 'not him'])).stdout).toMatch(/rejected \(its crop was deleted\)/);
    expect(existsSync(path.join(path.dirname(log), cropB))).toBe(false);
    expect((await livefr(['review', log, b, '--reviewer', 'Officer Three', '--decision', 'confirm'])).code).toBe(1);
    expect((await livefr(['review', log, 'a0000000000000000', '--reviewer', 'X', '--decision', 'confirm'])).code).toBe(2);
    expect((await livefr(['review', log, a, '--reviewer', 'X', '--decision', 'perhaps'])).code).toBe(2);
    expect(verifyAuditLog(log).ok).toBe(true);
  });

  it('refuses to record anything in a damaged log', async () => {
    const { log, alerts } = await scenario();
    const text = readFileSync(log, 'utf8').replace('"m0"', '"m9"');
    writeFileSync(log, text);
    const r = await livefr(['review', log, alerts[0]!, '--reviewer', 'A', '--decision', 'confirm']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/damaged/);
  });
});

describe('livefr report', () => {
  it('prints the figures with intervals and writes one public HTML page with no scripts and nothing fetched', async () => {
    const { log, alerts } = await scenario();
    await livefr(['review', log, alerts[1]!, '--reviewer', 'A', '--decision', 'reject']);
    const html = fresh('report.html');
    const r = await livefr(['report', log, '--html', html]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/faces scanned\s+1,000/);
    expect(r.stdout).toMatch(/alerts\s+2: 0 confirmed, 1 rejected \(false\), 1 unreviewed/);
    expect(r.stdout).toMatch(/false-alert rate\s+0\.1% \(95% CI 0\.00253\d*% to 0\.555\d*%\)/);
    const page = readFileSync(html, 'utf8');
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(page).not.toMatch(/https?:\/\//);
    expect(page).toMatch(/Content-Security-Policy" content="default-src 'none'/);
    expect(page).toContain('CLI-DEP-1');
    const json = JSON.parse((await livefr(['report', log, '--json'])).stdout);
    expect(json.total).toMatchObject({ deployments: 1, facesScanned: 1000, alerts: 2, rejected: 1, unreviewed: 1 });
    expect(json.deployments[0].watchlist).toEqual({ people: 4, byCategory: { missing: 4 } });
  });

  it('escapes what the records hold (no markup injection through a deployment record)', async () => {
    const { log } = await scenario({ id: 'XSS-1', purpose: '<script>alert(1)</script>', location: '"><img src=x onerror=alert(1)>' });
    const html = fresh('x.html');
    expect((await livefr(['report', log, '--html', html])).code).toBe(0);
    const page = readFileSync(html, 'utf8');
    expect(page).not.toMatch(/<script|<img/i);
    expect(page).toContain('&lt;script&gt;');
  });
});

describe('livefr deployment and the --deployment flag of match (no models needed: refused before any model loads)', () => {
  it('match refuses outside the window, below the minimum threshold, or with a watchlist of another deployment', async () => {
    const { wlFile, log } = await scenario();
    const img = fresh('none.jpg');
    const ended = fresh('ended.json');
    writeFileSync(ended, JSON.stringify(deploymentRecord({ id: 'CLI-DEP-1', start: iso(now - 7_200_000), end: iso(now - 3_600_000) })));
    // Same id, other window: a deployment's record cannot change.
    const changed = await livefr(['match', wlFile, img, '--deployment', ended, '--audit', log]);
    expect(changed.code).toBe(1);
    expect(changed.stderr).toMatch(/cannot change/);
    const past = await scenario({ id: 'PAST-1', start: iso(now - 7_200_000), end: iso(now - 3_600_000) }, false);
    const r = await livefr(['match', past.wlFile, img, '--deployment', past.depFile, '--audit', past.log]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ended/);
    const low = await livefr(['match', wlFile, img, '--deployment', (await scenario({ id: 'LOW-1' })).depFile, '--audit', fresh('l.jsonl')]);
    expect(low.code).toBe(1);
    expect(low.stderr).toMatch(/enrolled for deployment CLI-DEP-1, not LOW-1/);
    const s = await scenario({ id: 'MIN-1', minThreshold: 0.85 }, false);
    const below = await livefr(['match', s.wlFile, img, '--deployment', s.depFile, '--audit', s.log]);
    expect(below.code).toBe(2);
    expect(below.stderr).toMatch(/watchlist threshold >= the deployment's minimum 0\.85/);
    expect((await livefr(['match', wlFile, img, '--deployment', s.depFile])).stderr).toMatch(/--audit/);
  });

  it('status, urgent authorise, refuse, end (watchlist file and unconfirmed crops deleted)', async () => {
    const s = await scenario({ id: 'URG-CLI', authorisation: { urgent: true, requestedAt: iso(now - 600_000) } });
    const st = await livefr(['deployment', 'status', s.depFile, '--audit', s.log]);
    expect(st.code).toBe(0);
    expect(st.stdout).toMatch(/active; authorisation pending \(must be recorded by/);
    expect((await livefr(['deployment', 'authorise', s.depFile, '--audit', s.log, '--reference', 'JUDGE-1', '--by', 'Judge J'])).stdout).toMatch(/authorised/);
    expect((await livefr(['deployment', 'status', s.depFile, '--audit', s.log])).stdout).toMatch(/authorisation granted/);
    const crops = verifyAuditLog(s.log).records.filter((r) => r.type === 'alert').map((r) => path.join(path.dirname(s.log), r.crop as string));
    expect(crops.every(existsSync)).toBe(true);
    const end = await livefr(['deployment', 'end', s.depFile, '--audit', s.log, '--watchlist', s.wlFile]);
    expect(end.code).toBe(0);
    expect(end.stdout).toMatch(/2 unconfirmed alert crops and 1 watchlist files deleted/);
    expect(existsSync(s.wlFile)).toBe(false);
    expect(crops.some(existsSync)).toBe(false);

    const r = await scenario({ id: 'URG-REFUSED', authorisation: { urgent: true, requestedAt: iso(now - 600_000) } });
    const refused = await livefr(['deployment', 'refuse', r.depFile, '--audit', r.log, '--by', 'Judge K', '--reason', 'disproportionate']);
    expect(refused.stdout).toMatch(/stopped .* 2 alert crops deleted/);
    expect((await livefr(['deployment', 'status', r.depFile, '--audit', r.log])).stdout).toMatch(/stopped/);
  });
});

describe.skipIf(!hasSharedData)('livefr enroll + match with --deployment on real faces (default models)', () => {
  it('enrols with quality gating and provenance, raises alerts recorded with crops, counts faces, reviews them', async () => {
    const people = fresh('people');
    for (const name of readdirSync(sharedData('cast')).sort()) {
      mkdirSync(path.join(people, name), { recursive: true });
      cpSync(sharedData('cast', name, `${name}1.png`), path.join(people, name, `${name}1.png`));
    }
    // A blurred copy is refused, and says why.
    const sharp = (await import('sharp')).default;
    await sharp(sharedData('cast', 'howard', 'howard2.png')).blur(3).toFile(path.join(people, 'howard', 'howard2-blurred.png'));
    // The deployment's minimum sits just below the default embedder's own operating point (thresholds are on each model's scale).
    const { DEFAULTS, findSpec } = await import('../dist/models/catalog.js');
    const spec = findSpec(DEFAULTS.embedder);
    const op = spec?.live?.threshold ?? spec?.threshold ?? 0.65;
    const rec = deploymentRecord({ id: 'CAST-1', minThreshold: Math.round((op - 0.05) * 100) / 100 });
    const dep = fresh('cast-dep.json');
    writeFileSync(dep, JSON.stringify(rec));
    const log = fresh('cast-audit.jsonl');
    const wl = fresh('cast.lfw');
    const e = await livefr(['enroll', wl, people, '--deployment', dep, '--audit', log, '--category', 'wanted', '--reason', 'test warrant', '--source', 'cast fixtures', '--added-by', 'PC 7', '--quiet']);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stderr).toMatch(/howard2-blurred\.png: refused \(blurred\): the face is too blurred/);
    expect(e.stdout).toMatch(/Enrolled 8 people \(8 templates\)/);
    const m = await livefr(['match', wl, sharedData('scenes', 'bbt1.jpg'), '--deployment', dep, '--audit', log, '--quiet', '--json']);
    expect(m.code, m.stderr).toBe(0);
    // match --json reports alerts and a face count only (issue 8 item 12).
    const line = JSON.parse(m.stdout.trim()) as { faces: number; alerts: Array<{ alertId?: string }> };
    const alerted = line.alerts;
    expect(alerted.length).toBeGreaterThan(0);
    expect(line.faces).toBeGreaterThan(alerted.length);
    expect(alerted.every((f) => /^a[0-9a-f]{16}$/.test(f.alertId!))).toBe(true);
    const v = verifyAuditLog(log);
    expect(v.ok).toBe(true);
    const alertRecs = v.records.filter((r) => r.type === 'alert');
    expect(alertRecs).toHaveLength(alerted.length);
    expect(alertRecs[0]).toMatchObject({ deployment: 'CAST-1', stream: 'still' });
    expect((alertRecs[0]!.models as { embedder: string }).embedder).toMatch(/^[0-9a-f]{64}$/);
    // One crop per alert, and only for alerts.
    expect(readdirSync(path.join(path.dirname(log), `${path.basename(log)}.crops`, 'CAST-1'))).toHaveLength(alerted.length);
    expect(v.records.filter((r) => r.type === 'faces.scanned').reduce((s, r) => s + (r.count as number), 0)).toBe(line.faces);
    const adds = v.records.filter((r) => r.type === 'watchlist.add');
    expect(adds.find((r) => r.id === 'howard')).toMatchObject({ templates: 1, refused: 1, refusedBy: { blurred: 1 } });
  });
});

describe('livefr erase and rekey; watchlist keys from the environment or a key file', () => {
  it('erase removes the person from the file and records counts only; erasing again exits 1', async () => {
    const { wlFile, log } = await scenario();
    const r = await livefr(['erase', wlFile, 'm1', '--audit', log, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ people: 1, templates: 1, crops: 1 });
    const wl = await Watchlist.load(wlFile);
    expect(wl.has('m1')).toBe(false);
    expect(wl.size).toBe(3);
    const e = verifyAuditLog(log).records.find((x) => x.type === 'erasure')!;
    expect(JSON.stringify(e)).not.toContain('m1');
    expect((await livefr(['erase', wlFile, 'm1', '--audit', log])).code).toBe(1);
  });

  it('an encrypted watchlist: LIVEFR_WATCHLIST_KEY or --key-file (refused beside the file), rotation with rekey', async () => {
    const { wlFile } = await scenario();
    const keyA = Buffer.alloc(32, 7).toString('hex');
    const keysDir = fresh('keys');
    mkdirSync(keysDir);
    const keyFileB = path.join(keysDir, 'b.key');
    writeFileSync(keyFileB, Buffer.alloc(32, 9).toString('base64') + '\n');
    const keyFileA = path.join(keysDir, 'a.key');
    writeFileSync(keyFileA, keyA);
    // Encrypt it (rekey from plain) with the key from a file.
    expect((await livefr(['rekey', wlFile, '--new-key-file', keyFileA])).stdout).toMatch(/unencrypted -> key [0-9a-f]{16}/);
    expect(readFileSync(wlFile).readUInt32LE(8)).toBe(2);
    // A watchlist command without the key: a KeyError, exit 1.
    const nokey = await livefr(['erase', wlFile, 'm2']);
    expect(nokey.code).toBe(1);
    expect(nokey.stderr).toMatch(/is encrypted/);
    // With the key in the environment.
    expect((await livefr(['erase', wlFile, 'm2'], { LIVEFR_WATCHLIST_KEY: keyA })).code).toBe(0);
    // Rotation: A -> B; A no longer opens it.
    expect((await livefr(['rekey', wlFile, '--key-file', keyFileA, '--new-key-file', keyFileB])).code).toBe(0);
    expect((await livefr(['erase', wlFile, 'm3', '--key-file', keyFileA])).stderr).toMatch(/not under the given key/);
    expect((await livefr(['erase', wlFile, 'm3', '--key-file', keyFileB])).code).toBe(0);
    // A key stored beside the watchlist is refused.
    const beside = path.join(path.dirname(wlFile), 'beside.key');
    writeFileSync(beside, Buffer.alloc(32, 9).toString('base64'));
    const r = await livefr(['erase', wlFile, 'm0', '--key-file', beside]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/same folder/);
    expect((await Watchlist.load(wlFile, { key: Buffer.alloc(32, 9) })).ids()).toEqual(['m0', 'm1']);
  });
});

if (!hasSharedData) console.warn(`[47.cli-governance] real-face case: ${SKIP_SHARED}`);
