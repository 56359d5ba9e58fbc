/**
 * The converter's value model. Every TF tensor becomes a `Value` with a
 * static TF (logical, NHWC for images) shape and a physical layout:
 * rank-4 activations are kept NCHW inside the ONNX graph (`layout: 'NCHW'`
 * means the ONNX tensor is the TF tensor transposed by [0,3,1,2]); a
 * transpose is only inserted where an op needs the other order, and each
 * value is transposed at most once per direction.
 *
 * Values may also be constants (`host`, folded in JavaScript) or pending
 * producers emitted lazily so the following BiasAdd / Add / Mul / Pad can
 * be folded into them (`pending`).
 */
import { ModelError } from '../../errors.js';
import { GraphBuilder } from '../onnx-builder.js';
import { transposeHost } from './host.js';
import type { HostDType, HostTensor, TfNode } from './weights.js';

export type Layout = 'TF' | 'NCHW';

/** TF axis -> NCHW physical axis (also the perm that turns NCHW into NHWC). */
export const TF_TO_PHYS = [0, 2, 3, 1];
/** Physical NCHW axis -> TF axis (also the perm that turns NHWC into NCHW). */
export const PHYS_TO_TF = [0, 3, 1, 2];

/** A convolution or dense layer whose bias / per-channel scale can still absorb following ops. */
export interface AffineSpec {
  op: 'Conv' | 'Gemm';
  input: Value;
  /** Conv: OIHW. Gemm: [K, N]. */
  weight: Float32Array;
  weightDims: number[];
  bias: Float32Array;
  attrs: Record<string, number[] | number>;
  hint: string;
}

export type Pending = { kind: 'affine'; spec: AffineSpec } | { kind: 'pad'; src: Value; pads: number[][]; value: number; mode: string; hint: string };

export interface Value {
  shape: number[];
  dtype: HostDType;
  layout: Layout;
  host?: HostTensor;
  onnx?: string;
  pending?: Pending;
  /** Cached transposed copies. */
  alt?: Partial<Record<Layout, string>>;
  /** Number of consumers in the TF graph (for folding decisions). */
  uses: number;
  /** Set on a Relu output: its input, so Minimum(relu, c) can become one Clip. */
  reluOf?: Value;
  /** Known to be >= 0 everywhere (Relu / Clip(0, c) outputs). */
  nonNegative?: boolean;
  /** PReLU written out as relu(x) + a * (x - |x|) (TF MobileFaceNet): markers for the peephole. */
  absOf?: Value;
  halfNegOf?: Value;
  negScaled?: { x: Value; slope: HostTensor };
}

export function describeShape(shape: number[]): string {
  return `[${shape.join(',')}]`;
}

export class ConvertContext {
  readonly g: GraphBuilder;
  readonly notes: string[] = [];
  node!: TfNode;

  constructor(name: string) {
    this.g = new GraphBuilder(name);
  }

  /** Where we are, for error messages. */
  get where(): string {
    return `node ${JSON.stringify(this.node?.name)} (${this.node?.op})`;
  }

  err(message: string): ModelError {
    return new ModelError(`${this.where}: ${message}`);
  }

  fail(message: string): never {
    throw this.err(message);
  }

  hint(suffix: string): string {
    return `${this.node.name}/${suffix}`;
  }

  constValue(t: HostTensor): Value {
    return { shape: [...t.shape], dtype: t.dtype, layout: 'TF', host: t, uses: 0 };
  }

  tensorValue(onnx: string, shape: number[], layout: Layout = 'TF', dtype: HostDType = 'float32'): Value {
    return { shape, dtype, layout: shape.length === 4 ? layout : 'TF', onnx, uses: 0 };
  }

  /** A float constant as an initializer, optionally permuted to NCHW broadcast form against a rank-4 tensor. */
  initializer(t: HostTensor, hint: string, nchwRank4 = false): string {
    let h = t;
    if (nchwRank4 && t.shape.length > 0) {
      const shape4 = [...new Array<number>(4 - t.shape.length).fill(1), ...t.shape];
      h = transposeHost({ ...t, shape: shape4 }, PHYS_TO_TF);
    }
    if (h.dtype === 'float32') return this.g.constant(hint, { data: h.data as Float32Array, dims: h.shape });
    return this.g.constant(hint, { data: BigInt64Array.from(Array.from(h.data, (v) => BigInt(v))), dims: h.shape });
  }

  /** Emits a pending producer and returns the ONNX name in the value's own layout. */
  materialize(v: Value): string {
    if (v.onnx) return v.onnx;
    if (v.host) {
      if (v.host.dtype !== 'float32') this.fail(`an integer constant is used as a runtime tensor`);
      v.onnx = this.initializer(v.host, this.hint('const'));
      return v.onnx;
    }
    const p = v.pending;
    if (!p) this.fail('internal: value has neither a tensor nor a producer');
    if (p.kind === 'pad') {
      const src = this.as(p.src, v.layout);
      const perm = v.layout === 'NCHW' ? PHYS_TO_TF : p.pads.map((_, i) => i);
      const pads = [...perm.map((a) => p.pads[a]![0]!), ...perm.map((a) => p.pads[a]![1]!)];
      const inputs = [src, this.g.ints(`${p.hint}/pads`, pads)];
      if (p.mode === 'constant' && p.value !== 0) inputs.push(this.g.floats(`${p.hint}/value`, [p.value], []));
      v.onnx = this.g.node('Pad', inputs, { name: p.hint, attrs: { mode: p.mode } })[0]!;
    } else {
      const s = p.spec;
      const x = this.as(s.input, s.op === 'Conv' ? 'NCHW' : 'TF');
      const w = this.g.constant(`${s.hint}/weight`, { data: s.weight, dims: s.weightDims });
      const b = this.g.constant(`${s.hint}/bias`, { data: s.bias, dims: [s.bias.length] });
      const attrs: Record<string, number | number[]> = { ...s.attrs };
      v.onnx = this.g.node(s.op, [x, w, b], { name: s.hint, attrs })[0]!;
    }
    delete v.pending;
    return v.onnx;
  }

  /** The ONNX tensor of `v` in layout `layout` (rank-4 only; other ranks are always TF). */
  as(v: Value, layout: Layout): string {
    const name = this.materialize(v);
    if (v.shape.length !== 4 || v.layout === layout) return name;
    v.alt ??= {};
    const cached = v.alt[layout];
    if (cached) return cached;
    const perm = layout === 'TF' ? TF_TO_PHYS : PHYS_TO_TF;
    const t = this.g.node('Transpose', [name], { name: `${name}/to_${layout === 'TF' ? 'nhwc' : 'nchw'}`, attrs: { perm } })[0]!;
    v.alt[layout] = t;
    return t;
  }

  /** Like `as`, but for a value that may be a constant: consts are permuted on the host. */
  operand(v: Value, layout: Layout, rank4Target: boolean, hint: string): string {
    if (v.host && !v.onnx) {
      if (v.host.dtype !== 'float32') {
        return this.initializer({ dtype: 'float32', shape: v.host.shape, data: Float32Array.from(v.host.data) }, hint, layout === 'NCHW' && rank4Target);
      }
      return this.initializer(v.host, hint, layout === 'NCHW' && rank4Target);
    }
    return this.as(v, layout);
  }
}
