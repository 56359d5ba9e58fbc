// Runs cmake-js from node_modules for setup.mjs and prebuild.mjs. cmake-js
// would download Node's headers; when the installed Node ships them, point it
// there (npm passes its `nodedir` setting as npm_config_nodedir; a plain
// `node` call does not).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export function cmakeJs(root, args) {
  const env = { ...process.env };
  const nodeDir = path.resolve(path.dirname(process.execPath), '..');
  if (!env.npm_config_nodedir && existsSync(path.join(nodeDir, 'include', 'node', 'node_api.h'))) {
    env.npm_config_nodedir = nodeDir;
  }
  // Resolved from the package root: installed as a dependency, cmake-js may be hoisted.
  const bin = createRequire(path.join(root, 'package.json')).resolve('cmake-js/bin/cmake-js');
  const argv = [bin, ...args];
  process.stderr.write(`$ cmake-js ${args.join(' ')}\n`);
  return spawnSync(process.execPath, argv, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env }).status ?? 1;
}
