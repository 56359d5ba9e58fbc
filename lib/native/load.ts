/**
 * Loads the native core (LIVEFR_NATIVE_PATH, else the prebuild or local
 * cmake-js build that was built from the native sources beside it: see
 * select.ts) once per thread, and hands it livefr's error factory,
 * so native errors are livefr's classes from the first call on. Nothing
 * else: the typed surface is binding.ts.
 */
import { createRequire } from 'node:module';
import { NativeError } from '../errors.js';
import { packageRoot } from '../util/package-root.js';
import type { RawBinding } from './binding.js';
import { nativeErrorFactory } from './errors.js';
import { chooseNativeBinary } from './select.js';

const require = createRequire(import.meta.url);

let cached: RawBinding | undefined;

export function loadAddon(): RawBinding {
  if (cached) return cached;
  const override = process.env.LIVEFR_NATIVE_PATH;
  const choice = override ? { path: override, reason: 'LIVEFR_NATIVE_PATH' } : chooseNativeBinary(packageRoot);
  const where = `${process.platform}-${process.arch}, Node ${process.versions.node}`;
  const howToBuild =
    'In a clone of livefr, run `npm run setup` (it builds with cmake-js; as root on Debian/Ubuntu it first installs ' +
    'libfaiss-dev, libopenblas-dev, cmake and g++). Installed as a dependency, install those packages and run ' +
    '`node node_modules/livefr/scripts/install.mjs`.';
  if (!choice.path) {
    throw new NativeError(`No livefr native core fits here (${where}): ${choice.reason}. ${howToBuild}`);
  }
  let addon: RawBinding;
  try {
    addon = require(choice.path) as RawBinding;
  } catch (err) {
    const msg = (err as Error).message ?? String(err);
    const missing = /lib(gomp)\.so/.exec(msg);
    throw new NativeError(
      `Could not load the livefr native core ${choice.path} (${where}): ${msg.split('\n')[0]}. ` +
        (missing ? 'Install the OpenMP runtime: `apt-get install libgomp1`. ' : '') +
        howToBuild,
      { cause: err },
    );
  }
  addon.setErrorFactory(nativeErrorFactory);
  cached = addon;
  return cached;
}
