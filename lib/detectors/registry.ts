/**
 * The registry of detector families. The four built-in families are
 * registered here; other modules add theirs with `registerDetectorFamily`.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { invalidType, outOfRange } from '../errors.js';
import { retinaface } from './retinaface.js';
import { scrfd } from './scrfd.js';
import type { DetectorFamilyAdapter } from './types.js';
import { ultraface } from './ultraface.js';
import { yunet } from './yunet.js';

const adapters = new Map<string, DetectorFamilyAdapter>();
const names: string[] = [];

/**
 * Names of the registered detector families, built-ins first. The array is
 * live: `registerDetectorFamily` appends to it.
 */
export const DETECTOR_FAMILIES: readonly string[] = names;

const REQUIRED: (keyof DetectorFamilyAdapter)[] = [
  'description', 'landmarks', 'input', 'sizing', 'defaults', 'minVisibleFace', 'bindInput', 'bindOutputs',
];

/**
 * Registers a detector family under `name` (lower-case letters, digits and
 * dashes). Registering an existing name is an error: families are not
 * replaced behind a running Detector's back.
 */
export function registerDetectorFamily(name: string, adapter: DetectorFamilyAdapter): void {
  if (typeof name !== 'string') throw invalidType('name', 'a family name', name);
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw outOfRange('name', 'lower-case letters, digits and dashes', name);
  if (adapters.has(name)) throw outOfRange('name', 'a family name not registered yet', name);
  if (typeof adapter !== 'object' || adapter === null) throw invalidType('adapter', 'a DetectorFamilyAdapter object', adapter);
  for (const key of REQUIRED) {
    if (adapter[key] === undefined) throw invalidType(`adapter.${key}`, 'a value (see DetectorFamilyAdapter)', undefined);
  }
  if (typeof adapter.bindInput !== 'function') throw invalidType('adapter.bindInput', 'a function', adapter.bindInput);
  if (typeof adapter.bindOutputs !== 'function') throw invalidType('adapter.bindOutputs', 'a function', adapter.bindOutputs);
  adapters.set(name, adapter);
  names.push(name);
}

export function getDetectorFamily(name: string): DetectorFamilyAdapter | undefined {
  return adapters.get(name);
}

/**
 * The adapter of a family, loading it on demand: a family that lives in
 * lib/detectors/<name>.ts and registers itself when imported (blazeface,
 * faceapi-ssd, ...) is available even when nothing imported it yet (the CLI
 * imports only what it needs). Unknown names resolve to undefined.
 */
export async function loadDetectorFamily(name: string): Promise<DetectorFamilyAdapter | undefined> {
  const known = adapters.get(name);
  if (known || !/^[a-z][a-z0-9-]*$/.test(name) || BUILT_IN_MODULES.has(name)) return known;
  const url = new URL(`./${name}.js`, import.meta.url);
  if (existsSync(fileURLToPath(url))) await import(url.href);
  return adapters.get(name);
}

/** Module names in this folder that are not families. */
const BUILT_IN_MODULES = new Set(['registry', 'types', 'shapes', 'native', 'tiling']);

registerDetectorFamily('yunet', yunet);
registerDetectorFamily('scrfd', scrfd);
registerDetectorFamily('retinaface', retinaface);
registerDetectorFamily('ultraface', ultraface);
