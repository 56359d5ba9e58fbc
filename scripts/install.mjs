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
// npm 11 prints "install scripts not yet covered by allowScripts" for this
// script but (11.19, checked) runs it anyway; with an npm that skips it,
// linux-x64 still works (the loader picks the same prebuild), and elsewhere
// `node node_modules/livefr/scripts/install.mjs` does the build.
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
if (fits.path) {
  try {
    require(fits.path);
    process.exit(0);
  } catch (err) {
    loadError = `${path.relative(root, fits.path)} does not load: ${String(err?.message ?? err).split('\n')[0]}`;
  }
}
process.stderr.write(`livefr: compiling the native core (${loadError || fits.reason})\n`);
if (cmakeJs(root, ['compile', '--CDCMAKE_BUILD_TYPE=Release']) !== 0) {
  process.stderr.write(
    `\nlivefr: no prebuilt native core fits ${process.platform}-${process.arch}${loadError ? ` (${loadError})` : ''}, and compiling it failed.\n` +
      '  It needs FAISS and OpenBLAS development files, CMake and a C++17 compiler; on Debian/Ubuntu:\n' +
      '    sudo apt-get install -y libfaiss-dev libopenblas-dev cmake g++\n' +
      '  then install livefr again (or run: node node_modules/livefr/scripts/install.mjs).\n',
  );
  process.exit(1);
}
const { writeFileSync } = await import('node:fs');
writeFileSync(path.join(path.dirname(localBuildPath(root)), 'livefr.json'), JSON.stringify({ sources: nativeSourceHash(root), built: new Date().toISOString() }, null, 2) + '\n');
