/**
 * Runs an original TensorFlow.js model in Node, for exactness checks of
 * the converted ONNX models. `@tensorflow/tfjs` is a development
 * dependency: it is loaded on demand, so the library itself never needs
 * it. Graph models and face-api weight manifests are read from local
 * files (no network); the CPU backend is used by default (deterministic,
 * plain float32), the WASM backend on request.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ModelError } from '../errors.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Tf = any;

let tfPromise: Promise<Tf> | undefined;
let backendName: string | undefined;

/** Loads @tensorflow/tfjs and selects a backend ('cpu' default, or 'wasm'). */
export async function loadTf(backend: 'cpu' | 'wasm' = 'cpu'): Promise<Tf> {
  tfPromise ??= (async () => {
    // Silence the "install tfjs-node" hint tfjs prints in Node.
    const warn = console.warn;
    const log = console.log;
    console.warn = () => {};
    console.log = () => {};
    try {
      return await import('@tensorflow/tfjs' as string);
    } catch (err) {
      throw new ModelError('The TFJS reference runner needs the @tensorflow/tfjs development dependency', { cause: err });
    } finally {
      console.warn = warn;
      console.log = log;
    }
  })();
  const tf = await tfPromise;
  if (backendName !== backend) {
    if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm' as string);
    const [log, warn] = [console.log, console.warn];
    console.log = () => {}; // the "install tfjs-node" banner is printed on backend start
    console.warn = () => {};
    try {
      await tf.setBackend(backend);
      await tf.ready();
    } finally {
      [console.log, console.warn] = [log, warn];
    }
    backendName = backend;
  }
  return tf;
}

/** An IO handler that reads model.json and its shards from disk. */
export function fileHandler(modelJsonPath: string): { load: () => Promise<any> } {
  return {
    load: async () => {
      const json = JSON.parse(readFileSync(modelJsonPath, 'utf8'));
      const dir = path.dirname(modelJsonPath);
      const specs: any[] = [];
      const parts: Buffer[] = [];
      for (const group of json.weightsManifest) {
        specs.push(...group.weights);
        for (const p of group.paths) parts.push(readFileSync(path.resolve(dir, p)));
      }
      const all = Buffer.concat(parts);
      const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
      return {
        modelTopology: json.modelTopology,
        weightSpecs: specs,
        weightData,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        signature: json.signature,
        userDefinedMetadata: json.userDefinedMetadata,
      };
    },
  };
}

export interface ReferenceTensor {
  data: Float32Array;
  dims: number[];
}

/** A loaded TFJS graph model that runs NHWC float inputs. */
export class TfjsReference {
  private constructor(
    private readonly tf: Tf,
    private readonly model: any,
  ) {}

  static async load(modelJsonPath: string, backend: 'cpu' | 'wasm' = 'cpu'): Promise<TfjsReference> {
    const tf = await loadTf(backend);
    const model = await tf.loadGraphModel(fileHandler(modelJsonPath));
    return new TfjsReference(tf, model);
  }

  /** Runs the model on one NHWC input and returns the named outputs (default: the model's outputs). */
  run(input: ReferenceTensor, outputs?: string[]): ReferenceTensor[] {
    const tf = this.tf;
    const x = tf.tensor(input.data, input.dims, 'float32');
    try {
      const names = outputs ?? this.model.outputs.map((o: { name: string }) => o.name);
      const res = this.model.execute(x, names);
      const list = Array.isArray(res) ? res : [res];
      const out = list.map((t: any) => ({ data: Float32Array.from(t.dataSync()), dims: [...t.shape] }));
      for (const t of list) t.dispose();
      return out;
    } finally {
      x.dispose();
    }
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** NHWC -> NCHW copy of a rank-4 float tensor. */
export function nhwcToNchw(data: Float32Array, dims: number[]): ReferenceTensor {
  const [n, h, w, c] = dims as [number, number, number, number];
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < c; k++) out[((b * c + k) * h + y) * w + x] = data[((b * h + y) * w + x) * c + k]!;
  return { data: out, dims: [n, c, h, w] };
}

/**
 * The exactness metric used by the tests: max |a - b| / max(max |b|, 1e-3),
 * where b is the TFJS reference. A value of 1e-4 means the largest error is
 * a ten-thousandth of the output's dynamic range.
 */
export function relativeMaxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = 1e-3;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

/** Cosine similarity of two vectors. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
}
