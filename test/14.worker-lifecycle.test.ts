/**
 * Inference workers and the life of the user's process (issue 7 item 3,
 * issue 8 item 1). Each case runs in a child process, because the faults
 * it guards against kill the process: close() with detect()/embed() in
 * flight, process.exit() during a run, an uncaught exception or unhandled
 * rejection, exit while the models load; and a script that never calls
 * close() must still exit by itself. Before the gate in
 * lib/inference/gate.ts, 100% of the close/exit trials here aborted with
 * exit 134 (`terminate called after throwing an instance of 'Napi::Error'`).
 * Delays are drawn from a seeded generator, so every run tries the same
 * moments; `npm run fuzz` tries many more.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Detector, Embedder, StateError, Watchlist } from '../dist/index.js';
import { seededRandom } from '../dist/util/random.js';

const child = fileURLToPath(new URL('./helpers/lifecycle-child.mjs', import.meta.url));

function runChild(mode: string, delay: number): Promise<{ status: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [child, mode, String(Math.round(delay))], { encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number | string; signal?: string | null }) | null;
      resolve({ status: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stdout, stderr });
    });
  });
}

/** Seeded delays over the window where the runs are in flight. */
function delays(seed: number, n: number, max: number): number[] {
  const rnd = seededRandom(seed);
  return Array.from({ length: n }, () => rnd() * max);
}

const describeEnding = (mode: string, expected: number, seed: number, max = 40) =>
  it(`${mode}: exits with code ${expected}, never a signal or abort (4 seeded moments)`, async () => {
    for (const d of delays(seed, 4, max)) {
      const r = await runChild(mode, d);
      const where = `${mode} after ${d.toFixed(1)} ms: status ${r.status} signal ${r.signal}\n${r.stderr.slice(-800)}`;
      expect(r.signal, where).toBeNull();
      expect(r.stderr, where).not.toMatch(/terminate called|Napi::Error|Aborted/);
      expect(r.status, where).toBe(expected);
    }
  });

describe('inference workers and process lifetime (child processes)', () => {
  it('close() with 10 detect() and 10 embed() in flight: each call resolves or rejects with StateError, and the process ends by itself', async () => {
    for (const d of delays(7, 4, 40)) {
      const r = await runChild('close', d);
      const where = `close after ${d.toFixed(1)} ms: status ${r.status} signal ${r.signal}\n${r.stderr.slice(-800)}`;
      expect(r.signal, where).toBeNull();
      expect(r.status, where).toBe(0);
      const { outcomes } = JSON.parse(r.stdout) as { outcomes: string[] };
      expect(outcomes).toHaveLength(20);
      for (const o of outcomes) expect(['ok', 'StateError']).toContain(o);
    }
  });

  describeEnding('exit', 7, 11);
  describeEnding('throw', 1, 13);
  describeEnding('reject', 1, 17);
  describeEnding('load', 7, 19, 600);

  it('a script that never calls close() exits by itself once its work is done', async () => {
    const r = await runChild('idle', 0);
    expect(r.signal).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).faces).toBeGreaterThan(0);
  });
});

describe('close() and disposal in this process', () => {
  it('pending calls reject with StateError; later calls too; close() twice is fine', async () => {
    const detector = await Detector.load({});
    const frame = { data: new Uint8Array(640 * 480 * 3).fill(90), width: 640, height: 480, format: 'rgb' as const };
    const pending = Array.from({ length: 6 }, () => detector.detect(frame));
    const closing = detector.close();
    const settled = await Promise.allSettled(pending);
    await closing;
    await detector.close();
    for (const s of settled) if (s.status === 'rejected') expect(s.reason).toBeInstanceOf(StateError);
    await expect(detector.detect(frame)).rejects.toBeInstanceOf(StateError);
  });

  it('await using closes Detector and Embedder at the end of the block', async () => {
    let detector: Detector | undefined;
    let embedder: Embedder | undefined;
    {
      await using d = await Detector.load({});
      await using e = await Embedder.load({});
      detector = d;
      embedder = e;
    }
    const frame = { data: new Uint8Array(64 * 64 * 3), width: 64, height: 64, format: 'rgb' as const };
    await expect(detector!.detect(frame)).rejects.toBeInstanceOf(StateError);
    await expect(embedder!.embed(frame, [])).rejects.toBeInstanceOf(StateError);
  });

  it('await using a Watchlist lets a queued save finish, then refuses further use', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'livefr-dispose-'));
    const file = path.join(dir, 'wl.lfr');
    const v = new Float32Array(8);
    v[0] = 1;
    let watchlist: Watchlist | undefined;
    try {
      {
        await using wl = new Watchlist({ dim: 8 });
        watchlist = wl;
        void wl.add('alice', v);
        void wl.save(file); // not awaited: leaving the block must still let it finish
      }
      const saved = await Watchlist.load(file);
      expect(saved.ids()).toEqual(['alice']);
      expect(readFileSync(file).length).toBeGreaterThan(0);
      await expect(watchlist!.match(v)).rejects.toBeInstanceOf(StateError);
      await expect(watchlist!.add('bob', v)).rejects.toBeInstanceOf(StateError);
      await watchlist!.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
