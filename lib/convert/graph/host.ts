/**
 * Host-side (JavaScript) tensor arithmetic for constant folding: the
 * converter evaluates every subgraph whose inputs are known (shape
 * arithmetic, weight preprocessing) here instead of emitting ONNX nodes.
 */
import { ModelError } from '../../errors.js';
import type { HostDType, HostTensor } from './weights.js';

export function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function strides(shape: number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

export function host(dtype: HostDType, shape: number[], values: ArrayLike<number>): HostTensor {
  const data = dtype === 'float32' ? Float32Array.from(values) : Int32Array.from(values);
  return { dtype, shape: [...shape], data };
}

export function scalarOf(t: HostTensor): number {
  if (t.data.length !== 1) throw new ModelError(`Expected a scalar constant but got shape [${t.shape.join(',')}]`);
  return t.data[0]!;
}

export function broadcastShape(a: number[], b: number[], where: string): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ModelError(`${where}: shapes [${a.join(',')}] and [${b.join(',')}] do not broadcast`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Index into `shape` (right-aligned broadcast) for each element of `out`. */
function broadcastIndex(shape: number[], out: number[]): Int32Array {
  const n = size(out);
  const idx = new Int32Array(n);
  const r = out.length;
  const src = strides(shape);
  const coord = new Array<number>(r).fill(0);
  for (let i = 0; i < n; i++) {
    let off = 0;
    for (let d = 0; d < r; d++) {
      const sd = d - (r - shape.length);
      if (sd >= 0 && shape[sd] !== 1) off += coord[d]! * src[sd]!;
    }
    idx[i] = off;
    for (let d = r - 1; d >= 0; d--) {
      if (++coord[d]! < out[d]!) break;
      coord[d] = 0;
    }
  }
  return idx;
}

const BINARY: Record<string, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  AddV2: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  RealDiv: (a, b) => a / b,
  Div: (a, b) => a / b,
  FloorDiv: (a, b) => Math.floor(a / b),
  FloorMod: (a, b) => a - Math.floor(a / b) * b,
  Maximum: (a, b) => Math.max(a, b),
  Minimum: (a, b) => Math.min(a, b),
  Pow: (a, b) => a ** b,
  SquaredDifference: (a, b) => (a - b) * (a - b),
};

export function isHostBinary(op: string): boolean {
  return op in BINARY;
}

export function binaryHost(op: string, a: HostTensor, b: HostTensor, where: string): HostTensor {
  const f = BINARY[op]!;
  const shape = broadcastShape(a.shape, b.shape, where);
  const ia = broadcastIndex(a.shape, shape);
  const ib = broadcastIndex(b.shape, shape);
  const dtype: HostDType = a.dtype === 'float32' || b.dtype === 'float32' ? 'float32' : 'int32';
  const out = dtype === 'float32' ? new Float32Array(ia.length) : new Int32Array(ia.length);
  for (let i = 0; i < ia.length; i++) {
    const v = f(a.data[ia[i]!]!, b.data[ib[i]!]!);
    out[i] = dtype === 'int32' && (op === 'RealDiv' || op === 'Div') ? Math.trunc(v) : v;
  }
  return { dtype, shape, data: out };
}

const UNARY: Record<string, (x: number) => number> = {
  Neg: (x) => -x,
  Abs: Math.abs,
  Sqrt: Math.sqrt,
  Rsqrt: (x) => 1 / Math.sqrt(x),
  Square: (x) => x * x,
  Exp: Math.exp,
  Log: Math.log,
  Relu: (x) => Math.max(x, 0),
  Relu6: (x) => Math.min(Math.max(x, 0), 6),
  Sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  Tanh: Math.tanh,
  Floor: Math.floor,
  Ceil: Math.ceil,
  Reciprocal: (x) => 1 / x,
};

export function isHostUnary(op: string): boolean {
  return op in UNARY;
}

export function unaryHost(op: string, t: HostTensor): HostTensor {
  const f = UNARY[op]!;
  return { dtype: t.dtype, shape: [...t.shape], data: t.dtype === 'float32' ? Float32Array.from(t.data, f) : Int32Array.from(t.data, f) };
}

export function transposeHost(t: HostTensor, perm: number[]): HostTensor {
  const shape = perm.map((p) => t.shape[p]!);
  const src = strides(t.shape);
  const n = t.data.length;
  const out = t.dtype === 'float32' ? new Float32Array(n) : new Int32Array(n);
  const coord = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let off = 0;
    for (let d = 0; d < shape.length; d++) off += coord[d]! * src[perm[d]!]!;
    out[i] = t.data[off]!;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++coord[d]! < shape[d]!) break;
      coord[d] = 0;
    }
  }
  return { dtype: t.dtype, shape, data: out };
}

export function concatHost(ts: HostTensor[], axis: number): HostTensor {
  const first = ts[0]!;
  const shape = [...first.shape];
  shape[axis] = ts.reduce((a, t) => a + t.shape[axis]!, 0);
  const outer = size(first.shape.slice(0, axis));
  const dtype = first.dtype;
  const out = dtype === 'float32' ? new Float32Array(size(shape)) : new Int32Array(size(shape));
  let o = 0;
  for (let i = 0; i < outer; i++) {
    for (const t of ts) {
      const chunk = size(t.shape.slice(axis));
      out.set(t.data.subarray(i * chunk, (i + 1) * chunk), o);
      o += chunk;
    }
  }
  return { dtype, shape, data: out };
}

/** A normalised TF strided slice: per input dim, begin / end / step, plus which output dims are dropped or added. */
export interface SliceSpec {
  begin: number[];
  end: number[];
  step: number[];
  /** Input dims removed from the output (shrink_axis_mask). */
  shrink: boolean[];
  /** Output shape (with new axes and without shrunk dims). */
  outShape: number[];
  /** Output positions of new size-1 axes (new_axis_mask), in final output order. */
  newAxes: number[];
}

/** Resolves TF StridedSlice semantics (masks included; ellipsis only when it is a no-op). */
export function stridedSliceSpec(
  shape: number[],
  beginIn: number[],
  endIn: number[],
  stridesIn: number[],
  masks: { begin: number; end: number; shrink: number; newAxis: number; ellipsis: number },
  where: string,
): SliceSpec {
  if (masks.ellipsis) throw new ModelError(`${where}: StridedSlice with ellipsis_mask is not supported`);
  const begin: number[] = [];
  const end: number[] = [];
  const step: number[] = [];
  const shrink: boolean[] = [];
  const outShape: number[] = [];
  const newAxes: number[] = [];
  let dim = 0;
  for (let i = 0; i < beginIn.length; i++) {
    if (masks.newAxis & (1 << i)) {
      newAxes.push(outShape.length);
      outShape.push(1);
      continue;
    }
    const n = shape[dim];
    if (n === undefined) throw new ModelError(`${where}: slice spec longer than the tensor rank ${shape.length}`);
    const s = stridesIn[i] ?? 1;
    if (s === 0) throw new ModelError(`${where}: StridedSlice stride 0`);
    let b = beginIn[i] ?? 0;
    let e = endIn[i] ?? n;
    if (masks.shrink & (1 << i)) {
      if (b < 0) b += n;
      begin.push(b);
      end.push(b + 1);
      step.push(1);
      shrink.push(true);
      dim++;
      continue;
    }
    if (s > 0) {
      b = masks.begin & (1 << i) ? 0 : b < 0 ? Math.max(b + n, 0) : Math.min(b, n);
      e = masks.end & (1 << i) ? n : e < 0 ? Math.max(e + n, 0) : Math.min(e, n);
    } else {
      b = masks.begin & (1 << i) ? n - 1 : b < 0 ? Math.max(b + n, -1) : Math.min(b, n - 1);
      e = masks.end & (1 << i) ? -1 : e < 0 ? Math.max(e + n, -1) : Math.min(e, n - 1);
    }
    begin.push(b);
    end.push(e);
    step.push(s);
    shrink.push(false);
    outShape.push(Math.max(0, Math.ceil((e - b) / s)));
    dim++;
  }
  for (; dim < shape.length; dim++) {
    begin.push(0);
    end.push(shape[dim]!);
    step.push(1);
    shrink.push(false);
    outShape.push(shape[dim]!);
  }
  return { begin, end, step, shrink, outShape, newAxes };
}

export function stridedSliceHost(t: HostTensor, spec: SliceSpec): HostTensor {
  const dims = t.shape.map((_, d) => Math.max(0, Math.ceil((spec.end[d]! - spec.begin[d]!) / spec.step[d]!)));
  const n = size(dims);
  const src = strides(t.shape);
  const out = t.dtype === 'float32' ? new Float32Array(n) : new Int32Array(n);
  const coord = new Array<number>(dims.length).fill(0);
  for (let i = 0; i < n; i++) {
    let off = 0;
    for (let d = 0; d < dims.length; d++) off += (spec.begin[d]! + coord[d]! * spec.step[d]!) * src[d]!;
    out[i] = t.data[off]!;
    for (let d = dims.length - 1; d >= 0; d--) {
      if (++coord[d]! < dims[d]!) break;
      coord[d] = 0;
    }
  }
  return { dtype: t.dtype, shape: spec.outShape, data: out };
}

/** Stands for the dynamic batch size in host int tensors (what Shape returns for it). */
export const DYNAMIC_BATCH = -(2 ** 30);

/** TF Reshape's target shape with a single -1 resolved. */
export function resolveReshape(inShape: number[], target: number[], where: string): number[] {
  if (inShape[0] === -1) {
    // Dynamic batch: the target must keep it as its first dim (the batch read
    // by a Shape op, or a leading -1) and reshape the rest.
    const fail = () =>
      new ModelError(`${where}: cannot reshape [${inShape.join(',')}] to [${target.map((d) => (d === DYNAMIC_BATCH ? 'N' : d)).join(',')}] with a dynamic batch (the graph hard-codes the batch size; convert with a fixed batch)`);
    let t = [...target];
    if (t[0] === DYNAMIC_BATCH) t[0] = -1;
    else if (!(t[0] === -1 && !t.slice(1).includes(-1))) throw fail();
    if (t.slice(1).includes(DYNAMIC_BATCH)) throw fail();
    const rest = resolveReshape(inShape.slice(1), t.slice(1), where);
    t = [-1, ...rest];
    return t;
  }
  const total = size(inShape);
  const known = target.filter((d) => d !== -1);
  const unknown = target.length - known.length;
  if (unknown > 1) throw new ModelError(`${where}: Reshape target [${target.join(',')}] has more than one -1`);
  const knownSize = size(known);
  const out = target.map((d) => (d === -1 ? (knownSize === 0 ? 0 : total / knownSize) : d));
  if (size(out) !== total || !out.every(Number.isInteger)) {
    throw new ModelError(`${where}: cannot reshape [${inShape.join(',')}] to [${target.join(',')}]`);
  }
  return out;
}
