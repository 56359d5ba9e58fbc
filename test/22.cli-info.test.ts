/**
 * What the command line says about itself (issue 8 item 10): --version,
 * `livefr info` in words by default and as JSON with --json, complete
 * (package, ONNX Runtime, FAISS, native binary, SIMD, every model with its
 * licence and sha256), and --detector meaning a family in every command,
 * the demo's included.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/shared.js';

const run = promisify(execFile);
const cli = path.join(repoRoot, 'dist', 'cli', 'main.js');
const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };

async function livefr(args: string[]) {
  try {
    const r = await run(process.execPath, [cli, ...args], { maxBuffer: 16 << 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('livefr --version and info', () => {
  it('--version prints the package version', async () => {
    const r = await livefr(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`livefr ${pkg.version}`);
  });

  it('info --json is complete: versions, the native binary and why, SIMD, each model with licence and sha256', async () => {
    const r = await livefr(['info', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.package).toBe(`livefr@${pkg.version}`);
    expect(info.onnxruntime).toMatch(/^\d+\.\d+\.\d+$/);
    expect(info.faiss).toMatch(/^\d+\.\d+\.\d+$/);
    expect(info.native.path).toMatch(/livefr(\.napi)?\.node$/);
    expect(['prebuild', 'local']).toContain(info.native.kind);
    expect(['scalar', 'avx2', 'avx512']).toContain(info.simd.level);
    const models = info.models as Array<{ name: string; default: boolean; state: string; licence: string; sha256: string | null }>;
    expect(models.length).toBeGreaterThanOrEqual(2);
    for (const m of models) expect(m.licence, m.name).toBeTruthy();
    const defaults = models.filter((m) => m.default);
    expect(defaults.length).toBeGreaterThanOrEqual(2); // a detector and an embedder at least
    for (const m of defaults) expect(m.state, m.name).toBe('ok'); // setup converts every default
    for (const m of defaults) expect(m.sha256, m.name).toMatch(/^[0-9a-f]{64}$/);
  });

  it('info is human-readable by default and says the same things', async () => {
    const r = await livefr(['info']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trimStart().startsWith('{')).toBe(false);
    expect(r.stdout).toMatch(new RegExp(`^livefr@${pkg.version.replace(/\./g, '\\.')}`));
    expect(r.stdout).toMatch(/^ONNX Runtime +\d+\.\d+\.\d+/m);
    expect(r.stdout).toMatch(/^FAISS +\d+\.\d+\.\d+/m);
    expect(r.stdout).toMatch(/^native core +\/.*\.node$/m);
    expect(r.stdout).toMatch(/^SIMD +(scalar|avx2|avx512) in use/m);
    const info = JSON.parse((await livefr(['info', '--json'])).stdout);
    for (const m of info.models.filter((x: { sha256: string | null }) => x.sha256)) expect(r.stdout).toContain(`sha256 ${m.sha256}`);
  });
});

describe('--detector means a family everywhere', () => {
  it('in the demo too: --detector FAMILY, --detector-model NAME|PATH, --embedder-model NAME|PATH', async () => {
    const help = await livefr(['demo', '--help']);
    expect(help.stdout).toMatch(/--detector VALUE\s+detector family/);
    expect(help.stdout).toMatch(/--detector-model VALUE/);
    expect(help.stdout).toMatch(/--embedder-model VALUE/);
    for (const cmd of ['detect', 'enroll', 'match', 'demo']) {
      const h = await livefr([cmd, '--help']);
      expect(h.stdout, cmd).toMatch(/--detector VALUE\s+detector family/);
    }
    const yunet = await livefr(['demo', '--detector', 'yunet']);
    expect(yunet.code).not.toBe(0);
    expect(yunet.stderr).toMatch(/livefr bundles no 'yunet' model/);
    expect((await livefr(['demo', '--embedder', 'x'])).stderr).toMatch(/Unknown option --embedder/);
  });
});
