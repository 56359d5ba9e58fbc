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
