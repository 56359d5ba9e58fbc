/**
 * Reads a TFJS weight manifest (`<name>-weights_manifest.json` plus its
 * `.bin` shards) as shipped by @vladmandic/face-api, and dequantises every
 * tensor to float32 exactly as tfjs-core does when it loads the same files:
 * `value = byte * scale + min` (computed in double, stored as float32) for
 * uint8/uint16 quantisation, `Math.round(...)` for int32 tensors.
 *
 * Every failure is a ModelError naming the file and, where it applies, the
 * tensor: a missing or unreadable file, malformed JSON, an unsupported dtype,
 * a shard shorter than the manifest says (truncated download), a missing
 * entry.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ModelError } from '../../errors.js';

export interface WeightTensor {
  name: string;
  /** TF layout as stored (filters are HWIO, depthwise filters HWC1). */
  shape: number[];
  dtype: 'float32' | 'int32';
  data: Float32Array | Int32Array;
}

export interface WeightMap {
  /** Where the manifest was read from. */
  manifestPath: string;
  /** The shard files, in order. */
  shards: string[];
  tensors: Map<string, WeightTensor>;
  /** Fetches a float tensor and checks its shape; ModelError naming it otherwise. */
  get(name: string, shape?: number[]): Float32Array;
  /** The stored shape of a tensor (ModelError when absent). */
  shapeOf(name: string): number[];
}

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number };
}

const require = createRequire(import.meta.url);

/** The face-api package folder in node_modules. */
export function faceApiPackageDir(): string {
  try {
    return path.dirname(require.resolve('@vladmandic/face-api/package.json'));
  } catch (err) {
    throw new ModelError(
      'The @vladmandic/face-api package is not installed: run `npm install` (it is a dependency of livefr)',
      { cause: err },
    );
  }
}

/** The version of the installed @vladmandic/face-api. */
export function faceApiVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(faceApiPackageDir(), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** The default folder holding face-api's weight manifests. */
export function faceApiModelDir(): string {
  return path.join(faceApiPackageDir(), 'model');
}

function count(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function parseManifest(file: string): { paths: string[]; weights: ManifestEntry[] }[] {
  if (!existsSync(file)) throw new ModelError(`Weight manifest not found: ${file}`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ModelError(`Weight manifest ${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!Array.isArray(json)) throw new ModelError(`Weight manifest ${file} should be a JSON array of weight groups`);
  return json.map((g: unknown, i: number) => {
    const group = g as { paths?: unknown; weights?: unknown };
    if (!Array.isArray(group?.paths) || !Array.isArray(group.weights)) {
      throw new ModelError(`Weight manifest ${file}: group ${i} lacks "paths" or "weights"`);
    }
    for (const w of group.weights as ManifestEntry[]) {
      if (typeof w?.name !== 'string' || !Array.isArray(w.shape) || !w.shape.every((d) => Number.isInteger(d) && d >= 0)) {
        throw new ModelError(`Weight manifest ${file}: malformed entry ${JSON.stringify(w).slice(0, 120)}`);
      }
    }
    return { paths: group.paths as string[], weights: group.weights as ManifestEntry[] };
  });
}

function dequantise(e: ManifestEntry, bytes: Uint8Array, file: string): WeightTensor {
  const n = count(e.shape);
  const q = e.quantization;
  const isInt = e.dtype === 'int32';
  const out = isInt ? new Int32Array(n) : new Float32Array(n);
  if (q) {
    if (typeof q.scale !== 'number' || typeof q.min !== 'number') {
      throw new ModelError(`Weight manifest ${file}: tensor ${e.name} uses ${q.dtype} quantisation without scale/min`);
    }
    const { scale, min } = q;
    if (q.dtype === 'uint8') {
      for (let i = 0; i < n; i++) out[i] = isInt ? Math.round(bytes[i]! * scale + min) : bytes[i]! * scale + min;
    } else if (q.dtype === 'uint16') {
      const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0; i < n; i++) {
        const x = v.getUint16(2 * i, true);
        out[i] = isInt ? Math.round(x * scale + min) : x * scale + min;
      }
    } else {
      throw new ModelError(`Weight manifest ${file}: tensor ${e.name} uses unsupported quantisation ${JSON.stringify(q.dtype)}`);
    }
  } else {
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < n; i++) out[i] = isInt ? v.getInt32(4 * i, true) : v.getFloat32(4 * i, true);
  }
  return { name: e.name, shape: e.shape, dtype: isInt ? 'int32' : 'float32', data: out };
}

function byteSize(e: ManifestEntry, file: string): number {
  if (e.dtype !== 'float32' && e.dtype !== 'int32') {
    throw new ModelError(`Weight manifest ${file}: tensor ${e.name} has unsupported dtype ${JSON.stringify(e.dtype)}`);
  }
  const per = e.quantization ? (e.quantization.dtype === 'uint8' ? 1 : e.quantization.dtype === 'uint16' ? 2 : NaN) : 4;
  if (Number.isNaN(per)) {
    throw new ModelError(`Weight manifest ${file}: tensor ${e.name} uses unsupported quantisation ${JSON.stringify(e.quantization!.dtype)}`);
  }
  return count(e.shape) * per;
}

/**
 * Loads `<dir>/<model>-weights_manifest.json` and its shards. Shards of one
 * group are concatenated, as tfjs does.
 */
export function loadWeightMap(dir: string, model: string): WeightMap {
  const manifestPath = path.join(dir, `${model}-weights_manifest.json`);
  const groups = parseManifest(manifestPath);
  const tensors = new Map<string, WeightTensor>();
  const shards: string[] = [];
  for (const group of groups) {
    const parts = group.paths.map((p) => {
      const file = path.join(dir, p);
      shards.push(file);
      if (!existsSync(file)) throw new ModelError(`Weight file not found: ${file} (listed in ${manifestPath})`);
      return new Uint8Array(readFileSync(file));
    });
    const total = parts.reduce((a, p) => a + p.byteLength, 0);
    const buf = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      buf.set(p, o);
      o += p.byteLength;
    }
    const where = group.paths.map((p) => path.join(dir, p)).join(' + ');
    let offset = 0;
    for (const e of group.weights) {
      const size = byteSize(e, manifestPath);
      if (offset + size > total) {
        throw new ModelError(
          `Weight file ${where} is truncated: tensor ${e.name} needs bytes ${offset}..${offset + size} but the file has ${total} bytes`,
        );
      }
      tensors.set(e.name, dequantise(e, buf.subarray(offset, offset + size), manifestPath));
      offset += size;
    }
    if (offset !== total) {
      throw new ModelError(`Weight file ${where} has ${total - offset} bytes more than ${manifestPath} describes`);
    }
  }
  const entry = (name: string): WeightTensor => {
    const t = tensors.get(name);
    if (!t) throw new ModelError(`Weight manifest ${manifestPath} lacks tensor ${name}`);
    return t;
  };
  return {
    manifestPath,
    shards,
    tensors,
    shapeOf: (name) => entry(name).shape,
    get(name, shape) {
      const t = entry(name);
      if (t.dtype !== 'float32') throw new ModelError(`Weight manifest ${manifestPath}: tensor ${name} should be float32, not ${t.dtype}`);
      if (shape && (shape.length !== t.shape.length || shape.some((d, i) => d !== t.shape[i]))) {
        throw new ModelError(
          `Weight manifest ${manifestPath}: tensor ${name} has shape [${t.shape.join(',')}], expected [${shape.join(',')}]`,
        );
      }
      return t.data as Float32Array;
    },
  };
}
