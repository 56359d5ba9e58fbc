/**
 * The registry of detector families, explicit: the built-in families are
 * listed here by name (four with native decoders, imported at once; two
 * whose modules pull in more code, imported on first use), and
 * applications add theirs with `registerDetectorFamily`. Nothing is found
 * by looking at files.
 */
import { invalidType, outOfRange } from '../errors.js';
import { retinaface } from './retinaface.js';
import { scrfd } from './scrfd.js';
import type { DetectorFamilyAdapter } from './types.js';
import { ultraface } from './ultraface.js';
import { yunet } from './yunet.js';

const adapters = new Map<string, DetectorFamilyAdapter>([
  ['yunet', yunet],
  ['scrfd', scrfd],
  ['retinaface', retinaface],
  ['ultraface', ultraface],
]);

/** Built-in families whose modules load on first use. */
const LAZY: ReadonlyMap<string, () => Promise<DetectorFamilyAdapter>> = new Map([
  ['blazeface', async () => (await import('./blazeface.js')).blazeface],
  ['faceapi-ssd', async () => (await import('./faceapi-ssd/adapter.js')).faceapiSsd],
]);

const names: string[] = [...adapters.keys(), ...LAZY.keys()];

/** The built-in families, as a literal type (registered families are any other string). */
export type BuiltInDetectorFamily = 'yunet' | 'scrfd' | 'retinaface' | 'ultraface' | 'blazeface' | 'faceapi-ssd';
/** A family name: a built-in (suggested by editors) or one registered with registerDetectorFamily. */
export type DetectorFamilyName = BuiltInDetectorFamily | (string & {});

/**
 * Names of the detector families: the built-ins, then those registered
 * with `registerDetectorFamily`. The array is live: registering appends.
 */
export const DETECTOR_FAMILIES: readonly string[] = names;

const REQUIRED: (keyof DetectorFamilyAdapter)[] = [
  'description', 'landmarks', 'input', 'sizing', 'defaults', 'minVisibleFace', 'bindInput', 'bindOutputs',
];

/**
 * Registers a detector family under `name` (lower-case letters, digits and
 * dashes). Registering an existing name (a built-in or one registered
 * before) is an error: families are not replaced behind a running
 * Detector's back.
 */
export function registerDetectorFamily(name: string, adapter: DetectorFamilyAdapter): void {
  if (typeof name !== 'string') throw invalidType('name', 'a family name', name);
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw outOfRange('name', 'lower-case letters, digits and dashes', name);
  if (adapters.has(name) || LAZY.has(name)) throw outOfRange('name', 'a family name not registered yet', name);
  if (typeof adapter !== 'object' || adapter === null) throw invalidType('adapter', 'a DetectorFamilyAdapter object', adapter);
  for (const key of REQUIRED) {
    if (adapter[key] === undefined) throw invalidType(`adapter.${key}`, 'a value (see DetectorFamilyAdapter)', undefined);
  }
  if (typeof adapter.bindInput !== 'function') throw invalidType('adapter.bindInput', 'a function', adapter.bindInput);
  if (typeof adapter.bindOutputs !== 'function') throw invalidType('adapter.bindOutputs', 'a function', adapter.bindOutputs);
  adapters.set(name, adapter);
  names.push(name);
}

/** The adapter of a family already loaded (built-in eager, or registered), else undefined. */
export function getDetectorFamily(name: string): DetectorFamilyAdapter | undefined {
  return adapters.get(name);
}

/**
 * The adapter of a family, importing a lazily loaded built-in on first use.
 * Unknown names resolve to undefined. A built-in module that fails to load
 * rejects (the error is not swallowed).
 */
export async function loadDetectorFamily(name: string): Promise<DetectorFamilyAdapter | undefined> {
  const known = adapters.get(name);
  if (known) return known;
  const load = LAZY.get(name);
  if (!load) return undefined;
  const adapter = await load();
  adapters.set(name, adapter);
  return adapter;
}
