// Measured accuracy on real faces: LFW development half (../shared/data/lfw-dev)
// with YuNet + MobileFaceNet-128 (../shared/models). Skips without ../shared.
//
// Protocols (see docs/evaluation.md):
// - verification: LFW pairs.txt, 5 folds x 600 pairs, threshold chosen on the
//   other 4 folds, mean of the 5 held-out accuracies; pairs with a missed face
//   are scored -1 and counted, not dropped;
// - open-set identification: people with >= 1 image shuffled with seed 1, the
//   first N enrolled with their first image; mated searches = their other
//   images; non-mated = every image of the people not enrolled; top-1 through
//   a FAISS Watchlist; threshold set on the non-mated scores at each FPIR.
// Embeddings are cached in .livefr-cache/, so reruns take seconds.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { hasShared, repoRoot, sharedData, sharedModel } from './helpers/shared.js';

const run = promisify(execFile);
const cacheDir = path.join(repoRoot, '.livefr-cache');
const out = mkdtempSync(path.join(tmpdir(), 'livefr-eval-'));
const config = {
  detector: 'yunet',
  detectorModel: sharedModel('yunet.onnx'),
  embedderModel: sharedModel('mobilefacenet-128.onnx'),
  embedderMean: [127, 127, 127] as [number, number, number],
  embedderStd: [128, 128, 128] as [number, number, number],
};
const modelFlags = [
  '--detector', 'yunet', '--detector-model', config.detectorModel,
  '--embedder-model', config.embedderModel, '--embedder-mean', '127', '--embedder-std', '128',
  '--cache', cacheDir, '--quiet',
];

describe.skipIf(!hasShared)('eval on LFW-dev (yunet + mobilefacenet-128)', () => {
  it('livefr eval verify --json: 5-fold accuracy >= 98.5%, TAR@FAR, detection failures, HTML report', async () => {
    const report = path.join(out, 'verify.html');
    const cli = path.join(repoRoot, 'dist', 'cli', 'main.js');
    const { stdout } = await run(process.execPath, [cli, 'eval', 'verify', '--data', sharedData('lfw-dev'), ...modelFlags, '--json', '--report', report], {
      maxBuffer: 64 << 20,
    });
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const r = JSON.parse(lines[0]!);
    console.log(`LFW-dev verification: accuracy ${(100 * r.accuracy).toFixed(2)}% ± ${(100 * r.accuracyStd).toFixed(2)} ` +
      `(folds ${r.folds.map((f: { accuracy: number }) => (100 * f.accuracy).toFixed(2)).join(', ')}), detection failures ${r.detectionFailures}, ` +
      r.tarAtFar.map((t: { target: number; tar: number | null; refused: string | null }) => `TAR@FAR ${t.target}: ${t.tar === null ? t.refused : (100 * t.tar).toFixed(2) + '%'}`).join('; '));
    expect(r.folds).toHaveLength(5);
    expect(r.pairs).toBe(3000);
    expect(r.accuracy).toBeGreaterThanOrEqual(0.985);
    expect(typeof r.detectionFailures).toBe('number');
    const [f2, f3] = r.tarAtFar;
    // 1,500 impostor pairs: FAR 1e-2 rests on enough (>= 300), FAR 1e-3 does not (needs 3,000).
    expect(f2.target).toBe(0.01);
    expect(f2.tar).toBeGreaterThan(0.9);
    expect(f3.tar).toBeNull();
    expect(f3.refused).toMatch(/needs at least 3000 impostor scores/);
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('class="det-curve"');
    expect(html).toContain('DET curve');
  });

  it('open-set FNIR at FPIR 1e-2 / 1e-3 for watchlists of 100, 1000 and the largest the data allows', async () => {
    const { openDataset, runIdentify } = await import('../dist/eval/index.js');
    const ds = await openDataset(sharedData('lfw-dev'));
    const groups = new Map(ds.people.map((p) => [p.id, p.id < 'M' ? 'A-L' : 'M-Z']));
    const [clean] = await runIdentify(ds, config, { cacheDir, sizes: [100, 1000, 'max'], groups });
    const r = clean!.result;
    for (const s of r.sizes) {
      console.log(`N=${s.watchlistSize}: rank-1 ${(100 * s.rank1.rate).toFixed(2)}%, ${s.matedSearches} mated / ${s.nonMatedSearches} non-mated; ` +
        s.fnirAtFpir.map((f) => `FNIR@FPIR ${f.fpir}: ${f.fnir === null ? 'refused' : (100 * f.fnir).toFixed(2) + '% (t=' + f.threshold!.toFixed(3) + ')'}`).join('; ') +
        (s.groups ? `; FNIR ratio ${s.groups.fnirRatio?.toFixed(2)}, FPIR ratio ${s.groups.fpirRatio?.toFixed(2)}` : ''));
    }
    const n1000 = r.sizes.find((s) => s.watchlistSize === 1000)!;
    expect(n1000).toBeDefined();
    const at3 = n1000.fnirAtFpir.find((f) => f.fpir === 1e-3)!;
    expect(at3.refused).toBeNull();
    expect(at3.negatives).toBeGreaterThanOrEqual(3000);
    expect(at3.fnir).toBeGreaterThanOrEqual(0);
    expect(at3.fnir).toBeLessThanOrEqual(1);
    // A stricter FPIR cannot lower FNIR, and thresholds rise with N at the same FPIR.
    const at2 = n1000.fnirAtFpir.find((f) => f.fpir === 1e-2)!;
    expect(at3.fnir!).toBeGreaterThanOrEqual(at2.fnir!);
    const n100 = r.sizes.find((s) => s.watchlistSize === 100)!;
    expect(n1000.fnirAtFpir[0]!.threshold!).toBeGreaterThan(n100.fnirAtFpir[0]!.threshold!);
    expect(r.sizes[r.sizes.length - 1]!.watchlistSize).toBeGreaterThan(1000);
    expect(n1000.groups!.groups.map((g) => g.group)).toEqual(['A-L', 'M-Z']);
  });

  it('a degraded run (faces 28 px wide) gives measurably worse FNIR, and the report shows both', async () => {
    const { openDataset, runIdentify, renderReport } = await import('../dist/eval/index.js');
    const full = await openDataset(sharedData('lfw-dev'));
    // A subset keeps the degraded pass short: the first 1,000 people alphabetically.
    const people = full.people.slice(0, 1000);
    const ds = { ...full, people, pairs: null, folds: 0 };
    const runs = await runIdentify(ds, config, { cacheDir, sizes: [300], fpirs: [1e-2], degradations: [{ size: 28 }] });
    const [clean, degraded] = runs.map((x) => x.result.sizes[0]!.fnirAtFpir[0]!);
    console.log(`N=300, FPIR 1e-2: clean FNIR ${(100 * clean!.fnir!).toFixed(2)}% [${clean!.missRateInterval!.low.toFixed(3)}, ${clean!.missRateInterval!.high.toFixed(3)}], ` +
      `size=28 FNIR ${(100 * degraded!.fnir!).toFixed(2)}% [${degraded!.missRateInterval!.low.toFixed(3)}, ${degraded!.missRateInterval!.high.toFixed(3)}], ` +
      `no face: ${runs[1]!.result.sizes[0]!.detectionFailures.mated} mated`);
    expect(runs.map((x) => x.label)).toEqual(['clean', 'size=28']);
    // Measurably worse: the 95% intervals do not overlap.
    expect(degraded!.missRateInterval!.low).toBeGreaterThan(clean!.missRateInterval!.high);
    const html = renderReport({ title: 'LFW-dev identify, clean vs 28 px', runs });
    const file = path.join(out, 'identify.html');
    (await import('node:fs')).writeFileSync(file, html);
    expect(existsSync(file)).toBe(true);
    expect(html).toContain('clean N=300');
    expect(html).toContain('size=28 N=300');
    expect(html.match(/class="det-curve"/g)).toHaveLength(2);
  });

  it('eval verify --degrade on a small pair set: each degradation is reported beside the clean run', async () => {
    // 40 matched + 40 mismatched pairs of fold 1, one fold split into 5 interleaved folds.
    const { mkdirSync, symlinkSync, writeFileSync } = await import('node:fs');
    const dir = path.join(out, 'lfw-small');
    mkdirSync(path.join(dir, 'images'), { recursive: true });
    const lines = readFileSync(sharedData('lfw-dev', 'pairs.txt'), 'utf8').split('\n');
    const sel = [...lines.slice(1, 41), ...lines.slice(301, 341)];
    writeFileSync(path.join(dir, 'pairs.txt'), `1\t40\n${sel.join('\n')}\n`);
    const ids = new Set(sel.flatMap((l) => { const c = l.split('\t'); return c.length === 4 ? [c[0]!, c[2]!] : [c[0]!]; }));
    for (const id of ids) symlinkSync(sharedData('lfw-dev', 'images', id), path.join(dir, 'images', id));
    const cli = path.join(repoRoot, 'dist', 'cli', 'main.js');
    const { stdout } = await run(process.execPath, [cli, 'eval', 'verify', '--data', dir, ...modelFlags, '--far', '0.05', '--degrade', 'scene=24', '--degrade', 'jpeg=5', '--json'], { maxBuffer: 64 << 20 });
    const r = JSON.parse(stdout);
    console.log(`80 pairs: clean ${(100 * r.accuracy).toFixed(1)}%; ` + r.degraded.map((d: { label: string; accuracy: number; detectionFailures: number }) => `${d.label} ${(100 * d.accuracy).toFixed(1)}% (${d.detectionFailures} pairs without a face)`).join('; '));
    expect(r.folds).toHaveLength(5);
    expect(r.degraded.map((d: { label: string }) => d.label)).toEqual(['scene=24', 'jpeg=5']);
    for (const d of r.degraded) {
      expect(d.pairs).toBe(80);
      expect(typeof d.detectionFailures).toBe('number');
      expect(d.accuracy).toBeLessThanOrEqual(r.accuracy);
    }
    // FAR 0.05 on 40 impostors rests on too few (needs 60): refused, with the reason.
    expect(r.tarAtFar[0].tar).toBeNull();
    expect(r.tarAtFar[0].refused).toMatch(/needs at least 60/);
  });

  it('a second run is served from the cache', async () => {
    const { openDataset, embedDataset } = await import('../dist/eval/index.js');
    const ds = await openDataset(sharedData('lfw-dev'));
    const e = await embedDataset(ds, config, { cacheDir });
    expect(e.computed).toBe(0);
    expect(e.cacheHits).toBe(6165);
  });
});
