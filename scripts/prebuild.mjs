#!/usr/bin/env node
// Builds the native core with cmake-js and stores it where node-gyp-build
// looks first: prebuilds/<platform>-<arch>/livefr.napi.node (N-API, so one
// binary serves every Node version). Extra arguments go to cmake-js, e.g.
// the vcpkg toolchain on Windows:
//   node scripts/prebuild.mjs --CDCMAKE_TOOLCHAIN_FILE=...vcpkg.cmake --CDVCPKG_TARGET_TRIPLET=x64-windows-static-md
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cmakeJs } from './cmake-js.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args) => {
  console.error(`$ ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

if (cmakeJs(root, ['rebuild', '--CDCMAKE_BUILD_TYPE=Release', ...process.argv.slice(2)]) !== 0) process.exit(1);
const built = path.join(root, 'build', 'Release', 'livefr.node');
if (!existsSync(built)) {
  console.error(`cmake-js reported success but ${built} is missing`);
  process.exit(1);
}
const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
mkdirSync(dir, { recursive: true });
const out = path.join(dir, 'livefr.napi.node');
copyFileSync(built, out);
if (process.platform === 'linux' && spawnSync('sh', ['-c', 'command -v strip']).status === 0) run('strip', ['--strip-unneeded', out]);
console.error(`prebuild: ${path.relative(root, out)}`);
