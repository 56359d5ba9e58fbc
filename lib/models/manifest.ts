/**
 * The manifest stored next to every converted model (`models/<name>.json`):
 * where the model came from (package, version, files and their sha256), the
 * licence, the sha256 of the .onnx, and how to feed it.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { ModelError } from '../errors.js';
import { MODEL_TASKS, type InputSpec, type ModelTask } from './catalog.js';

export const MANIFEST_VERSION = 1;

export interface FileDigest {
  path: string;
  sha256: string;
  bytes: number;
}

export interface ModelManifest {
  manifestVersion: number;
  name: string;
  task: ModelTask;
  family: string;
  description: string;
  licence: string;
  /** What the licence allows (licence.ts); older manifests lack it and it is derived from `licence`. */
  use?: 'commercial' | 'non-commercial' | 'unverified';
  source: { package: string; version: string; files: FileDigest[] };
  /** The converted model: file name relative to the manifest's folder. */
  model: FileDigest;
  input: InputSpec & { name: string; layout: 'NCHW' };
  outputs: { name: string; dims: (number | string)[] }[];
  /** Human-readable output layout. */
  outputLayout: string;
  dim?: number;
  requires?: string[];
  crop?: string;
  /** Embedders: operating points measured for this model (catalog), e.g. `live` (lib/eval/live) and `lfw`. */
  operatingPoints?: { live?: import('./catalog.js').LiveOperatingPoint; lfw?: { threshold: number; far: number } };
  converter: { name: string; version: string };
  /** The source package's licence text, relative to the manifest's folder (notices.ts); manifests written before it lack it. */
  licenceFile?: string;
  createdAt: string;
}

const REQUIRED: (keyof ModelManifest)[] = [
  'manifestVersion', 'name', 'task', 'family', 'licence', 'source', 'model', 'input', 'outputs', 'converter',
];

/** Reads and checks a manifest; throws ModelError naming the file. */
export function readManifest(file: string): ModelManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ModelError(`Model manifest ${file} cannot be read: ${(err as Error).message}`, { cause: err });
  }
  const m = raw as Record<string, unknown>;
  const missing = REQUIRED.filter((k) => m?.[k] === undefined);
  if (missing.length > 0) throw new ModelError(`Model manifest ${file} lacks ${missing.join(', ')}`);
  if (m.manifestVersion !== MANIFEST_VERSION) {
    throw new ModelError(`Model manifest ${file} has version ${String(m.manifestVersion)}; this livefr reads version ${MANIFEST_VERSION}`);
  }
  if (!(MODEL_TASKS as readonly string[]).includes(m.task as string)) {
    throw new ModelError(`Model manifest ${file} has an unknown task ${JSON.stringify(m.task)}`);
  }
  const model = m.model as Partial<FileDigest>;
  if (typeof model.path !== 'string' || typeof model.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(model.sha256)) {
    throw new ModelError(`Model manifest ${file} has no valid model.path / model.sha256`);
  }
  return raw as ModelManifest;
}

export function readManifestIfExists(file: string): ModelManifest | null {
  return existsSync(file) ? readManifest(file) : null;
}

/** Writes atomically (temp file + rename) so a crash never leaves half a manifest. */
export function writeManifest(file: string, manifest: ModelManifest): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(manifest, null, 2) + '\n');
  renameSync(tmp, file);
}
