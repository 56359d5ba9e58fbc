/**
 * The walking-faces video through a real RTSP server (GStreamer's, started
 * here), live: the server is killed mid-stream and restarted; the stream
 * reconnects, the gap is reported, alerts resume.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Detector, Embedder } from '../dist/index.js';
import { createPipeline, type Alert, type StreamError } from '../dist/pipeline/index.js';
import { canRun, enrolledWatchlist, loadModels, SKIP_PIPELINE, walkVideo, walkers } from './helpers/pipeline-fixture.js';
import { freePort, hasRtspServer, RtspServer } from './helpers/rtsp.js';

const run = canRun && hasRtspServer;

function waitFor<T>(what: string, ms: number, check: () => T | undefined | null | false): Promise<T> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = () => {
      const v = check();
      if (v) return resolve(v);
      if (Date.now() - t0 > ms) return reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
      setTimeout(tick, 50);
    };
    tick();
  });
}

describe.skipIf(!run)('pipeline on a real RTSP stream', () => {
  let detector: Detector | undefined;
  let embedder: Embedder | undefined;
  let server: RtspServer | undefined;
  afterAll(async () => {
    await server?.kill();
    await detector?.close();
    await embedder?.close();
  });

  it('reconnects after the server is killed and restarted, reports the gap, and alerts again', async () => {
    const list = walkers(6);
    const video = await walkVideo(list);
    ({ detector, embedder } = await loadModels());
    const watchlist = await enrolledWatchlist(detector, embedder, list);
    const enrolled = new Set(list.filter((p) => p.enrolled).map((p) => p.id));
    server = new RtspServer(await freePort(), video.file);
    await server.start();

    const pipeline = await createPipeline({ detector, embedder, watchlist });
    const alerts: (Alert & { at: number })[] = [];
    const errors: StreamError[] = [];
    const gaps: { streamId: string; seconds: number; from: number; to: number; at: number }[] = [];
    pipeline.on('alert', (a: Alert) => alerts.push({ ...a, at: Date.now() }));
    pipeline.on('error', (e: StreamError) => errors.push(e));
    pipeline.on('gap', (g) => gaps.push({ ...g, at: Date.now() }));
    pipeline.addStream('door', server.url, { backoffMs: 200, maxBackoffMs: 1000, stallTimeoutMs: 4000 });

    // Before the kill: frames flow and the first enrolled walker (on screen from frame 0) is alerted.
    await waitFor('an alert before the kill', 180_000, () => alerts.length > 0);
    const framesBefore = pipeline.status('door').frames;
    expect(framesBefore).toBeGreaterThan(0);
    await server.kill();
    const killedAt = Date.now();
    await waitFor('the disconnect error', 20_000, () => errors.length > 0);
    await new Promise((r) => setTimeout(r, 1500));
    await server.start();
    const gap = await waitFor('the gap report', 30_000, () => gaps[0]);
    const alertsBefore = alerts.filter((a) => a.at < killedAt).length;
    await waitFor('an alert after the reconnect', 180_000, () => alerts.find((a) => a.at > gap.at));
    const st = pipeline.status('door');
    await pipeline.close();

    expect(errors.every((e) => e.streamId === 'door')).toBe(true);
    // The kill is seen as the stream ending (ffmpeg reads EOF) or, when ffmpeg is slow to notice, as a stall.
    expect(errors.map((e) => e.code).some((c) => c === 'ERR_LIVEFR_STREAM_ENDED' || c === 'ERR_LIVEFR_STREAM_STALLED')).toBe(true);
    expect(gap.streamId).toBe('door');
    // The server was down at least 1.5 s; the gap covers it (stream time, seconds).
    expect(gap.seconds).toBeGreaterThanOrEqual(1.4);
    expect(st.reconnects).toBeGreaterThanOrEqual(1);
    expect(st.gaps).toBeGreaterThanOrEqual(1);
    expect(st.frames).toBeGreaterThan(framesBefore);
    const after = alerts.filter((a) => a.at > gap.at);
    // Alerts resume on new tracks, for enrolled people only, one per track and identity.
    for (const a of alerts) expect(enrolled.has(a.watchlistId)).toBe(true);
    expect(alertsBefore).toBeGreaterThan(0);
    expect(after.length).toBeGreaterThan(0);
    const keys = alerts.map((a) => `${a.trackId}:${a.watchlistId}`);
    expect(new Set(keys).size).toBe(keys.length);
    console.log(`[53] ${alertsBefore} alert(s) before the kill, ${after.length} after; gap ${gap.seconds.toFixed(2)} s, ${st.reconnects} reconnect(s); frames ${st.frames}, processed ${st.processed}, dropped ${st.dropped}`);
  });
});

describe.skipIf(run)('pipeline on a real RTSP stream', () => {
  it.skip(canRun ? 'needs python3-gi and gir1.2-gst-rtsp-server-1.0 (node scripts/setup.mjs installs them as root); absent, so skipped' : SKIP_PIPELINE, () => {});
});
