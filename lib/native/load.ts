/**
 * Loads the native core (prebuilds/ first, then the local cmake-js build, or
 * LIVEFR_NATIVE_PATH) once per thread, and hands it livefr's error factory,
 * so native errors are livefr's classes from the first call on. Nothing
 * else: the typed surface is binding.ts.
 */
import { createRequire } from 'node:module';
import { NativeError } from '../errors.js';
import { packageRoot } from '../util/package-root.js';
import type { RawBinding } from './binding.js';
import { nativeErrorFactory } from './errors.js';

const require = createRequire(import.meta.url);

let cached: RawBinding | undefined;

export function loadAddon(): RawBinding {
  if (cached) return cached;
  const override = process.env.LIVEFR_NATIVE_PATH;
  let addon: RawBinding;
  try {
    if (override) {
      addon = require(override) as RawBinding;
    } else {
      const load = require('node-gyp-build') as (dir: string) => RawBinding;
      addon = load(packageRoot);
    }
  } catch (err) {
    throw new NativeError(
      `Could not load the livefr native core for ${process.platform}-${process.arch} (Node ${process.versions.node}). ` +
        'No prebuilt binary matched and no local build was found. In a clone of livefr, run `npm run setup` ' +
        '(as root on Debian/Ubuntu it installs libfaiss-dev and libopenblas-dev, then runs cmake-js); ' +
        'as a dependency, install those packages and run `node node_modules/livefr/scripts/install.mjs` ' +
        '(npm 11 runs it only once approved: `npm install-scripts approve livefr`).',
      { cause: err },
    );
  }
  addon.setErrorFactory(nativeErrorFactory);
  cached = addon;
  return cached;
}
