/**
 * `livefr detect` as a child process: JSON lines on stdout and nothing
 * else, per-file errors that do not stop the run, exit codes, flags from the
 * environment.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasShared, repoRoot, SKIP_SHARED, sharedData, sharedModel } from './helpers/shared.js';

const cli = path.join(repoRoot, 'dist', 'cli', 'main.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function livefr(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...opts.env };
    delete env.LIVEFR_DETECTOR;
    delete env.LIVEFR_DETECTOR_MODEL;
    Object.assign(env, opts.env);
    const child = spawn(process.execPath, [cli, ...args], { cwd: opts.cwd ?? repoRoot, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const tmp = mkdtempSync(path.join(tmpdir(), 'livefr-cli-detect-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('livefr detect: usage', () => {
  it('exits 2 on an unknown flag, naming it', async () => {
    const r = await livefr(['detect', 'x.jpg', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--bogus/);
    expect(r.stdout).toBe('');
  });

  it('exits 2 without images and prints the usage', async () => {
    const r = await livefr(['detect']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Usage: livefr detect/);
  });

  it('exits 2 on a bad --tile value', async () => {
    const r = await livefr(['detect', 'x.jpg', '--tile', 'sometimes', '--detector', 'yunet', '--detector-model', '/nonexistent.onnx']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--tile/);
  });

  it('prints help with --help', async () => {
    const r = await livefr(['detect', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--detector-model/);
    expect(r.stdout).toMatch(/LIVEFR_DETECTOR_MODEL/);
  });

  it('loads a family that lives in lib/detectors/<name>.ts on demand (the CLI does not import the package index)', async () => {
    const r = await livefr(['detect', 'x.jpg', '--detector', 'blazeface', '--detector-model', '/nonexistent/blaze.onnx']);
    expect(r.code).toBe(1); // a ModelError for the file, not a usage error for the family
    expect(r.stderr).toMatch(/nonexistent\/blaze\.onnx/);
    const unknown = await livefr(['detect', 'x.jpg', '--detector', 'haar', '--detector-model', '/nonexistent/haar.onnx']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/options\.family/);
  });

  it('exits 1 with a ModelError naming a missing model file', async () => {
    const r = await livefr(['detect', 'x.jpg', '--detector', 'scrfd', '--detector-model', '/nonexistent/det.onnx']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nonexistent\/det\.onnx/);
  });
});

describe.skipIf(!hasShared)(hasShared ? 'livefr detect on scene photos' : `livefr detect: ${SKIP_SHARED}`, () => {
  const scenes = sharedData('scenes');
  const model = ['--detector', 'scrfd', '--detector-model', sharedModel('scrfd-500m-kps.onnx')];

  it('prints one JSON line per image, only JSON on stdout, with the path as given', async () => {
    const r = await livefr(['detect', 'bbt1.jpg', 'bbt2.jpg', 'wild_1.jpg', ...model, '--json'], { cwd: scenes });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    const parsed = lines.map((l) => JSON.parse(l));
    expect(parsed.map((p) => p.file)).toEqual(['bbt1.jpg', 'bbt2.jpg', 'wild_1.jpg']);
    expect(parsed[0]).toMatchObject({ width: 1366, height: 768 });
    expect(parsed[0].faces).toHaveLength(4);
    expect(parsed[1].faces).toHaveLength(3);
    expect(parsed[2].faces.length).toBeGreaterThanOrEqual(45);
    for (const p of parsed) {
      expect(Object.keys(p)).toEqual(['file', 'width', 'height', 'faces']);
      for (const f of p.faces) {
        expect(Object.keys(f.box)).toEqual(['x', 'y', 'width', 'height']);
        expect(f.score).toBeGreaterThan(0.4);
        expect(f.landmarks).toHaveLength(5);
        for (const pt of f.landmarks) expect(pt).toHaveLength(2);
      }
    }
  });

  it('reports a corrupt image on stderr, goes on with the others, and exits 1', async () => {
    const bad = path.join(tmp, 'corrupt.jpg');
    const junk = Buffer.alloc(4096);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 2654435761) >>> 24;
    writeFileSync(bad, junk);
    const missing = path.join(tmp, 'missing.jpg');
    const r = await livefr(['detect', path.join(scenes, 'bbt2.jpg'), bad, missing, path.join(scenes, 'bbt1.jpg'), ...model, '--json']);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => path.basename(l.file))).toEqual(['bbt2.jpg', 'bbt1.jpg']);
    expect(lines[1].faces).toHaveLength(4);
    expect(r.stderr).toContain(`${bad}:`);
    expect(r.stderr).toContain(`${missing}:`);
    expect(r.stderr).toMatch(/2 of 4 images failed/);
  });

  it('takes the detector from LIVEFR_DETECTOR and LIVEFR_DETECTOR_MODEL, and prints a table without --json', async () => {
    const r = await livefr(['detect', 'bbt1.jpg', '--min-score', '0.5'], {
      cwd: scenes,
      env: { LIVEFR_DETECTOR: 'yunet', LIVEFR_DETECTOR_MODEL: sharedModel('yunet.onnx') },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^bbt1\.jpg {2}1366x768 {2}4 faces/);
    expect(r.stdout.trim().split('\n')).toHaveLength(5);
  });

  it('exits 1 with a ModelError when the model is of another family', async () => {
    const r = await livefr(['detect', 'bbt1.jpg', '--detector', 'retinaface', '--detector-model', sharedModel('yunet.onnx'), '--json'], { cwd: scenes });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/retinaface/);
  });
});
