#!/usr/bin/env node
// Builds the portable native binary that ships in the npm tarball:
// prebuilds/<platform>-<arch>/livefr.napi.node (N-API: one binary for every
// Node version), with a record of what it was built from (livefr.json:
// the hash of native/ and CMakeLists.txt, scripts/native-sources.cjs).
//
// On Linux it links FAISS and OpenBLAS statically (-DLIVEFR_STATIC_BLAS=ON;
// needs libfaiss-dev, libopenblas-dev, libgfortran-12-dev, cmake, g++),
// copies OpenBLAS's Fortran runtime (libgfortran.so.5, libquadmath.so.0:
// GCC runtime library exception) beside it, strips it, and refuses the
// result if `ldd` lists anything beyond glibc, libstdc++/libgcc_s, libgomp
// and the files in its own folder, or if it does not load in a fresh Node
// process.
//
//   node scripts/prebuild.mjs            build, check, record (npm run prebuilds)
//   node scripts/prebuild.mjs --check    exit 1 unless the committed prebuild
//                                        was built from the current sources
// Other arguments go to cmake-js, e.g. the vcpkg toolchain on Windows:
//   node scripts/prebuild.mjs --CDCMAKE_TOOLCHAIN_FILE=...vcpkg.cmake --CDVCPKG_TARGET_TRIPLET=x64-windows-static-md
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cmakeJs } from './cmake-js.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { nativeSourceHash, readBuildRecord, prebuildPath, platformDir } = require('./native-sources.cjs');
const log = (m) => process.stderr.write(`[livefr prebuild] ${m}\n`);
const fail = (m) => {
  log(m);
  process.exit(1);
};

/** Shared libraries a Linux prebuild may need from the system: glibc's, the C++ runtime, OpenMP. */
export const ALLOWED_LINUX_LIBS = [
  /^linux-vdso\.so/,
  /^\/?(lib64\/)?ld-linux-x86-64\.so/,
  /^libc\.so/,
  /^libm\.so/,
  /^libpthread\.so/,
  /^libdl\.so/,
  /^librt\.so/,
  /^libstdc\+\+\.so/,
  /^libgcc_s\.so/,
  /^libgomp\.so/,
];

/** Runtime libraries the Linux prebuild carries in its own folder. */
export const BUNDLED_LINUX_LIBS = ['libgfortran.so.5', 'libquadmath.so.0'];

/** `ldd` of a binary: [{ name, path }] of the shared libraries it pulls in (path null when not found). */
export function ldd(file) {
  const r = spawnSync('ldd', [file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ldd ${file} failed: ${r.stderr || r.stdout}`);
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const m = /^(\S+)(?:\s+=>\s+(\S+))?/.exec(l);
      const resolved = m[2] && m[2] !== 'not' ? m[2] : m[2] === 'not' ? null : m[1].startsWith('/') ? m[1] : m[1];
      return { name: path.basename(m[1]), path: resolved };
    });
}

/** The libraries of `file` that are neither allowed system libraries nor files in `dir`. */
export function foreignLibraries(file, dir) {
  return ldd(file).filter((l) => {
    if (l.path && path.dirname(path.resolve(l.path)) === path.resolve(dir)) return false;
    return !ALLOWED_LINUX_LIBS.some((re) => re.test(l.name));
  });
}

/** The newest GLIBC_ and GLIBCXX_ symbol versions the files need (the oldest system they run on). */
function symbolVersions(files) {
  const best = { glibc: '0', glibcxx: '0' };
  const newer = (a, b) => (a.split('.').map(Number).reduce((d, x, i) => d || x - (Number(b.split('.')[i]) || 0), 0) > 0 ? a : b);
  for (const f of files) {
    const r = spawnSync('objdump', ['-T', f], { encoding: 'utf8', maxBuffer: 64 << 20 });
    for (const m of r.stdout.matchAll(/\bGLIBC_(\d+(?:\.\d+)*)/g)) best.glibc = newer(m[1], best.glibc);
    for (const m of r.stdout.matchAll(/\bGLIBCXX_(\d+(?:\.\d+)*)/g)) best.glibcxx = newer(m[1], best.glibcxx);
  }
  return best;
}

function check() {
  const file = prebuildPath(root);
  const rel = path.relative(root, platformDir(root));
  if (!existsSync(file)) fail(`${rel}: no prebuilt binary (run npm run prebuilds)`);
  const rec = readBuildRecord(file);
  const hash = nativeSourceHash(root);
  if (!rec || rec.sources !== hash) {
    fail(`${rel} was built from other native sources (recorded ${rec?.sources?.slice(0, 12) ?? 'nothing'}, now ${hash?.slice(0, 12)}): run npm run prebuilds`);
  }
  log(`${rel} matches the native sources (${hash.slice(0, 12)})`);
}

/** The Linux build packages a portable prebuild needs; installed through apt when root, else named. */
function buildPackages() {
  if (process.platform !== 'linux') return;
  const gcc = spawnSync('g++', ['-dumpversion'], { encoding: 'utf8' }).stdout.trim().split('.')[0];
  const has = (file) => path.isAbsolute(spawnSync('g++', ['-print-file-name=' + file], { encoding: 'utf8' }).stdout.trim());
  const need = [];
  if (!existsSync('/usr/include/faiss/IndexFlat.h')) need.push('libfaiss-dev');
  if (!has('libopenblas.a')) need.push('libopenblas-dev');
  if (!has('libgfortran.so')) need.push(gcc ? `libgfortran-${gcc}-dev` : 'gfortran');
  if (need.length === 0) return;
  const cmd = `apt-get install -y --no-install-recommends ${need.join(' ')}`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) fail(`a portable prebuild needs ${need.join(', ')}: sudo ${cmd}`);
  log(`installing ${need.join(', ')}`);
  const r = spawnSync('sh', ['-c', `DEBIAN_FRONTEND=noninteractive ${cmd}`], { stdio: 'inherit' });
  if (r.status !== 0) fail(`apt-get failed: ${cmd}`);
}

function build(extra) {
  buildPackages();
  const hash = nativeSourceHash(root);
  const out = path.join(root, 'build-prebuild');
  rmSync(out, { recursive: true, force: true });
  const flags = ['--CDCMAKE_BUILD_TYPE=Release', ...(process.platform === 'linux' ? ['--CDLIVEFR_STATIC_BLAS=ON'] : []), ...extra];
  if (cmakeJs(root, ['rebuild', '--out', out, ...flags]) !== 0) fail('cmake-js failed (see above)');
  const built = path.join(out, 'Release', 'livefr.node');
  if (!existsSync(built)) fail(`cmake-js reported success but ${built} is missing`);
  const dir = platformDir(root);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const file = prebuildPath(root);
  copyFileSync(built, file);
  let libs = [];
  if (process.platform === 'linux') {
    for (const lib of ldd(built).filter((l) => BUNDLED_LINUX_LIBS.includes(l.name))) {
      if (!lib.path) fail(`${lib.name} not found on this machine (apt-get install libgfortran5)`);
      copyFileSync(realpathSync(lib.path), path.join(dir, lib.name));
      spawnSync('strip', ['--strip-unneeded', path.join(dir, lib.name)], { stdio: 'inherit' });
    }
    const s = spawnSync('strip', ['--strip-unneeded', file], { stdio: 'inherit' });
    if (s.status !== 0) fail('strip failed');
    const extra = foreignLibraries(file, dir);
    if (extra.length) fail(`the prebuild needs shared libraries a fresh machine may not have: ${extra.map((l) => `${l.name} (${l.path})`).join(', ')}`);
    libs = ldd(file).map((l) => (l.path && path.dirname(path.resolve(l.path)) === path.resolve(dir) ? `${l.name} (bundled)` : l.name));
  }
  // It must load in a fresh process, on its own (LIVEFR_NATIVE_PATH bypasses every other binary).
  const probe = spawnSync(process.execPath, ['-e', `const a = require(${JSON.stringify(file)}); console.log(JSON.stringify(a.buildInfo ? a.buildInfo() : {}))`], { encoding: 'utf8' });
  if (probe.status !== 0) fail(`the prebuild does not load: ${probe.stderr}`);
  const info = JSON.parse(probe.stdout.trim() || '{}');
  const record = {
    sources: hash,
    platform: process.platform,
    arch: process.arch,
    napi: 8,
    staticBlas: process.platform === 'linux',
    bytes: statSync(file).size,
    sharedLibraries: libs,
    ...(process.platform === 'linux' ? { needs: symbolVersions(readdirSync(dir).filter((f) => f !== 'livefr.json').map((f) => path.join(dir, f))) } : {}),
    files: readdirSync(dir).filter((f) => f !== 'livefr.json').sort(),
    buildInfo: info,
    built: new Date().toISOString(),
    nodeAddonApi: require('node-addon-api/package.json').version,
  };
  writeFileSync(path.join(dir, 'livefr.json'), JSON.stringify(record, null, 2) + '\n');
  rmSync(out, { recursive: true, force: true });
  log(`${path.relative(root, file)}: ${(record.bytes / 1048576).toFixed(1)} MiB, sources ${hash.slice(0, 12)}, needs ${record.sharedLibraries.join(' ') || '(nothing)'}`);
}

const argv = process.argv.slice(2);
if (argv.includes('--check')) check();
else build(argv);
