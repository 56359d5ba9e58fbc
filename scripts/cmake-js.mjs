// Runs cmake-js for setup.mjs, prebuild.mjs and install.mjs. cmake-js
// would download Node's headers; when the installed Node ships them, point
// it there (npm passes its `nodedir` setting as npm_config_nodedir; a plain
// `node` call does not).
//
// cmake-js and node-addon-api are development dependencies: a clone has
// them in node_modules; an installed livefr that must compile (no prebuild
// fits) gets them from install.mjs into a folder of their own, passed here
// as `toolsDir` (its node_modules is put on NODE_PATH, where CMakeLists.txt's
// `require('node-addon-api')` finds it).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export function cmakeJs(root, args, { toolsDir } = {}) {
  const env = { ...process.env };
  const nodeDir = path.resolve(path.dirname(process.execPath), '..');
  if (!env.npm_config_nodedir && existsSync(path.join(nodeDir, 'include', 'node', 'node_api.h'))) {
    env.npm_config_nodedir = nodeDir;
  }
  let from = path.join(root, 'package.json');
  if (toolsDir) {
    const modules = path.join(toolsDir, 'node_modules');
    env.NODE_PATH = [modules, env.NODE_PATH].filter(Boolean).join(path.delimiter);
    from = path.join(toolsDir, 'package.json');
  }
  // Resolved from the package root: installed as a dependency, cmake-js may be hoisted.
  const bin = createRequire(from).resolve('cmake-js/bin/cmake-js');
  const argv = [bin, ...args];
  process.stderr.write(`$ cmake-js ${args.join(' ')}\n`);
  return spawnSync(process.execPath, argv, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env }).status ?? 1;
}
