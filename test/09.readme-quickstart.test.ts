/**
 * The README's quick start, run as written with the default models (converted
 * from npm packages at setup, so this needs no ../shared): enrol a person
 * from one photo of face-api's demo samples, then match an NV12 "camera
 * frame" made from the same scene at another scale.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { Detector, Embedder, Watchlist, loadImage, type Face } from '../dist/index.js';
import { repoRoot } from './helpers/shared.js';

const require = createRequire(import.meta.url);
const sample = (n: number) => path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo', `sample${n}.jpg`);

/** RGB -> NV12 (BT.601 limited range), the layout lib/frame.ts documents. */
function rgbToNv12(rgb: Uint8Array, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h + w * (h / 2));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      const r = rgb[i]!, g = rgb[i + 1]!, b = rgb[i + 2]!;
      out[y * w + x] = Math.round(16 + 0.257 * r + 0.504 * g + 0.098 * b);
      if (y % 2 === 0 && x % 2 === 0) {
        const uv = w * h + (y / 2) * w + x;
        out[uv] = Math.round(128 - 0.148 * r - 0.291 * g + 0.439 * b);
        out[uv + 1] = Math.round(128 + 0.439 * r - 0.368 * g - 0.071 * b);
      }
    }
  }
  return out;
}

const nearest = (faces: Face[], x: number, y: number) =>
  faces.reduce((a, b) => (Math.hypot(b.box.x + b.box.width / 2 - x, b.box.y + b.box.height / 2 - y) < Math.hypot(a.box.x + a.box.width / 2 - x, a.box.y + a.box.height / 2 - y) ? b : a));

describe('README quick start with the default models', () => {
  it('enrols from a photo and raises an alert for that person in an NV12 frame, not for the others', async () => {
    const detector = await Detector.load({});
    const embedder = await Embedder.load({});
    try {
      // The live-like operating point of the default embedder (docs/models.md): a real threshold, not the placeholder.
      expect(embedder.suggestedThreshold).toBeGreaterThan(0.3);
      expect(embedder.suggestedThreshold).toBe(embedder.liveOperatingPoint?.threshold);
      const watchlist = new Watchlist({ dim: embedder.dim, threshold: embedder.suggestedThreshold });
      const photo = await loadImage(sample(3));
      const faces0 = await detector.detect(photo);
      expect(faces0.length).toBeGreaterThanOrEqual(3);
      const face = nearest(faces0, 1185, 320);
      await watchlist.add('alice', await embedder.embed(photo, [face]), { reason: 'missing person' });

      // The same scene as a 1280-px-wide NV12 camera frame.
      const w = 1280;
      const { data, info } = await sharp(sample(3)).resize({ width: w }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const h = info.height - (info.height % 2);
      const frame = { data: rgbToNv12(data, w, h), width: w, height: h, format: 'nv12' as const };
      const faces = await detector.detect(frame);
      expect(faces.length).toBeGreaterThanOrEqual(3);
      const results = await watchlist.match(await embedder.embed(frame, faces), { k: 3 });
      const s = w / photo.width;
      const t = nearest(faces, 1185 * s, 320 * s);
      const target = faces.indexOf(t);
      // the enrolled face is found again at the scaled position...
      expect(Math.hypot(t.box.x + t.box.width / 2 - (face.box.x + face.box.width / 2) * s, t.box.y + t.box.height / 2 - (face.box.y + face.box.height / 2) * s)).toBeLessThan(t.box.width / 4);
      // ...and it is the only alert: everyone else in the photo is a passer-by.
      results.forEach((r, i) => {
        expect(r.candidates[0]!.id).toBe('alice');
        expect(r.alert).toBe(i === target);
      });
      expect(results[target]!.best!.score).toBeGreaterThan(watchlist.threshold);
    } finally {
      await detector.close();
      await embedder.close();
    }
  });
});

/** The README's first ```ts block under `heading`, as written. */
function readmeBlock(heading = '## Quick start'): string {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const at = readme.indexOf(heading);
  const m = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  if (at < 0 || !m) throw new Error(`README.md has no \`\`\`ts block under "${heading}"`);
  return m[1]!;
}
const quickStart = () => readmeBlock();

/** tsc with the strictest flags a user may have, in `dir`, on `file`. */
function strictTsc(dir: string, file: string, extra: string[] = []) {
  return spawnSync(
    process.execPath,
    [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '--strict', '--exactOptionalPropertyTypes', '--noUncheckedIndexedAccess',
      '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck',
      '--types', 'node', '--typeRoots', path.join(repoRoot, 'node_modules/@types'), ...extra, '--outDir', 'out', file],
    { cwd: dir, encoding: 'utf8' },
  );
}

describe('README quick start as a strict TypeScript program', () => {
  it('compiles under --strict --exactOptionalPropertyTypes --noUncheckedIndexedAccess, runs, and the process exits', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'livefr-quickstart-'));
    try {
      mkdirSync(path.join(dir, 'node_modules'));
      symlinkSync(repoRoot, path.join(dir, 'node_modules', 'livefr'), 'dir');
      writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
      // What the snippet leaves to the reader: alice.jpg, and a camera's 1920x1080 NV12 buffer.
      copyFileSync(sample(3), path.join(dir, 'alice.jpg'));
      const { data } = await sharp(sample(3)).resize(1920, 1080, { fit: 'fill' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      writeFileSync(path.join(dir, 'camera.nv12'), rgbToNv12(data, 1920, 1080));
      const code = quickStart();
      const lines = code.split('\n');
      const lastImport = lines.reduce((k, l, i) => (l.startsWith('import ') ? i : k), -1);
      const prelude = ["import { readFileSync } from 'node:fs';", "const cameraBuffer: Uint8Array = readFileSync('camera.nv12');"];
      writeFileSync(path.join(dir, 'quickstart.ts'), [...lines.slice(0, lastImport + 1), ...prelude, ...lines.slice(lastImport + 1)].join('\n'));
      const tsc = strictTsc(dir, 'quickstart.ts');
      expect(tsc.stdout + tsc.stderr, 'tsc output').toBe('');
      expect(tsc.status).toBe(0);
      // Run it: it must print the alert for alice and then exit by itself (no close() in the snippet).
      const run = spawnSync(process.execPath, [path.join(dir, 'out', 'quickstart.js')], { cwd: dir, encoding: 'utf8', timeout: 240_000 });
      expect(run.error, 'the quick start did not exit within 240 s').toBeUndefined();
      expect(run.signal).toBeNull();
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^ALERT alice /m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the README's live pipeline block", () => {
  it('type-checks under the same strict flags (await using, the alert fields it reads)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'livefr-readme-live-'));
    try {
      mkdirSync(path.join(dir, 'node_modules'));
      symlinkSync(repoRoot, path.join(dir, 'node_modules', 'livefr'), 'dir');
      writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
      const code = readmeBlock('## Live pipeline');
      expect(code).toMatch(/createPipeline/);
      writeFileSync(path.join(dir, 'live.ts'), code);
      // `await using` needs the disposable declarations (TypeScript 5.2+, lib esnext.disposable).
      const tsc = strictTsc(dir, 'live.ts', ['--lib', 'es2022,esnext.disposable', '--noEmit']);
      expect(tsc.stdout + tsc.stderr, 'tsc output').toBe('');
      expect(tsc.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
