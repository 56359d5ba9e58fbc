/**
 * The one place the registry calls the converters (lib/convert/). Each
 * converter turns a model of an npm package into ONNX bytes; this file maps
 * a catalog entry to the right call, and fingerprints the converter code so
 * a changed converter makes its models stale.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelError } from '../errors.js';
import { sha256Bytes } from './hash.js';
import type { InputSpec, ModelSpec } from './catalog.js';

export interface Converted {
  bytes: Uint8Array;
  /** Input convention of the produced graph, when the converter knows better than the catalog. */
  input?: Partial<InputSpec>;
  outputLayout?: string;
}

const distDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** Compiled files whose content defines what a converter produces. */
function converterFiles(name: ModelSpec['converter']): string[] {
  const convert = path.join(distDir, 'convert');
  const files = [path.join(convert, 'onnx-builder.js')];
  const walk = (dir: string) => {
    let entries: string[] = [];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const e of entries.sort()) {
      const p = path.join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.js')) files.push(p);
    }
  };
  if (name === 'tfjs-graph') {
    files.push(path.join(convert, 'tfjs-graph.js'));
    walk(path.join(convert, 'graph'));
  } else if (name === 'tflite') walk(path.join(convert, 'tflite'));
  else if (name === 'onnx') return [];
  else walk(path.join(convert, 'faceapi'));
  return files;
}

const versions = new Map<string, string>();

/** A short fingerprint of the converter's compiled code (changes when the converter does). */
export function converterVersion(name: ModelSpec['converter']): string {
  const cached = versions.get(name);
  if (cached) return cached;
  const parts: string[] = [];
  for (const f of converterFiles(name)) {
    try {
      parts.push(path.basename(f), sha256Bytes(readFileSync(f)));
    } catch {
      parts.push(path.basename(f), 'absent');
    }
  }
  const v = sha256Bytes(new TextEncoder().encode(parts.join('\n'))).slice(0, 12);
  versions.set(name, v);
  return v;
}

type AnyFn = (...args: unknown[]) => unknown;

async function importConverter(rel: string, fn: string, spec: ModelSpec): Promise<AnyFn> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(new URL(rel, import.meta.url).href)) as Record<string, unknown>;
  } catch (err) {
    throw new ModelError(`Model ${spec.name}: the ${spec.converter} converter is not available (${(err as Error).message})`, { cause: err });
  }
  const f = mod[fn];
  if (typeof f !== 'function') throw new ModelError(`Model ${spec.name}: the ${spec.converter} converter does not export ${fn}()`);
  return f as AnyFn;
}

function asBytes(spec: ModelSpec, r: unknown): Converted {
  if (r instanceof Uint8Array) return { bytes: r };
  const o = r as {
    bytes?: unknown;
    onnx?: unknown;
    input?: { dims?: (number | string)[]; colourOrder?: string; normalisation?: { mean: number[]; std: number[] } } & Partial<InputSpec>;
    inputs?: { dims?: (number | string)[] }[];
    outputs?: { name: string; layout?: string }[];
    outputLayout?: string;
  };
  const bytes = o?.onnx ?? o?.bytes;
  if (!(bytes instanceof Uint8Array)) throw new ModelError(`Model ${spec.name}: the ${spec.converter} converter returned no ONNX bytes`);
  const out: Converted = { bytes };
  const inp = o.input ?? (o.inputs?.[0] ? {} : undefined);
  if (inp) {
    const input: Partial<InputSpec> = {};
    const dims = inp.dims ?? o.inputs?.[0]?.dims;
    if (dims && dims.length === 4 && Number(dims[1]) === 3 && Number.isFinite(Number(dims[2])) && Number.isFinite(Number(dims[3]))) {
      input.height = Number(dims[2]);
      input.width = Number(dims[3]);
    }
    const order = inp.colourOrder ?? inp.channelOrder;
    if (order === 'rgb' || order === 'bgr') input.channelOrder = order;
    const norm = inp.normalisation ?? (inp.mean && inp.std ? { mean: inp.mean, std: inp.std } : undefined);
    if (norm && norm.mean.length === 3 && norm.std.length === 3) {
      input.mean = [norm.mean[0]!, norm.mean[1]!, norm.mean[2]!];
      input.std = [norm.std[0]!, norm.std[1]!, norm.std[2]!];
    }
    out.input = input;
  }
  if (o.outputLayout) out.outputLayout = o.outputLayout;
  else if (o.outputs?.length) out.outputLayout = o.outputs.map((x) => `${x.name}: ${x.layout ?? ''}`).join('; ');
  return out;
}

/** Converts the model of `spec` from the package at `packageDir`. */
export async function convertSpec(spec: ModelSpec, packageDir: string): Promise<Converted> {
  if (spec.converter === 'tfjs-graph') {
    const convert = await importConverter('../convert/tfjs-graph.js', 'convertGraphModel', spec);
    const json = path.join(packageDir, spec.source.files.find((f) => f.endsWith('.json'))!);
    return asBytes(spec, await convert(json, spec.convertOptions ?? {}));
  }
  if (spec.converter === 'onnx') {
    // Shipped as ONNX: copied as is (the registry then checks it runs and records its sha256).
    const { readFileSync } = await import('node:fs');
    return { bytes: new Uint8Array(readFileSync(path.join(packageDir, spec.source.files[0]!))) };
  }
  if (spec.converter === 'tflite') {
    const convert = await importConverter('../convert/tflite/index.js', 'convertTfliteModel', spec);
    return asBytes(spec, await convert(path.join(packageDir, spec.source.files[0]!), spec.convertOptions ?? {}));
  }
  const convert = await importConverter('../convert/faceapi/index.js', 'convertFaceApiModel', spec);
  return asBytes(spec, await convert(spec.sourceId, { modelDir: path.join(packageDir, 'model') }));
}
