/**
 * Which native binary to load: the one built from the native sources beside
 * it. A clone or a tarball carries both a prebuild
 * (prebuilds/<platform>-<arch>/, built from main's sources at some moment)
 * and maybe a local cmake-js build (build/Release/); each has a record of
 * the source hash it was built from (scripts/native-sources.cjs), and a
 * binary is used only when that record matches the sources now. So a
 * committed prebuild never shadows newer native code, and a stale local
 * build never shadows a current prebuild.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { packageRoot } from '../util/package-root.js';

const require = createRequire(import.meta.url);

export interface NativeChoice {
  /** The binary to load, or null when none fits. */
  path: string | null;
  kind?: 'prebuild' | 'local';
  /** Why this binary (or why none). */
  reason: string;
}

interface NativeSources {
  chooseNativeBinary(root: string): NativeChoice;
}

export function chooseNativeBinary(root: string = packageRoot): NativeChoice {
  const sources = require(path.join(root, 'scripts', 'native-sources.cjs')) as NativeSources;
  return sources.chooseNativeBinary(root);
}
