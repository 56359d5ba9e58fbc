/**
 * livefr enroll + livefr match as a user runs them (child processes), on
 * real LFW faces with the fixture models.
 * Protocol: the first 12 people (alphabetical) of lfw-dev with at least 4
 * images; enrol their first 2 images (--max-per-person 2), probe with their
 * 4th image, and with one image each of 6 people who are not enrolled.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasShared, repoRoot, sharedData, sharedModel } from './helpers/shared.js';

const run = promisify(execFile);
const cli = path.join(repoRoot, 'dist', 'cli', 'main.js');

async function livefr(args: string[], env: Record<string, string> = {}) {
  try {
    const r = await run(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('livefr CLI without models', () => {
  it('rejects unknown flags and missing arguments with exit code 2', async () => {
    expect((await livefr(['enroll', '--bogus'])).code).toBe(2);
    expect((await livefr(['match', 'only-one-arg.lfr'])).code).toBe(2);
    expect((await livefr(['nosuchcommand'])).code).toBe(2);
  });
  it('match on a missing watchlist file fails with a message naming it', async () => {
    const r = await livefr(['match', '/nonexistent/list.lfr', 'x.jpg']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/nonexistent\/list\.lfr/);
  });
});

describe.skipIf(!hasShared)('livefr enroll + match on LFW (fixture models)', () => {
  let dir: string;
  const env = {
    LIVEFR_DETECTOR: 'yunet',
    LIVEFR_DETECTOR_MODEL: sharedModel('yunet.onnx'),
    LIVEFR_EMBEDDER_MODEL: sharedModel('mobilefacenet-128.onnx'),
    LIVEFR_EMBEDDER_MEAN: '127',
    LIVEFR_EMBEDDER_STD: '128',
  };
  const probes: Array<{ file: string; id: string | null }> = [];

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'livefr-cli-'));
    const images = sharedData('lfw-dev', 'images');
    const people = readdirSync(images).sort();
    const enrolled: string[] = [];
    const strangers: string[] = [];
    for (const p of people) {
      const files = readdirSync(path.join(images, p)).sort();
      if (files.length >= 4 && enrolled.length < 12) {
        enrolled.push(p);
        mkdirSync(path.join(dir, 'people', p), { recursive: true });
        for (const f of files) symlinkSync(path.join(images, p, f), path.join(dir, 'people', p, f));
        probes.push({ file: path.join(images, p, files[3]!), id: p });
      } else if (files.length === 1 && strangers.length < 6) {
        strangers.push(p);
        probes.push({ file: path.join(images, p, files[0]!), id: null });
      }
      if (enrolled.length >= 12 && strangers.length >= 6) break;
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('enrols, then matches with --all-faces (evaluation): enrolled people come first, JSON lines only on stdout', async () => {
    const list = path.join(dir, 'watch.lfr');
    const e = await livefr(['enroll', list, path.join(dir, 'people'), '--max-per-person', '2', '--json', '--quiet'], env);
    expect(e.code, e.stderr).toBe(0);
    const summary = JSON.parse(e.stdout.trim());
    expect(summary).toMatchObject({ people: 12, templates: 24, size: 12 });
    // A file model has no measured operating point: the threshold stays the uncalibrated default.
    expect(summary.calibration).toBeNull();

    const m = await livefr(['match', list, ...probes.map((p) => p.file), '--all-faces', '--k', '3', '--quiet'], env);
    expect(m.code, m.stderr).toBe(0);
    const lines = m.stdout.trim().split('\n');
    expect(lines).toHaveLength(probes.length);
    let correct = 0;
    const mated: number[] = [];
    const nonMated: number[] = [];
    lines.forEach((line, i) => {
      const rec = JSON.parse(line);
      expect(rec.file).toBe(probes[i]!.file);
      expect(rec).toMatchObject({ width: 250, height: 250 });
      expect(rec.faces.length).toBeGreaterThanOrEqual(1);
      for (const f of rec.faces) {
        expect(Object.keys(f.box).sort()).toEqual(['height', 'width', 'x', 'y']);
        expect(f.landmarks).toHaveLength(5);
        expect(f.candidates.length).toBeLessThanOrEqual(3);
        expect(typeof f.alert).toBe('boolean');
      }
      // the central face is the probe's subject
      const face = rec.faces.reduce((a: any, b: any) => (b.box.width * b.box.height > a.box.width * a.box.height ? b : a));
      const top = face.candidates[0];
      if (probes[i]!.id) {
        mated.push(top.id === probes[i]!.id ? top.score : -1);
        if (top.id === probes[i]!.id) correct++;
      } else nonMated.push(top.score);
    });
    // 12 mated probes: at least 11 rank-1 correct (measured: 12/12).
    expect(correct).toBeGreaterThanOrEqual(11);
    // Mated scores are well above the best non-mated score on average.
    const meanMated = mated.filter((s) => s >= 0).reduce((a, b) => a + b, 0) / correct;
    expect(meanMated).toBeGreaterThan(Math.max(...nonMated));
  });

  it('match --json (operational) prints alerts and counts only: no candidate of a face that matched nobody', async () => {
    const list = path.join(dir, 'watch.lfr');
    const m = await livefr(['match', list, ...probes.map((p) => p.file), '--json', '--quiet'], env);
    expect(m.code, m.stderr).toBe(0);
    const recs = m.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(recs).toHaveLength(probes.length);
    let alerted = 0;
    recs.forEach((rec, i) => {
      expect(Object.keys(rec).sort()).toEqual(['alerts', 'faces', 'file', 'height', 'width']);
      expect(typeof rec.faces).toBe('number');
      expect(rec.alerts.length).toBeLessThanOrEqual(rec.faces);
      for (const a of rec.alerts) {
        expect(Object.keys(a).sort()).toEqual(['box', 'detectionScore', 'id', 'score']);
        expect(a.score).toBeGreaterThanOrEqual(0.5); // the watchlist's threshold
      }
      if (probes[i]!.id && rec.alerts.some((a: { id: string }) => a.id === probes[i]!.id)) alerted++;
    });
    expect(alerted).toBeGreaterThanOrEqual(10);
    expect(m.stdout).not.toMatch(/candidates|landmarks/);
    // The text output says the same in words, with singulars where they belong.
    const t = await livefr(['match', list, probes[0]!.file, '--quiet'], env);
    expect(t.stdout).toMatch(/^1 image, \d+ alerts? at threshold/m);
    expect(t.stdout).not.toMatch(/\b1 (images|alerts|faces)\b/);
  });

  it('a corrupt image is reported on stderr, the other images are still matched, exit code 1', async () => {
    const list = path.join(dir, 'watch.lfr');
    const bad = path.join(dir, 'corrupt.jpg');
    writeFileSync(bad, Buffer.from('not a jpeg at all, just bytes'));
    const m = await livefr(['match', list, bad, probes[0]!.file, '--json', '--quiet'], env);
    expect(m.code).toBe(1);
    expect(m.stderr).toMatch(/corrupt\.jpg/);
    const lines = m.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!).file).toBe(probes[0]!.file);
  });
});

describe.skipIf(!hasShared)('livefr enroll with the default models records their operating point (issue 8 item 11)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'livefr-cal-'));
    const images = sharedData('lfw-dev', 'images');
    const people = readdirSync(images).sort().filter((p) => readdirSync(path.join(images, p)).length >= 2).slice(0, 3);
    for (const p of people) {
      mkdirSync(path.join(dir, 'people', p), { recursive: true });
      const f = readdirSync(path.join(images, p)).sort()[0]!;
      symlinkSync(path.join(images, p, f), path.join(dir, 'people', p, f));
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('as the calibration, its source named, so match --threshold below it needs --force', async () => {
    const { CATALOG, DEFAULTS } = await import('../dist/models/catalog.js');
    const spec = CATALOG.find((m) => m.name === DEFAULTS.embedder)!;
    // The live-like operating point when measured, else LFW's (what Embedder.suggestedThreshold gives).
    const t = spec.live?.threshold ?? spec.threshold!;
    const source = spec.live ? `at FPIR ${spec.live.fpir} \\(TPIR ${spec.live.tpir}\\) on livefr's live-like protocol` : 'at FMR 1e-3 per comparison on LFW';
    const esc = (v: string) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const list = path.join(dir, 'wl.lfr');
    const e = await livefr(['enroll', list, path.join(dir, 'people'), '--quiet']);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/Enrolled 3 people \(3 templates\)/);
    expect(e.stdout).toMatch(new RegExp(`Alert threshold ${esc(String(t))}: model operating point of ${esc(spec.name)}: threshold ${esc(String(t))} ${source}`));
    const j = await livefr(['enroll', list, path.join(dir, 'people'), '--quiet', '--json']);
    const summary = JSON.parse(j.stdout);
    expect(summary.calibration).toMatchObject({ threshold: t, watchlistSize: 3 });
    expect(summary.calibration.method).toMatch(/livefr model registry/);
    expect(summary.calibration.targetFPIR).toBeCloseTo(spec.live ? spec.live.fpir : 1 - (1 - 1e-3) ** 3, 6);

    const img = path.join(dir, 'people', readdirSync(path.join(dir, 'people'))[0]!);
    const file = path.join(img, readdirSync(img)[0]!);
    const below = String(Math.round((t - 0.1) * 1000) / 1000);
    const low = await livefr(['match', list, file, '--threshold', below, '--quiet']);
    expect(low.code).toBe(2);
    expect(low.stderr).toMatch(new RegExp(`calibrated threshold ${esc(String(t))}.*--force`));
    const forced = await livefr(['match', list, file, '--threshold', below, '--force', '--quiet']);
    expect(forced.code, forced.stderr).toBe(0);
    const ok = await livefr(['match', list, file, '--quiet']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/ALERT .*: /);
  });
});

describe('recordOperatingPoint (enroll)', () => {
  // Distinct unit vectors: the watchlist refuses exact copies of an enrolled template.
  let axis = 0;
  const unit = () => {
    const v = new Float32Array(8);
    v[axis++ % 8] = 1;
    return v;
  };
  it('records the LFW operating point with the FPIR it gives over the templates, and leaves a real calibration alone', async () => {
    const { recordOperatingPoint } = await import('../dist/cli/commands/enroll.js');
    const { Watchlist } = await import('../dist/index.js');
    const wl = new Watchlist({ dim: 8, threshold: 0.638 });
    await wl.add('a', unit());
    await wl.add('b', unit());
    expect(recordOperatingPoint(wl, { suggestedThreshold: 0.638 }, 'faceres')).toBe(true);
    expect(wl.calibration).toMatchObject({ threshold: 0.638, watchlistSize: 2 });
    expect(wl.calibration!.method).toMatch(/^model operating point of faceres: threshold 0\.638 at FMR 1e-3 per comparison on LFW/);
    expect(wl.calibration!.targetFPIR).toBeCloseTo(1 - (1 - 1e-3) ** 2, 9);
    expect(() => wl.setThreshold(0.5)).toThrow(/calibrated threshold 0\.638/);
    // A calibration from livefr calibrate stays; so does a threshold the user chose.
    const cal = new Watchlist({ dim: 8, threshold: 0.7 });
    await cal.add('a', unit());
    cal.setThreshold(0.7, { calibration: { targetFPIR: 1e-3, watchlistSize: 1000, method: 'open-set' } });
    expect(recordOperatingPoint(cal, { suggestedThreshold: 0.638 }, 'faceres')).toBe(false);
    expect(cal.calibration!.method).toBe('open-set');
    const own = new Watchlist({ dim: 8, threshold: 0.8 });
    await own.add('a', unit());
    expect(recordOperatingPoint(own, { suggestedThreshold: 0.638 }, 'faceres')).toBe(false);
    expect(own.calibration).toBeUndefined();
  });
});

