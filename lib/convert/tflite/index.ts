/**
 * TFLite -> ONNX, in TypeScript: reads a .tflite FlatBuffer (model.ts) and
 * writes an NCHW ONNX graph (onnx-builder.ts) that ONNX Runtime runs.
 *
 * Layout: the ONNX image input is NCHW [N, C, H, W] (the caller writes
 * planar data anyway). Inside, every rank-4 activation carries a layout:
 * 'nchw' once it went through a convolution or pooling, else TF order
 * ('tf'); element-wise ops, reductions and concatenations follow their
 * inputs (constants are permuted on the host), and a Transpose back to TF
 * order is inserted only where an op needs it (RESHAPE, FULLY_CONNECTED of
 * a rank-4 value) and before rank-4 outputs, so outputs compare element
 * for element with the TFLite interpreter.
 *
 * Ops: CONV_2D, DEPTHWISE_CONV_2D (weights [1, kh, kw, C x m] -> grouped
 * Conv), MAX_POOL_2D, AVERAGE_POOL_2D (SAME = ONNX SAME_UPPER, TF's
 * padding), FULLY_CONNECTED (Gemm, weights [out, in]), ADD, SUB, MUL, DIV,
 * MAXIMUM, MINIMUM, SQUARED_DIFFERENCE (with fused activations), RELU,
 * RELU6, LEAKY_RELU, PRELU, LOGISTIC, TANH, NEG, ABS, EXP, SQRT, RSQRT,
 * SQUARE, HARD_SWISH, SOFTMAX, MEAN, SUM, REDUCE_MAX, RESHAPE, SQUEEZE,
 * CONCATENATION, PAD, L2_NORMALIZATION. Weights may be float32, float16 or
 * affine-quantised int8/uint8 (dequantised to float32). Anything else is a
 * ModelError naming the operator.
 *
 * Options: `dynamicBatch` (batch dim 'N': one model for any number of
 * faces), `dynamicSize` (spatial dims 'H', 'W': fully convolutional nets
 * such as MTCNN's P-Net, run at every pyramid level).
 */
import { readFile } from 'node:fs/promises';
import { ModelError, invalidType } from '../../errors.js';
import { checkOptions } from '../../validate.js';
import { GraphBuilder } from '../onnx-builder.js';
import { FlatBufferError } from './flatbuffer.js';
import { constantFloats, constantInts, readTflite, type TfliteModel, type TfliteOperator, type TfliteTensor } from './model.js';

export interface TfliteConvertOptions {
  /** Leave the batch dimension symbolic ('N'). Default false. */
  dynamicBatch?: boolean;
  /** Leave the spatial dimensions of a rank-4 image input symbolic ('H', 'W'). Default false. */
  dynamicSize?: boolean;
}

export interface TfliteConverted {
  onnx: Uint8Array;
  inputs: { name: string; dims: (number | string)[] }[];
  /** Outputs in TFLite order and TF (NHWC) layout. */
  outputs: { name: string; dims: (number | string)[] }[];
  opCounts: Record<string, number>;
  /** TFLite ops of the source and how often. */
  sourceOps: Record<string, number>;
}

type Layout = 'nchw' | 'tf';

interface Value {
  name: string;
  /** Static shape in TF order (the TFLite tensor's), -1 where dynamic. */
  shape: number[];
  layout: Layout;
}

const NHWC_TO_NCHW = [0, 3, 1, 2];
const NCHW_TO_NHWC = [0, 2, 3, 1];
/** TF axis of a rank-4 tensor -> NCHW axis. */
const AXIS_TO_NCHW = [0, 2, 3, 1];

class Converter {
  readonly g = new GraphBuilder('livefr-tflite');
  private readonly values = new Map<number, Value>();
  /** TF-order Transposes already made, by NCHW value name. */
  private readonly tfCopies = new Map<string, string>();
  private readonly nchwCopies = new Map<string, string>();

  constructor(readonly m: TfliteModel, readonly file: string, readonly opts: TfliteConvertOptions) {}

  fail(op: TfliteOperator | null, msg: string): never {
    throw new ModelError(`TFLite model ${this.file}${op ? `, operator ${op.index} (${op.op})` : ''}: ${msg}`);
  }

  tensor(i: number): TfliteTensor {
    const t = this.m.tensors[i];
    if (!t) this.fail(null, `tensor index ${i} out of range`);
    return t;
  }

  isConst(i: number): boolean {
    return i >= 0 && this.m.buffers[this.tensor(i).buffer] != null;
  }

  floats(op: TfliteOperator, i: number): Float32Array {
    const t = this.tensor(i);
    const v = constantFloats(this.m, t);
    if (!v) this.fail(op, `input ${t.name} must be a constant`);
    return v;
  }

  ints(op: TfliteOperator, i: number): number[] {
    const v = constantInts(this.m, this.tensor(i));
    if (!v) this.fail(op, `input ${this.tensor(i).name} must be a constant`);
    return v;
  }

  /** The value of tensor i (activations only). */
  value(op: TfliteOperator, i: number): Value {
    const v = this.values.get(i);
    if (!v) {
      if (this.isConst(i)) return this.constValue(op, i);
      this.fail(op, `input ${this.tensor(i).name} is not computed yet (graph not topologically ordered?)`);
    }
    return v;
  }

  private constValue(op: TfliteOperator, i: number): Value {
    const t = this.tensor(i);
    const name = this.g.floats(t.name, this.floats(op, i), t.shape);
    const v = { name, shape: t.shape.slice(), layout: 'tf' as Layout };
    this.values.set(i, v);
    return v;
  }

  set(i: number, name: string, layout: Layout): void {
    const t = this.tensor(i);
    this.values.set(i, { name, shape: t.signature.slice(), layout: t.shape.length === 4 ? layout : 'tf' });
  }

  /** The value in TF order. */
  tf(v: Value): string {
    if (v.layout === 'tf' || v.shape.length !== 4) return v.name;
    let c = this.tfCopies.get(v.name);
    if (!c) this.tfCopies.set(v.name, (c = this.g.op('Transpose', [v.name], { perm: NCHW_TO_NHWC }, `${v.name}/to_nhwc`)));
    return c;
  }

  /** A rank-4 value in NCHW. */
  nchw(v: Value): string {
    if (v.layout === 'nchw') return v.name;
    if (v.shape.length !== 4) throw new ModelError(`TFLite model ${this.file}: expected a rank-4 tensor, found [${v.shape.join(', ')}]`);
    let c = this.nchwCopies.get(v.name);
    if (!c) this.nchwCopies.set(v.name, (c = this.g.op('Transpose', [v.name], { perm: NHWC_TO_NCHW }, `${v.name}/to_nchw`)));
    return c;
  }

  /** A constant (TF order) laid out to broadcast against a value of `layout` and rank `rank`. */
  broadcastConst(op: TfliteOperator, i: number, layout: Layout, rank: number): string {
    const t = this.tensor(i);
    const data = this.floats(op, i);
    let shape = t.shape.slice();
    if (layout === 'nchw' && rank === 4) {
      while (shape.length < 4) shape = [1, ...shape];
      const [a, b, c, d] = shape as [number, number, number, number];
      const out = new Float32Array(data.length);
      // [a, b, c, d] (NHWC) -> [a, d, b, c]
      for (let i0 = 0; i0 < a; i0++)
        for (let i1 = 0; i1 < b; i1++)
          for (let i2 = 0; i2 < c; i2++)
            for (let i3 = 0; i3 < d; i3++) out[((i0 * d + i3) * b + i1) * c + i2] = data[((i0 * b + i1) * c + i2) * d + i3]!;
      return this.g.floats(t.name, out, [a, d, b, c]);
    }
    return this.g.floats(t.name, data, shape);
  }

  activation(op: TfliteOperator, x: string, code: number): string {
    switch (code) {
      case 0:
        return x;
      case 1:
        return this.g.op('Relu', [x]);
      case 2:
        return this.g.op('Clip', [x, this.g.floats('m1', [-1], []), this.g.floats('p1', [1], [])]);
      case 3:
        return this.g.op('Clip', [x, this.g.floats('zero', [0], []), this.g.floats('six', [6], [])]);
      case 4:
        return this.g.op('Tanh', [x]);
      default:
        this.fail(op, `fused activation ${code} is not supported`);
    }
  }

  convert(): TfliteConverted {
    const m = this.m;
    const inputs: TfliteConverted['inputs'] = [];
    for (const i of m.inputs) {
      const t = this.tensor(i);
      if (t.type !== 'float32') this.fail(null, `input ${t.name} is ${t.type}; only float32 inputs are supported`);
      const tf = t.signature.map((d) => (d < 0 ? 1 : d));
      let dims: (number | string)[];
      if (tf.length === 4) {
        dims = [tf[0]!, tf[3]!, tf[1]!, tf[2]!];
        if (this.opts.dynamicSize) dims = [dims[0]!, dims[1]!, 'H', 'W'];
      } else dims = tf.slice();
      if (this.opts.dynamicBatch) dims[0] = 'N';
      const name = this.g.input(t.name, dims);
      inputs.push({ name, dims });
      this.values.set(i, { name, shape: t.signature.slice(), layout: tf.length === 4 ? 'nchw' : 'tf' });
    }
    const sourceOps: Record<string, number> = {};
    for (const op of m.operators) {
      sourceOps[op.op] = (sourceOps[op.op] ?? 0) + 1;
      this.op(op);
    }
    const outputs: TfliteConverted['outputs'] = [];
    for (const i of m.outputs) {
      const t = this.tensor(i);
      const v = this.value({ index: -1, op: 'output', inputs: [], outputs: [], options: null }, i);
      const dims: (number | string)[] = t.signature.map((d) => (d < 0 ? 1 : d));
      if (this.opts.dynamicBatch && dims.length) dims[0] = 'N';
      if (this.opts.dynamicSize && dims.length === 4) [dims[1], dims[2]] = ['H_out', 'W_out'];
      outputs.push({ name: this.g.output(this.tf(v), t.name, dims), dims });
    }
    this.g.prune();
    return { onnx: this.g.toBytes({ source: 'tflite' }), inputs, outputs, opCounts: this.g.opCounts(), sourceOps };
  }

  private op(op: TfliteOperator): void {
    const o = op.options;
    const [i0, i1, i2] = op.inputs;
    const out = op.outputs[0]!;
    const g = this.g;
    const unary: Record<string, string> = {
      RELU: 'Relu', LOGISTIC: 'Sigmoid', TANH: 'Tanh', NEG: 'Neg', ABS: 'Abs', EXP: 'Exp', SQRT: 'Sqrt', FLOOR: 'Floor',
    };
    const binary: Record<string, string> = { ADD: 'Add', SUB: 'Sub', MUL: 'Mul', DIV: 'Div', MAXIMUM: 'Max', MINIMUM: 'Min', POW: 'Pow' };
    if (unary[op.op]) {
      const x = this.value(op, i0!);
      this.set(out, g.op(unary[op.op]!, [x.name]), x.layout);
      return;
    }
    if (binary[op.op] || op.op === 'SQUARED_DIFFERENCE') {
      const consts = [this.isConst(i0!), this.isConst(i1!)];
      if (consts[0] && consts[1]) this.fail(op, 'both inputs are constants (not folded by the TFLite converter)');
      let a: string;
      let b: string;
      let layout: Layout;
      if (consts[0] || consts[1]) {
        const x = this.value(op, consts[0] ? i1! : i0!);
        const c = this.broadcastConst(op, consts[0] ? i0! : i1!, x.layout, x.shape.length);
        layout = x.layout;
        [a, b] = consts[0] ? [c, x.name] : [x.name, c];
      } else {
        const x = this.value(op, i0!);
        const y = this.value(op, i1!);
        layout = x.layout === y.layout ? x.layout : 'tf';
        [a, b] = layout === 'nchw' ? [x.name, y.name] : [this.tf(x), this.tf(y)];
        if (x.shape.length === 4 && y.shape.length === 4 && x.layout !== y.layout) layout = 'tf';
      }
      let r: string;
      if (op.op === 'SQUARED_DIFFERENCE') {
        const d = g.op('Sub', [a, b]);
        r = g.op('Mul', [d, d]);
      } else r = g.op(binary[op.op]!, [a, b]);
      this.set(out, this.activation(op, r, o ? o.i8(0) : 0), layout);
      return;
    }
    switch (op.op) {
      case 'CONV_2D':
      case 'DEPTHWISE_CONV_2D': {
        const x = this.value(op, i0!);
        const wT = this.tensor(i1!);
        const w = this.floats(op, i1!);
        const [O, kh, kw, I] = wT.shape as [number, number, number, number];
        const depthwise = op.op === 'DEPTHWISE_CONV_2D';
        // Options: Conv2D (padding, stride_w, stride_h, act, dil_w, dil_h); DepthwiseConv2D (padding, stride_w, stride_h, depth_multiplier, act, dil_w, dil_h).
        const padding = o ? o.i8(0) : 0;
        const sw = o ? o.i32(1, 1) : 1;
        const sh = o ? o.i32(2, 1) : 1;
        const act = o ? o.i8(depthwise ? 4 : 3) : 0;
        const dw = o ? o.i32(depthwise ? 5 : 4, 1) : 1;
        const dh = o ? o.i32(depthwise ? 6 : 5, 1) : 1;
        let weights: Float32Array;
        let wDims: number[];
        let group = 1;
        if (depthwise) {
          // [1, kh, kw, C*m] -> [C*m, 1, kh, kw]
          const cm = I;
          const inC = x.shape[3]!;
          weights = new Float32Array(w.length);
          for (let c = 0; c < cm; c++) for (let y = 0; y < kh; y++) for (let z = 0; z < kw; z++) weights[(c * kh + y) * kw + z] = w[(y * kw + z) * cm + c]!;
          wDims = [cm, 1, kh, kw];
          group = inC;
          if (O !== 1) this.fail(op, `depthwise weights of shape [${wT.shape.join(', ')}]`);
        } else {
          // [O, kh, kw, I] -> [O, I, kh, kw]
          weights = new Float32Array(w.length);
          for (let a = 0; a < O; a++)
            for (let y = 0; y < kh; y++) for (let z = 0; z < kw; z++) for (let c = 0; c < I; c++) weights[((a * I + c) * kh + y) * kw + z] = w[((a * kh + y) * kw + z) * I + c]!;
          wDims = [O, I, kh, kw];
          const inC = x.shape[3]!;
          if (inC !== I) {
            if (inC % I) this.fail(op, `input channels ${inC} and filter channels ${I}`);
            group = inC / I;
          }
        }
        const ins = [this.nchw(x), g.floats(`${wT.name}`, weights, wDims)];
        if (i2 !== undefined && i2 >= 0) ins.push(g.floats(this.tensor(i2).name, this.floats(op, i2)));
        const attrs: Record<string, number | number[] | string> = { kernel_shape: [kh, kw], strides: [sh, sw], dilations: [dh, dw], group };
        if (padding === 0) attrs.auto_pad = 'SAME_UPPER';
        else attrs.pads = [0, 0, 0, 0];
        this.set(out, this.activation(op, g.op('Conv', ins, attrs), act), 'nchw');
        return;
      }
      case 'MAX_POOL_2D':
      case 'AVERAGE_POOL_2D': {
        const x = this.value(op, i0!);
        // Pool2DOptions: padding, stride_w, stride_h, filter_width, filter_height, act
        const attrs: Record<string, number | number[] | string> = {
          kernel_shape: [o!.i32(4), o!.i32(3)],
          strides: [o!.i32(2), o!.i32(1)],
        };
        if (o!.i8(0) === 0) attrs.auto_pad = 'SAME_UPPER';
        else attrs.pads = [0, 0, 0, 0];
        const r = g.op(op.op === 'MAX_POOL_2D' ? 'MaxPool' : 'AveragePool', [this.nchw(x)], attrs);
        this.set(out, this.activation(op, r, o!.i8(5)), 'nchw');
        return;
      }
      case 'FULLY_CONNECTED': {
        const x = this.value(op, i0!);
        const wT = this.tensor(i1!);
        const [outN, inN] = wT.shape as [number, number];
        if (o && o.i8(1) !== 0) this.fail(op, 'shuffled weights are not supported');
        let flat = this.tf(x);
        if (x.shape.length !== 2) flat = g.op('Reshape', [flat, g.ints('fc_shape', [-1, inN])]);
        const ins = [flat, g.floats(wT.name, this.floats(op, i1!), [outN, inN])];
        if (i2 !== undefined && i2 >= 0) ins.push(g.floats(this.tensor(i2).name, this.floats(op, i2)));
        const r = g.op('Gemm', ins, { transB: 1 });
        this.set(out, this.activation(op, r, o ? o.i8(0) : 0), 'tf');
        return;
      }
      case 'RESHAPE': {
        const x = this.value(op, i0!);
        let shape = i1 !== undefined && i1 >= 0 && this.isConst(i1) ? this.ints(op, i1) : (o?.i32s(0) ?? []);
        if (!shape.length) shape = this.tensor(out).shape;
        const inBatch = this.tensor(i0!).shape[0];
        // A dynamic batch copies the input's first dimension (ONNX Reshape 0) when the shape keeps it.
        if (this.opts.dynamicBatch && shape[0] === inBatch) shape = [0, ...shape.slice(1)];
        this.set(out, g.op('Reshape', [this.tf(x), g.ints('shape', shape)]), 'tf');
        return;
      }
      case 'SQUEEZE': {
        const x = this.value(op, i0!);
        const axes = o?.i32s(0) ?? [];
        const r = axes.length ? g.op('Squeeze', [this.tf(x), g.ints('axes', axes)]) : g.op('Squeeze', [this.tf(x)]);
        this.set(out, r, 'tf');
        return;
      }
      case 'MEAN':
      case 'SUM':
      case 'REDUCE_MAX': {
        const x = this.value(op, i0!);
        const rank = x.shape.length;
        let axes = this.ints(op, i1!).map((a) => (a < 0 ? a + rank : a));
        const keep = o ? o.bool(0) : false;
        let input = x.name;
        let layout: Layout = x.layout;
        if (x.layout === 'nchw' && rank === 4) {
          if (keep) axes = axes.map((a) => AXIS_TO_NCHW[a]!);
          else {
            input = this.tf(x);
            layout = 'tf';
          }
        }
        const onnxOp = op.op === 'MEAN' ? 'ReduceMean' : op.op === 'SUM' ? 'ReduceSum' : 'ReduceMax';
        // Opset 17: ReduceSum takes axes as an input; ReduceMean / ReduceMax as an attribute.
        const r = onnxOp === 'ReduceSum'
          ? g.op(onnxOp, [input, g.ints('axes', axes)], { keepdims: keep ? 1 : 0 })
          : g.op(onnxOp, [input], { axes, keepdims: keep ? 1 : 0 });
        this.set(out, r, keep ? layout : 'tf');
        return;
      }
      case 'SOFTMAX': {
        const x = this.value(op, i0!);
        const beta = o ? o.f32(0, 1) : 1;
        const axis = x.layout === 'nchw' && x.shape.length === 4 ? 1 : -1;
        const scaled = beta === 1 ? x.name : g.op('Mul', [x.name, g.floats('beta', [beta], [])]);
        this.set(out, g.op('Softmax', [scaled], { axis }), x.layout);
        return;
      }
      case 'PRELU': {
        const x = this.value(op, i0!);
        this.set(out, g.op('PRelu', [x.name, this.broadcastConst(op, i1!, x.layout, x.shape.length)]), x.layout);
        return;
      }
      case 'RELU6':
        this.set(out, this.activation(op, this.value(op, i0!).name, 3), this.value(op, i0!).layout);
        return;
      case 'LEAKY_RELU': {
        const x = this.value(op, i0!);
        this.set(out, g.op('LeakyRelu', [x.name], { alpha: { float: o ? o.f32(0, 0.2) : 0.2 } }), x.layout);
        return;
      }
      case 'HARD_SWISH': {
        const x = this.value(op, i0!);
        this.set(out, g.op('HardSwish', [x.name]), x.layout);
        return;
      }
      case 'SQUARE': {
        const x = this.value(op, i0!);
        this.set(out, g.op('Mul', [x.name, x.name]), x.layout);
        return;
      }
      case 'RSQRT': {
        const x = this.value(op, i0!);
        this.set(out, g.op('Reciprocal', [g.op('Sqrt', [x.name])]), x.layout);
        return;
      }
      case 'CONCATENATION': {
        const vs = op.inputs.map((i) => this.value(op, i));
        const rank = vs[0]!.shape.length;
        let axis = o ? o.i32(0) : 0;
        if (axis < 0) axis += rank;
        const allNchw = rank === 4 && vs.every((v) => v.layout === 'nchw');
        const names = vs.map((v) => (allNchw ? v.name : this.tf(v)));
        const r = g.op('Concat', names, { axis: allNchw ? AXIS_TO_NCHW[axis]! : axis });
        this.set(out, this.activation(op, r, o ? o.i8(1) : 0), allNchw ? 'nchw' : 'tf');
        return;
      }
      case 'PAD':
      case 'PADV2': {
        const x = this.value(op, i0!);
        const p = this.ints(op, i1!);
        const rank = x.shape.length;
        let before = Array.from({ length: rank }, (_, k) => p[2 * k]!);
        let after = Array.from({ length: rank }, (_, k) => p[2 * k + 1]!);
        if (x.layout === 'nchw' && rank === 4) {
          before = NHWC_TO_NCHW.map((a) => before[a]!);
          after = NHWC_TO_NCHW.map((a) => after[a]!);
        }
        const ins = [x.name, g.ints('pads', [...before, ...after])];
        if (op.op === 'PADV2' && i2 !== undefined && i2 >= 0) ins.push(g.floats('pad_value', [this.floats(op, i2)[0]!], []));
        this.set(out, g.op('Pad', ins), x.layout);
        return;
      }
      case 'L2_NORMALIZATION': {
        const x = this.value(op, i0!);
        const axis = x.layout === 'nchw' && x.shape.length === 4 ? 1 : -1;
        this.set(out, g.op('LpNormalization', [x.name], { axis, p: 2 }), x.layout);
        return;
      }
      default:
        this.fail(op, 'this TFLite operator is not supported by livefr\'s converter');
    }
  }
}

/** Converts TFLite bytes (or a file) to ONNX. Bad options: TypeError / RangeError naming the option; an unreadable model or unsupported op: ModelError. */
export async function convertTfliteModel(source: string | Uint8Array, options: TfliteConvertOptions = {}): Promise<TfliteConverted> {
  const o = checkOptions('options', options, ['dynamicBatch', 'dynamicSize'] as const);
  for (const k of ['dynamicBatch', 'dynamicSize'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'boolean') throw invalidType(`options.${k}`, 'a boolean', o[k]);
  }
  let bytes: Uint8Array;
  const file = typeof source === 'string' ? source : '<bytes>';
  if (typeof source === 'string') {
    try {
      bytes = await readFile(source);
    } catch (err) {
      throw new ModelError(`Cannot read TFLite model ${source}: ${(err as Error).message}`, { cause: err });
    }
  } else if (source instanceof Uint8Array) bytes = source;
  else throw invalidType('source', 'a .tflite path or its bytes', source);
  let model: TfliteModel;
  try {
    model = readTflite(bytes);
  } catch (err) {
    if (err instanceof FlatBufferError) throw new ModelError(`${file} is not a readable TFLite model: ${err.message}`, { cause: err });
    throw err;
  }
  try {
    return new Converter(model, file, o as TfliteConvertOptions).convert();
  } catch (err) {
    if (err instanceof FlatBufferError) throw new ModelError(`TFLite model ${file}: ${err.message}`, { cause: err });
    throw err;
  }
}
