/**
 * Reads a TensorFlow.js graph model (`model.json` + `.bin` shards) and
 * decodes its weights: float32, int32, bool, and the quantised forms the
 * TFJS converter writes (uint8 / uint16 affine with `{scale, min}`, and
 * float16). Every problem is a ModelError naming the file and the weight.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ModelError } from '../../errors.js';

export type HostDType = 'float32' | 'int32' | 'bool';

/** A decoded constant tensor (row-major, TF logical layout). */
export interface HostTensor {
  dtype: HostDType;
  shape: number[];
  data: Float32Array | Int32Array;
}

export interface WeightEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number; original_dtype?: string };
}

export interface WeightGroup {
  paths: string[];
  weights: WeightEntry[];
}

/** One node of a TF GraphDef in its JSON form. */
export interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfAttr>;
}

export interface TfAttr {
  s?: string;
  i?: string | number;
  f?: number;
  b?: boolean;
  type?: string;
  shape?: { dim?: { size?: string | number }[]; unknownRank?: boolean };
  list?: { s?: string[]; i?: (string | number)[]; f?: number[]; type?: string[] };
  tensor?: TfTensorProto;
}

export interface TfTensorProto {
  dtype?: string;
  tensorShape?: { dim?: { size?: string | number }[] };
  floatVal?: number[];
  intVal?: number[];
  boolVal?: boolean[];
  tensorContent?: string;
}

export interface GraphModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  modelTopology: { node: TfNode[]; library?: { function?: unknown[] } };
  weightsManifest: WeightGroup[];
  signature?: ModelSignature;
  userDefinedMetadata?: { signature?: ModelSignature };
}

export interface ModelSignature {
  inputs?: Record<string, { name: string; dtype?: string; tensorShape?: { dim?: { size?: string | number }[] } }>;
  outputs?: Record<string, { name: string; dtype?: string; tensorShape?: { dim?: { size?: string | number }[] } }>;
}

export interface LoadedGraphModel {
  path: string;
  json: GraphModelJson;
  weights: Map<string, HostTensor>;
  /** Bytes of weight data read from the shards. */
  weightBytes: number;
}

const QUANT_BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };
const PLAIN_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/** Decodes one IEEE 754 half-precision value. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function product(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Decodes the bytes of one manifest entry. `bytes` must hold exactly the
 * entry's bytes. Exported for the quantisation tests.
 */
export function decodeWeight(entry: WeightEntry, bytes: Uint8Array): HostTensor {
  const n = product(entry.shape);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const q = entry.quantization;
  const dtype: HostDType = entry.dtype === 'int32' ? 'int32' : entry.dtype === 'bool' ? 'bool' : 'float32';
  if (entry.dtype !== 'float32' && entry.dtype !== 'int32' && entry.dtype !== 'bool') {
    throw new ModelError(`Weight ${entry.name} has dtype ${entry.dtype}, which livefr cannot decode (float32, int32, bool only)`);
  }
  if (q) {
    const size = QUANT_BYTES[q.dtype];
    if (size === undefined) throw new ModelError(`Weight ${entry.name} uses unknown quantization dtype ${q.dtype}`);
    const values = new Float64Array(n);
    if (q.dtype === 'float16') {
      for (let i = 0; i < n; i++) values[i] = halfToFloat(view.getUint16(i * 2, true));
    } else {
      if (typeof q.scale !== 'number' || typeof q.min !== 'number') {
        throw new ModelError(`Weight ${entry.name} is ${q.dtype}-quantised but lacks a numeric scale and min`);
      }
      for (let i = 0; i < n; i++) {
        const raw = q.dtype === 'uint8' ? view.getUint8(i) : view.getUint16(i * 2, true);
        values[i] = q.min + q.scale * raw;
      }
    }
    if (dtype === 'float32') return { dtype, shape: entry.shape, data: Float32Array.from(values) };
    const ints = new Int32Array(n);
    for (let i = 0; i < n; i++) ints[i] = Math.round(values[i]!);
    return { dtype, shape: entry.shape, data: ints };
  }
  if (dtype === 'float32') {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
    return { dtype, shape: entry.shape, data: out };
  }
  const out = new Int32Array(n);
  if (dtype === 'int32') for (let i = 0; i < n; i++) out[i] = view.getInt32(i * 4, true);
  else for (let i = 0; i < n; i++) out[i] = view.getUint8(i);
  return { dtype, shape: entry.shape, data: out };
}

/** Bytes one manifest entry occupies in the shards. */
export function entryBytes(entry: WeightEntry): number {
  const n = product(entry.shape);
  if (entry.quantization) {
    const size = QUANT_BYTES[entry.quantization.dtype];
    if (size === undefined) throw new ModelError(`Weight ${entry.name} uses unknown quantization dtype ${entry.quantization.dtype}`);
    return n * size;
  }
  const size = PLAIN_BYTES[entry.dtype];
  if (size === undefined) throw new ModelError(`Weight ${entry.name} has dtype ${entry.dtype}, which livefr cannot decode`);
  return n * size;
}

function checkShape(where: string, shape: unknown): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ModelError(`${where}: shape must be an array of non-negative integers`);
  }
  return shape as number[];
}

/** Parses model.json and decodes every weight of its manifest. */
export function readGraphModel(modelJsonPath: string): LoadedGraphModel {
  if (!existsSync(modelJsonPath) || !statSync(modelJsonPath).isFile()) {
    throw new ModelError(`TFJS model file not found: ${JSON.stringify(modelJsonPath)}`);
  }
  let json: GraphModelJson;
  try {
    json = JSON.parse(readFileSync(modelJsonPath, 'utf8')) as GraphModelJson;
  } catch (err) {
    throw new ModelError(`${modelJsonPath} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof json !== 'object' || json === null || !json.modelTopology || !Array.isArray(json.modelTopology.node)) {
    throw new ModelError(`${modelJsonPath} is not a TFJS graph model (no modelTopology.node array; layers models are not supported)`);
  }
  if (json.modelTopology.library?.function?.length) {
    throw new ModelError(`${modelJsonPath} uses graph functions (control flow), which the converter does not support`);
  }
  if (!Array.isArray(json.weightsManifest)) throw new ModelError(`${modelJsonPath} has no weightsManifest array`);
  const dir = path.dirname(modelJsonPath);
  const weights = new Map<string, HostTensor>();
  let total = 0;
  json.weightsManifest.forEach((group, gi) => {
    if (!Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new ModelError(`${modelJsonPath}: weightsManifest[${gi}] needs paths and weights arrays`);
    }
    const shards = group.paths.map((p) => {
      const file = path.resolve(dir, p);
      if (!existsSync(file)) throw new ModelError(`Weight shard ${JSON.stringify(p)} of ${modelJsonPath} is missing`);
      return readFileSync(file);
    });
    const buf = shards.length === 1 ? shards[0]! : Buffer.concat(shards);
    const need = group.weights.reduce((a, w) => a + entryBytes({ ...w, shape: checkShape(`${modelJsonPath} weight ${w.name}`, w.shape) }), 0);
    if (buf.byteLength !== need) {
      throw new ModelError(
        `Weight shards ${group.paths.join(', ')} of ${modelJsonPath} hold ${buf.byteLength} bytes but the manifest describes ${need}: ` +
          (buf.byteLength < need ? 'truncated or corrupt file' : 'corrupt file or wrong manifest'),
      );
    }
    let offset = 0;
    for (const w of group.weights) {
      const size = entryBytes(w);
      weights.set(w.name, decodeWeight(w, buf.subarray(offset, offset + size)));
      offset += size;
    }
    total += buf.byteLength;
  });
  return { path: modelJsonPath, json, weights, weightBytes: total };
}

/** Decodes an inline Const tensor of the GraphDef (floatVal / intVal / tensorContent). */
export function inlineTensor(node: TfNode): HostTensor | undefined {
  const t = node.attr?.value?.tensor;
  if (!t) return undefined;
  const shape = (t.tensorShape?.dim ?? []).map((d) => Number(d.size ?? 0));
  const n = product(shape);
  const dt = t.dtype ?? node.attr?.dtype?.type;
  const isFloat = dt === 'DT_FLOAT';
  const isInt = dt === 'DT_INT32' || dt === 'DT_INT64';
  const isBool = dt === 'DT_BOOL';
  if (!isFloat && !isInt && !isBool) return undefined;
  if (t.tensorContent) {
    const bytes = Buffer.from(t.tensorContent, 'base64');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (isFloat) return { dtype: 'float32', shape, data: Float32Array.from({ length: n }, (_, i) => view.getFloat32(i * 4, true)) };
    if (dt === 'DT_INT64') return { dtype: 'int32', shape, data: Int32Array.from({ length: n }, (_, i) => Number(view.getBigInt64(i * 8, true))) };
    if (isBool) return { dtype: 'bool', shape, data: Int32Array.from({ length: n }, (_, i) => view.getUint8(i)) };
    return { dtype: 'int32', shape, data: Int32Array.from({ length: n }, (_, i) => view.getInt32(i * 4, true)) };
  }
  const vals: number[] = isFloat ? (t.floatVal ?? []) : isBool ? (t.boolVal ?? []).map(Number) : (t.intVal ?? []).map(Number);
  if (vals.length === 0 && n > 0) return undefined;
  const fill = (i: number) => Number(vals[Math.min(i, vals.length - 1)]);
  if (isFloat) return { dtype: 'float32', shape, data: Float32Array.from({ length: n }, (_, i) => fill(i)) };
  return { dtype: isBool ? 'bool' : 'int32', shape, data: Int32Array.from({ length: n }, (_, i) => fill(i)) };
}
