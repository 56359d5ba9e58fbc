// The shape of the library (issue 9): library code never imports the CLI,
// CLI commands do not import each other, the main entry is the product API
// (no converter internals), and the subpath entries `livefr/convert` and
// `livefr/eval` resolve, at run time and for the type checker.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/shared.js';

const lib = path.join(repoRoot, 'lib');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Relative module specifiers of a source file (static imports, re-exports and dynamic imports), resolved to lib/ paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from\s*|import\s*\(\s*|import\s+)'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
  return specs.map((s) => path.resolve(path.dirname(file), s).replace(/\.js$/, '.ts'));
}

describe('rooms of one concern', () => {
  it('no module under lib/ other than lib/cli/ imports from lib/cli/', () => {
    const cli = path.join(lib, 'cli') + path.sep;
    const offenders: string[] = [];
    for (const file of sources(lib)) {
      if (file.startsWith(cli)) continue;
      for (const target of importsOf(file)) if (target.startsWith(cli)) offenders.push(`${path.relative(repoRoot, file)} -> ${path.relative(repoRoot, target)}`);
    }
    expect(offenders).toEqual([]);
  });

  it('CLI commands do not import sibling commands (a command may have parts in commands/<name>/)', () => {
    const commands = path.join(lib, 'cli', 'commands') + path.sep;
    /** The command a file belongs to: commands/<name>.ts or commands/<name>/... */
    const commandOf = (f: string) => path.relative(commands, f).split(path.sep)[0]!.replace(/\.ts$/, '');
    const offenders: string[] = [];
    for (const file of sources(commands)) {
      for (const target of importsOf(file)) {
        if (target.startsWith(commands) && commandOf(target) !== commandOf(file)) offenders.push(`${path.relative(repoRoot, file)} -> ${path.relative(repoRoot, target)}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the main entry exports the product API and no converter or evaluation internals', async () => {
    const main = Object.keys(await import(pathToFileURL(path.join(repoRoot, 'dist/index.js')).href));
    for (const name of ['Detector', 'Embedder', 'Watchlist', 'loadImage', 'letterbox', 'alignFaces', 'InferencePool', 'registerDetectorFamily', 'FaceApiSsdDetector']) {
      expect(main, name).toContain(name);
    }
    // Everything any converter module exports stays out of the main entry.
    const convertNames = new Set<string>();
    for (const file of sources(path.join(lib, 'convert'))) {
      const js = path.join(repoRoot, 'dist', path.relative(lib, file)).replace(/\.ts$/, '.js');
      for (const n of Object.keys(await import(pathToFileURL(js).href))) convertNames.add(n);
    }
    expect(convertNames.size).toBeGreaterThan(10);
    expect(main.filter((n) => convertNames.has(n))).toEqual([]);
    for (const name of ['generateSsdAnchors', 'decodeSsdBoxes', 'faceApiChip', 'faceApiDescriptorBox', 'fivePointsFrom68', 'faceapiSsd', 'blazeface', 'blazefaceAnchors', 'decodeBlazeface', 'BLAZEFACE_LAYOUTS', 'evaluation', 'calibrate', 'applyCalibration', 'GraphBuilder']) {
      expect(main, name).not.toContain(name);
    }
  });
});

describe('subpath exports', () => {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { name: string; exports: Record<string, { import: { types: string; default: string } }> };

  it('livefr/convert and livefr/eval resolve by package name and export what their docs show', () => {
    const script = `
      const c = await import('livefr/convert');
      const e = await import('livefr/eval');
      const m = await import('livefr');
      console.log(JSON.stringify({ convert: Object.keys(c), eval: Object.keys(e), main: typeof m.Detector }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8' })) as { convert: string[]; eval: string[]; main: string };
    expect(out.main).toBe('function');
    for (const n of ['convertFaceApiModel', 'convertGraphModel', 'convertTfliteModel', 'listGraphCandidates']) expect(out.convert, n).toContain(n);
    for (const n of ['openDataset', 'runVerify', 'runIdentify', 'calibrate', 'applyCalibration', 'roc']) expect(out.eval, n).toContain(n);
    for (const sub of ['./convert', './eval']) {
      const e = pkg.exports[sub]!.import;
      expect(readFileSync(path.join(repoRoot, e.types), 'utf8').length, e.types).toBeGreaterThan(0);
    }
  });

  it('each entry is typed: a strict TypeScript consumer type-checks against them', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'livefr-types-'));
    try {
      mkdirSync(path.join(dir, 'node_modules'));
      symlinkSync(repoRoot, path.join(dir, 'node_modules', pkg.name), 'dir');
      writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
      writeFileSync(
        path.join(dir, 'consumer.ts'),
        `import { Detector, Watchlist, type MatchResult } from 'livefr';
import { convertGraphModel, type ConvertedGraph } from 'livefr/convert';
import { calibrate, openDataset, type Calibration } from 'livefr/eval';
export async function f(): Promise<[Detector, ConvertedGraph, Calibration | null, MatchResult[]]> {
  const d = await Detector.load({});
  const g = await convertGraphModel('model.json');
  const ds = await openDataset('data');
  const w = new Watchlist({ dim: 4 });
  return [d, g, ds.people.length ? calibrate({ scores: { nonMated: [0.1] }, targetFPIR: 0.01, watchlistSize: 10 } as never) : null, await w.match(new Float32Array(4))];
}
// @ts-expect-error converter internals are not on the main entry
import { generateSsdAnchors } from 'livefr';
void generateSsdAnchors;
`,
      );
      const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
      const args = [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--types', 'node', '--typeRoots', path.join(repoRoot, 'node_modules', '@types'), 'consumer.ts'];
      let output = '';
      try {
        execFileSync(process.execPath, args, { cwd: dir, encoding: 'utf8' });
      } catch (err) {
        output = String((err as { stdout?: string }).stdout ?? err);
      }
      expect(output).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
