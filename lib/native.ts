/**
 * Loads the native core (prebuilds/ first, then the local cmake-js build) and
 * types its raw surface. Public API lives elsewhere; this file only loads.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { NativeError } from './errors.js';

const require = createRequire(import.meta.url);

/** Root of the package (the folder holding package.json). */
export const packageRoot = fileURLToPath(new URL('..', import.meta.url));

export interface BuildInfo {
  cpu: { avx2: boolean; avx512: boolean };
  simdCompiled: boolean;
  faiss: boolean;
  faissGpu: boolean;
}

/**
 * The raw native binding. Each module (image, detect, index) adds its own
 * functions; their typed wrappers live next to the public classes.
 */
export interface NativeBinding {
  buildInfo(): BuildInfo;
  [name: string]: unknown;
}

let cached: NativeBinding | undefined;

export function native(): NativeBinding {
  if (cached) return cached;
  const override = process.env.LIVEFR_NATIVE_PATH;
  try {
    if (override) {
      cached = require(override) as NativeBinding;
    } else {
      const load = require('node-gyp-build') as (dir: string) => NativeBinding;
      cached = load(packageRoot);
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
  return cached;
}

/** Facts about the native build: SIMD compiled in and usable, FAISS, GPU. */
export function buildInfo(): BuildInfo {
  return native().buildInfo();
}
