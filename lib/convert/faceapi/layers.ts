/**
 * NCHW building blocks over GraphBuilder for the face-api networks, which
 * were written for TensorFlow (NHWC, HWIO filters, 'same'/'valid' padding).
 * Each value carries its shape so TF's padding rules can be applied with
 * explicit ONNX pads, and so graphs are checked while they are built.
 */
import { GraphBuilder } from '../onnx-builder.js';
import { ModelError } from '../../errors.js';

export interface Value {
  name: string;
  /** [C, H, W]; the batch dimension is dynamic. */
  c: number;
  h: number;
  w: number;
}

export type Padding = 'same' | 'valid';

/** TF filter [kh, kw, cin, cout] -> ONNX [cout, cin, kh, kw]. */
export function hwioToOihw(data: Float32Array, shape: number[]): Float32Array {
  const [kh, kw, ci, co] = shape as [number, number, number, number];
  const out = new Float32Array(data.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < ci; i++)
        for (let o = 0; o < co; o++) out[((o * ci + i) * kh + y) * kw + x] = data[((y * kw + x) * ci + i) * co + o]!;
  return out;
}

/** TF depthwise filter [kh, kw, c, 1] -> ONNX grouped [c, 1, kh, kw]. */
export function depthwiseToOihw(data: Float32Array, shape: number[]): Float32Array {
  const [kh, kw, c, m] = shape as [number, number, number, number];
  if (m !== 1) throw new ModelError(`depthwise multiplier ${m} is not supported (expected 1)`);
  const out = new Float32Array(data.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++) for (let i = 0; i < c; i++) out[(i * kh + y) * kw + x] = data[(y * kw + x) * c + i]!;
  return out;
}

/** TF's padding for one spatial axis: [before, after, outSize]. */
export function tfPads(size: number, k: number, s: number, padding: Padding): [number, number, number] {
  if (padding === 'valid') return [0, 0, Math.floor((size - k) / s) + 1];
  const out = Math.ceil(size / s);
  const total = Math.max((out - 1) * s + k - size, 0);
  const before = Math.floor(total / 2);
  return [before, total - before, out];
}

/** Scales each output channel of an OIHW filter (and returns a new array). */
export function scaleFilters(w: Float32Array, outChannels: number, scale: ArrayLike<number>): Float32Array {
  const per = w.length / outChannels;
  const out = new Float32Array(w.length);
  for (let o = 0; o < outChannels; o++) {
    const s = scale[o]!;
    for (let j = 0; j < per; j++) out[o * per + j] = w[o * per + j]! * s;
  }
  return out;
}

export class Net {
  private clipBounds: [string, string] | undefined;

  constructor(readonly g: GraphBuilder) {}

  input(name: string, c: number, h: number, w: number): Value {
    return { name: this.g.input(name, ['N', c, h, w]), c, h, w };
  }

  /**
   * Conv with an OIHW filter, optional bias, TF padding, optional groups
   * (groups = channels for depthwise).
   */
  conv(
    x: Value,
    weights: Float32Array,
    dims: [number, number, number, number],
    bias: Float32Array | null,
    opts: { stride: number; padding: Padding; group?: number; name: string },
  ): Value {
    const [co, ci, kh, kw] = dims;
    const group = opts.group ?? 1;
    if (ci * group !== x.c) throw new ModelError(`${opts.name}: filter expects ${ci * group} input channels, value has ${x.c}`);
    const [pt, pb, oh] = tfPads(x.h, kh, opts.stride, opts.padding);
    const [pl, pr, ow] = tfPads(x.w, kw, opts.stride, opts.padding);
    const inputs = [x.name, this.g.constant(`${opts.name}/W`, { data: weights, dims })];
    if (bias) inputs.push(this.g.constant(`${opts.name}/B`, { data: bias, dims: [co] }));
    const name = this.g.op(
      'Conv',
      inputs,
      { kernel_shape: [kh, kw], strides: [opts.stride, opts.stride], pads: [pt, pl, pb, pr], group, dilations: [1, 1] },
      opts.name,
    );
    return { name, c: co, h: oh, w: ow };
  }

  relu(x: Value): Value {
    return { ...x, name: this.g.op('Relu', [x.name]) };
  }

  relu6(x: Value): Value {
    this.clipBounds ??= [this.g.floats('zero', [0], []), this.g.floats('six', [6], [])];
    return { ...x, name: this.g.op('Clip', [x.name, ...this.clipBounds]) };
  }

  add(a: Value, b: Value): Value {
    if (a.c !== b.c || a.h !== b.h || a.w !== b.w) {
      throw new ModelError(`Add of mismatched shapes [${a.c},${a.h},${a.w}] and [${b.c},${b.h},${b.w}]`);
    }
    return { ...a, name: this.g.op('Add', [a.name, b.name]) };
  }

  pool(op: 'MaxPool' | 'AveragePool', x: Value, k: number, s: number): Value {
    const [, , oh] = tfPads(x.h, k, s, 'valid');
    const [, , ow] = tfPads(x.w, k, s, 'valid');
    const name = this.g.op(op, [x.name], { kernel_shape: [k, k], strides: [s, s], pads: [0, 0, 0, 0] });
    return { name, c: x.c, h: oh, w: ow };
  }

  /** Zero padding at the end of the channel, height and width axes. */
  padEnd(x: Value, dc: number, dh: number, dw: number): Value {
    if (dc === 0 && dh === 0 && dw === 0) return x;
    const pads = this.g.ints('pads', [0, 0, 0, 0, 0, dc, dh, dw]);
    return { name: this.g.op('Pad', [x.name, pads], { mode: 'constant' }), c: x.c + dc, h: x.h + dh, w: x.w + dw };
  }

  /** NCHW -> [N, H*W*A, k] in TF's NHWC order (h, w, anchor). */
  toRows(x: Value, k: number): string {
    const t = this.g.op('Transpose', [x.name], { perm: [0, 2, 3, 1] });
    return this.g.op('Reshape', [t, this.g.ints('shape', [0, -1, k])]);
  }
}
