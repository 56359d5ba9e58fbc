// The live pipeline under a deployment (lib/governance's governor on
// lib/pipeline's PipelineGovernor contract), on the walking-faces video of
// lfw-dev people (test/helpers/pipeline-fixture.ts): the deployment's rules
// refuse a stream before any frame; every alert is recorded (with its frame,
// a crop, the models) before it is emitted and carries an id and review();
// faces are counted, nothing else about them; a deployment that ends mid-run
// stops the pipeline; `livefr watch --deployment --audit` does the same from
// the command line. Offline (realtime: false): the same frames on any machine.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Detector, Embedder, Watchlist as WatchlistType } from '../dist/index.js';
import { StateError, Watchlist } from '../dist/index.js';
import { addWithProvenance, buildReport, createDeployment, createGovernor, verifyAuditLog } from '../dist/governance/index.js';
import { createPipeline, type Alert } from '../dist/pipeline/index.js';
import { canRun, enrolledWatchlist, loadModels, SKIP_PIPELINE, walkVideo, walkerOf, walkers, type WalkVideo } from './helpers/pipeline-fixture.js';
import { repoRoot, sharedModel } from './helpers/shared.js';

const cli = path.join(repoRoot, 'dist', 'cli', 'main.js');
const MODEL_FLAGS = ['--detector', 'yunet', '--detector-model', sharedModel('yunet.onnx'), '--embedder-model', sharedModel('mobilefacenet-128.onnx'), '--embedder-mean', '127.5', '--embedder-std', '128'];
const H = 3_600_000;

describe.skipIf(!canRun)('the pipeline under a deployment', () => {
  let dir: string;
  let detector: Detector;
  let embedder: Embedder;
  let calibrated: WatchlistType;
  let video: WalkVideo;
  const list = canRun ? walkers(6) : [];
  let t0: number;

  const record = (id: string, over: Record<string, unknown> = {}) => ({
    id,
    purpose: 'locate the enrolled walkers',
    legalBasis: 'test',
    authorisation: { reference: 'AUTH-P', by: 'Supt. P', at: new Date(t0 - 24 * H).toISOString() },
    location: 'the test scene',
    start: new Date(t0 - H).toISOString(),
    end: new Date(t0 + H).toISOString(),
    minThreshold: Math.floor(calibrated.threshold * 100) / 100,
    alertRetention: '24h',
    ...over,
  });

  /** The calibrated watchlist's people again, each with provenance for `deployment`. */
  async function bespoke(deployment: string): Promise<WatchlistType> {
    const wl = new Watchlist({ dim: calibrated.dim, threshold: calibrated.threshold });
    for (const id of calibrated.ids()) {
      await addWithProvenance(wl, { id, deployment, category: 'missing', reason: 'test', source: 'lfw-dev', addedBy: 'PC 9', expiresAt: new Date(t0 + 48 * H).toISOString() }, (await calibrated.templates(id))!);
    }
    return wl;
  }

  beforeAll(async () => {
    t0 = Date.now();
    dir = mkdtempSync(path.join(os.tmpdir(), 'livefr-gov-pipe-'));
    video = await walkVideo(list);
    ({ detector, embedder } = await loadModels());
    calibrated = await enrolledWatchlist(detector, embedder, list);
  });
  afterAll(async () => {
    await detector?.close();
    await embedder?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses before any frame: outside the window, below the minimum threshold, an unbound watchlist', async () => {
    const later = createDeployment(record('PIPE-LATER', { start: new Date(t0 + H).toISOString(), end: new Date(t0 + 2 * H).toISOString() }) as never, { audit: path.join(dir, 'refuse.jsonl') });
    const wl = await bespoke('PIPE-LATER');
    later.bindWatchlist(wl);
    await expect(createPipeline({ detector, embedder, watchlist: wl, realtime: false, governor: createGovernor(later) })).rejects.toThrow(/has not started/);
    await later.close();

    const d = createDeployment(record('PIPE-RULES') as never, { audit: path.join(dir, 'refuse.jsonl') });
    const own = await bespoke('PIPE-RULES');
    d.bindWatchlist(own);
    await expect(createPipeline({ detector, embedder, watchlist: own, threshold: d.spec.minThreshold - 0.05, force: true, realtime: false, governor: createGovernor(d) })).rejects.toMatchObject({ name: 'RangeError', parameter: 'threshold' });
    const unbound = await bespoke('PIPE-RULES');
    await expect(createPipeline({ detector, embedder, watchlist: unbound, realtime: false, governor: createGovernor(d) })).rejects.toThrow(StateError);
    await d.close();
  });

  it('records every alert (frame, crop, models) before it is emitted; alerts carry id and review(); faces are counted', async () => {
    const log = path.join(dir, 'run.jsonl');
    const d = createDeployment(record('PIPE-RUN') as never, { audit: log, models: { detector: 'a'.repeat(64), embedder: 'b'.repeat(64) } });
    const wl = await bespoke('PIPE-RUN');
    d.bindWatchlist(wl);
    const pipeline = await createPipeline({ detector, embedder, watchlist: wl, realtime: false, governor: createGovernor(d) });
    const alerts: (Alert & { id: string; deploymentId: string; review: (r: unknown) => { outcome: string } })[] = [];
    pipeline.on('alert', (a) => alerts.push(a as never));
    pipeline.addStream('cam', video.file);
    await pipeline.ended();
    const status = pipeline.status('cam') as unknown as { faces: number };
    await pipeline.close();
    expect(alerts.length).toBeGreaterThan(0);
    for (const a of alerts) {
      expect(a.deploymentId).toBe('PIPE-RUN');
      expect(a.id).toMatch(/^a[0-9a-f]{16}$/);
      expect(walkerOf(a, video)?.id).toBe(a.watchlistId);
    }
    const recs = verifyAuditLog(log).records;
    const alertRecs = recs.filter((r) => r.type === 'alert');
    expect(alertRecs.map((r) => r.alert)).toEqual(alerts.map((a) => a.id));
    for (const [i, r] of alertRecs.entries()) {
      expect(r).toMatchObject({ deployment: 'PIPE-RUN', stream: 'cam', frame: alerts[i]!.frame, watchlistId: alerts[i]!.watchlistId, models: { detector: 'a'.repeat(64), embedder: 'b'.repeat(64) } });
      expect(Math.abs((r.streamTime as number) - alerts[i]!.time)).toBeLessThan(0.001);
      expect(existsSync(path.join(dir, r.crop as string))).toBe(true);
    }
    expect(readdirSync(path.join(dir, 'run.jsonl.crops', 'PIPE-RUN'))).toHaveLength(alerts.length);
    // The counters reach the log (flushed on close), and nothing else about the faces.
    const scanned = recs.filter((r) => r.type === 'faces.scanned').reduce((s, r) => s + (r.count as number), 0);
    expect(scanned).toBe(status.faces);
    // Two people confirm the first alert through the emitted object.
    expect(alerts[0]!.review({ reviewer: 'Officer A', decision: 'confirm' }).outcome).toBe('pending');
    expect(alerts[0]!.review({ reviewer: 'Officer B', decision: 'confirm' }).outcome).toBe('confirmed');
    await d.close();
    const rep = buildReport(verifyAuditLog(log).records);
    expect(rep.deployments[0]).toMatchObject({ facesScanned: status.faces, alerts: alerts.length, confirmed: 1 });
  });

  it('a deployment that ends mid-run stops the pipeline at its next alert', async () => {
    let now = t0;
    const d = createDeployment(record('PIPE-END') as never, { audit: path.join(dir, 'end.jsonl'), now: () => new Date(now) });
    const wl = await bespoke('PIPE-END');
    d.bindWatchlist(wl);
    const pipeline = await createPipeline({ detector, embedder, watchlist: wl, realtime: false, governor: createGovernor(d) });
    const alerts: Alert[] = [];
    const errors: Error[] = [];
    pipeline.on('alert', (a) => {
      alerts.push(a);
      now = t0 + 2 * H; // the window closes after the first alert
    });
    pipeline.on('error', (e: Error) => errors.push(e));
    const stopped = new Promise<void>((r) => pipeline.on('error', () => r()));
    pipeline.addStream('cam', video.file);
    await Promise.race([pipeline.ended(), stopped]);
    await pipeline.close();
    expect(alerts).toHaveLength(1);
    expect(errors.some((e) => e instanceof StateError && /ended/.test(e.message))).toBe(true);
    expect(d.record.ended?.reason).toBe('window-ended');
    await d.close(); // waits for the purge
    expect(wl.size).toBe(0); // its bespoke watchlist was purged
  });

  it('livefr watch --deployment --audit: alerts with ids in NDJSON, recorded and verifiable; a closed window refuses to start', async () => {
    const wlFile = path.join(dir, 'watch.lfw');
    await (await bespoke('PIPE-CLI')).save(wlFile);
    const dep = path.join(dir, 'watch-dep.json');
    writeFileSync(dep, JSON.stringify(record('PIPE-CLI')));
    const log = path.join(dir, 'watch.jsonl');
    const r = await run(['watch', wlFile, '--source', `cam=${video.file}`, '--json', '--no-realtime', '--deployment', dep, '--audit', log, ...MODEL_FLAGS]);
    expect(r.code, r.stderr).toBe(0);
    const alerts = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((o) => o.type === 'alert');
    expect(alerts.length).toBeGreaterThan(0);
    expect(alerts.every((a) => /^a[0-9a-f]{16}$/.test(a.alertId))).toBe(true);
    const v = verifyAuditLog(log);
    expect(v.ok).toBe(true);
    expect(v.records.filter((x) => x.type === 'alert').map((x) => x.alert)).toEqual(alerts.map((a) => a.alertId));
    const past = path.join(dir, 'past-dep.json');
    writeFileSync(past, JSON.stringify(record('PIPE-PAST', { start: new Date(t0 - 3 * H).toISOString(), end: new Date(t0 - 2 * H).toISOString() })));
    const refused = await run(['watch', wlFile, '--source', video.file, '--deployment', past, '--audit', path.join(dir, 'past.jsonl'), ...MODEL_FLAGS]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/ended|enrolled for deployment PIPE-CLI/);
  });
});

if (!canRun) console.warn(`[46.governed-pipeline] ${SKIP_PIPELINE}`);

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
