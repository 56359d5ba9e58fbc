#!/usr/bin/env node
// npm "install" script of the livefr package.
//
// - In livefr's own checkout it does nothing (scripts/setup.mjs builds).
// - Installed as a dependency on linux-x64 it finds the prebuilt binary
//   (prebuilds/linux-x64: FAISS and OpenBLAS linked in), checks that it was
//   built from the native sources in the tarball and that it loads, and
//   exits: nothing is compiled, no compiler or apt package is needed.
// - Anywhere else, or when the prebuild cannot load, it compiles the native
//   core with cmake-js; if that fails it prints one message saying what to
//   install, and fails the install.
//
// - The compile needs cmake-js and node-addon-api, which are development
//   dependencies (a user on linux-x64 never compiles, so `npm install
//   livefr` does not install them): when they are not resolvable, this
//   script installs the versions livefr's package.json names into
//   node_modules/livefr/.build-tools (npm install --prefix, scripts off).
//   LIVEFR_BUILD_FROM_SOURCE=1 compiles even when the prebuild loads.
//
// npm 11 prints "install scripts not yet covered by allowScripts" for this
// script but (11.19, checked) runs it anyway; with an npm that skips it,
// linux-x64 still works (the loader picks the same prebuild), and elsewhere
// `node node_modules/livefr/scripts/install.mjs` does the build.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cmakeJs } from './cmake-js.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { chooseNativeBinary, nativeSourceHash, localBuildPath } = require('./native-sources.cjs');

if (process.env.INIT_CWD && path.resolve(process.env.INIT_CWD) === root) process.exit(0);

const fits = chooseNativeBinary(root);
let loadError = '';
const fromSource = /^(1|true)$/i.test(process.env.LIVEFR_BUILD_FROM_SOURCE ?? '');
if (fits.path && !fromSource) {
  try {
    require(fits.path);
    process.exit(0);
  } catch (err) {
    loadError = `${path.relative(root, fits.path)} does not load: ${String(err?.message ?? err).split('\n')[0]}`;
  }
}
process.stderr.write(`livefr: compiling the native core (${fromSource ? 'LIVEFR_BUILD_FROM_SOURCE is set' : loadError || fits.reason})\n`);

/** A folder holding cmake-js and node-addon-api when livefr's own resolution lacks them (null: they resolve). */
function buildTools() {
  const req = createRequire(path.join(root, 'package.json'));
  try {
    req.resolve('cmake-js/bin/cmake-js');
    req.resolve('node-addon-api');
    return null;
  } catch {
    // not installed: fetch them below
  }
  const dev = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).devDependencies ?? {};
  const specs = ['cmake-js', 'node-addon-api'].map((p) => `${p}@${dev[p] ?? 'latest'}`);
  const dir = path.join(root, '.build-tools');
  mkdirSync(dir, { recursive: true });
  if (!existsSync(path.join(dir, 'package.json'))) writeFileSync(path.join(dir, 'package.json'), '{ "private": true }\n');
  process.stderr.write(`livefr: installing the build tools ${specs.join(' ')} into ${dir}\n`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['install', '--prefix', dir, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--ignore-scripts', ...specs], {
    stdio: ['ignore', 'inherit', 'inherit'],
    shell: process.platform === 'win32',
  });
  if (r.status !== 0) {
    process.stderr.write(`\nlivefr: installing ${specs.join(' ')} failed; install them in your project (npm install ${specs.join(' ')}) and run node node_modules/livefr/scripts/install.mjs\n`);
    process.exit(1);
  }
  return dir;
}

const toolsDir = buildTools();
if (cmakeJs(root, ['compile', '--CDCMAKE_BUILD_TYPE=Release'], toolsDir ? { toolsDir } : {}) !== 0) {
  process.stderr.write(
    `\nlivefr: no prebuilt native core fits ${process.platform}-${process.arch}${loadError ? ` (${loadError})` : ''}, and compiling it failed.\n` +
      '  It needs FAISS and OpenBLAS development files, CMake and a C++17 compiler; on Debian/Ubuntu:\n' +
      '    sudo apt-get install -y libfaiss-dev libopenblas-dev cmake g++\n' +
      '  then install livefr again (or run: node node_modules/livefr/scripts/install.mjs).\n',
  );
  process.exit(1);
}
writeFileSync(path.join(path.dirname(localBuildPath(root)), 'livefr.json'), JSON.stringify({ sources: nativeSourceHash(root), built: new Date().toISOString() }, null, 2) + '\n');
