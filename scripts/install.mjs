#!/usr/bin/env node
// npm "install" script. In this repository's own checkout it does nothing
// (scripts/setup.mjs builds everything). Installed as a dependency, it keeps
// a prebuilt binary that loads, or else compiles the native core with
// cmake-js (needs FAISS + OpenBLAS: on Debian/Ubuntu
// `apt-get install libfaiss-dev libopenblas-dev cmake g++`).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cmakeJs } from './cmake-js.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

if (process.env.INIT_CWD && path.resolve(process.env.INIT_CWD) === root) process.exit(0);
try {
  require('node-gyp-build')(root);
  process.exit(0);
} catch {
  // no prebuild for this platform (or it cannot load): build from source
}
if (cmakeJs(root, ['compile', '--CDCMAKE_BUILD_TYPE=Release']) !== 0) {
  process.stderr.write(
    'livefr: could not build the native core. It needs FAISS and OpenBLAS development files and a C++17 compiler:\n' +
      '  Debian/Ubuntu: sudo apt-get install -y libfaiss-dev libopenblas-dev cmake g++\n' +
      'then reinstall livefr.\n',
  );
  process.exit(1);
}
