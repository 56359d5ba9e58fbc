/**
 * A small ONNX graph builder over onnx-proto (protobufjs). Converters build
 * NCHW float graphs with it; `toBytes()` gives a ModelProto that ONNX
 * Runtime loads. Names are made unique automatically.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// onnx-proto is CommonJS; its typings describe the `onnx` namespace.
// eslint-disable-next-line @typescript-eslint/consistent-type-imports
const { onnx } = require('onnx-proto') as typeof import('onnx-proto');

/**
 * Attribute values. A plain integral number becomes an INT attribute: use
 * `{ float: 1 }` for a FLOAT attribute whose value happens to be integral.
 */
export type AttrValue =
  | number
  | string
  | number[]
  | Float32Array
  | { float: number }
  | { ints: number[] }
  | { floats: number[] }
  | { tensor: ConstTensor };

export interface ConstTensor {
  data: Float32Array | Int32Array | BigInt64Array | Uint8Array;
  dims: number[];
}

export const OPSET = 17;
export const IR_VERSION = 8;

function dataType(data: ConstTensor['data']): number {
  if (data instanceof Float32Array) return onnx.TensorProto.DataType.FLOAT;
  if (data instanceof Int32Array) return onnx.TensorProto.DataType.INT32;
  if (data instanceof BigInt64Array) return onnx.TensorProto.DataType.INT64;
  return onnx.TensorProto.DataType.UINT8;
}

function tensorProto(name: string, t: ConstTensor): import('onnx-proto').onnx.ITensorProto {
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength).slice();
  return { name, dims: t.dims, dataType: dataType(t.data), rawData: bytes };
}

function attribute(name: string, v: AttrValue): import('onnx-proto').onnx.IAttributeProto {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') {
    return Number.isInteger(v) ? { name, type: A.INT, i: v } : { name, type: A.FLOAT, f: v };
  }
  if ('float' in v) return { name, type: A.FLOAT, f: v.float };
  if (v instanceof Float32Array) return { name, type: A.FLOATS, floats: Array.from(v) };
  if (Array.isArray(v)) return { name, type: A.INTS, ints: v };
  if ('ints' in v) return { name, type: A.INTS, ints: v.ints };
  if ('floats' in v) return { name, type: A.FLOATS, floats: v.floats };
  return { name, type: A.TENSOR, t: tensorProto(name, v.tensor) };
}

export class GraphBuilder {
  private readonly nodes: import('onnx-proto').onnx.INodeProto[] = [];
  private readonly initializers: import('onnx-proto').onnx.ITensorProto[] = [];
  private readonly inputs: import('onnx-proto').onnx.IValueInfoProto[] = [];
  private readonly outputs: import('onnx-proto').onnx.IValueInfoProto[] = [];
  private readonly used = new Set<string>();
  private counter = 0;

  constructor(readonly name = 'livefr') {}

  /** A fresh name based on `hint`. */
  unique(hint: string): string {
    const base = hint.replace(/[^A-Za-z0-9_./:-]/g, '_') || 't';
    let n = base;
    while (this.used.has(n)) n = `${base}_${++this.counter}`;
    this.used.add(n);
    return n;
  }

  private valueInfo(name: string, dims: (number | string)[]): import('onnx-proto').onnx.IValueInfoProto {
    return {
      name,
      type: {
        tensorType: {
          elemType: onnx.TensorProto.DataType.FLOAT,
          shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
        },
      },
    };
  }

  /** Declares a float graph input. */
  input(name: string, dims: (number | string)[]): string {
    const n = this.unique(name);
    this.inputs.push(this.valueInfo(n, dims));
    return n;
  }

  /** Declares a float graph output (an existing value, renamed through Identity if needed). */
  output(value: string, name: string = value, dims: (number | string)[] = []): string {
    let out = value;
    if (name !== value) {
      if (this.used.has(name)) throw new Error(`GraphBuilder: output name ${name} is already taken`);
      out = this.node('Identity', [value], { name: `${name}/identity`, outputs: [name] })[0]!;
    }
    const info = this.valueInfo(out, dims);
    if (dims.length === 0) delete (info.type!.tensorType! as { shape?: unknown }).shape;
    this.outputs.push(info);
    return out;
  }

  /** Adds a constant tensor (initializer) and returns its name. */
  constant(hint: string, t: ConstTensor): string {
    const n = this.unique(hint);
    this.initializers.push(tensorProto(n, t));
    return n;
  }

  /** An int64 1-D constant (shapes, axes, pads). */
  ints(hint: string, values: number[]): string {
    return this.constant(hint, { data: BigInt64Array.from(values.map((v) => BigInt(v))), dims: [values.length] });
  }

  /** A float scalar or 1-D constant. */
  floats(hint: string, values: number[] | Float32Array, dims?: number[]): string {
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    return this.constant(hint, { data, dims: dims ?? [data.length] });
  }

  /**
   * Adds a node. `outputs` may be a number (that many fresh outputs) or names.
   * Returns the output names. Empty-string inputs mean "omitted optional input".
   */
  node(
    op: string,
    inputs: string[],
    opts: { name?: string; outputs?: number | string[]; attrs?: Record<string, AttrValue>; domain?: string } = {},
  ): string[] {
    const name = this.unique(opts.name ?? op);
    const outs = Array.isArray(opts.outputs)
      ? opts.outputs.map((o) => this.unique(o))
      : Array.from({ length: opts.outputs ?? 1 }, (_, i) => this.unique(i === 0 ? name : `${name}:${i}`));
    const attribute_ = Object.entries(opts.attrs ?? {}).map(([k, v]) => attribute(k, v));
    this.nodes.push({ opType: op, name, input: inputs, output: outs, attribute: attribute_, domain: opts.domain ?? '' });
    return outs;
  }

  /** Shorthand for single-output nodes. */
  op(op: string, inputs: string[], attrs?: Record<string, AttrValue>, name?: string): string {
    return this.node(op, inputs, { attrs, name })[0]!;
  }

  /**
   * Removes nodes and initializers that no graph output depends on (dead
   * code left by folding). Returns how many nodes were removed.
   */
  prune(): number {
    const live = new Set<string>(this.outputs.map((o) => o.name!));
    const keep: boolean[] = new Array<boolean>(this.nodes.length).fill(false);
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const n = this.nodes[i]!;
      if (!(n.output ?? []).some((o) => live.has(o))) continue;
      keep[i] = true;
      for (const inp of n.input ?? []) if (inp) live.add(inp);
    }
    const before = this.nodes.length;
    const kept = this.nodes.filter((_, i) => keep[i]);
    this.nodes.splice(0, this.nodes.length, ...kept);
    const inits = this.initializers.filter((t) => live.has(t.name!));
    this.initializers.splice(0, this.initializers.length, ...inits);
    return before - kept.length;
  }

  /** Counts nodes by op type (for reports and tests). */
  opCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const n of this.nodes) counts[n.opType!] = (counts[n.opType!] ?? 0) + 1;
    return counts;
  }

  get nodeCount(): number {
    return this.nodes.length;
  }

  /** Serialises the model (opset 17, IR 8). */
  toBytes(meta: Record<string, string> = {}): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'livefr',
      producerVersion: '0.1.0',
      opsetImport: [{ domain: '', version: OPSET }],
      metadataProps: Object.entries(meta).map(([key, value]) => ({ key, value })),
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
