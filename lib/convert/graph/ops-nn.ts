/**
 * Neural-network ops: convolutions (plain and fused, with BiasAdd /
 * FusedBatchNorm folded into the ONNX Conv), pooling, dense layers,
 * activations, resizing and depth/space shuffles. Activations run on NCHW.
 */
import { attrBool, attrFloat, attrInt, attrInts, attrString, attrStrings } from './attrs.js';
import type { AffineSpec, ConvertContext, Value } from './context.js';
import { transposeHost } from './host.js';
import type { HostTensor } from './weights.js';

export type OpConverter = (ctx: ConvertContext, inputs: Value[]) => Value | Value[];

function floatHost(ctx: ConvertContext, v: Value | undefined, what: string): HostTensor {
  if (!v?.host) throw ctx.err(`${what} must be a constant (weights computed at run time are not supported)`);
  const h = v.host;
  return h.dtype === 'float32' ? h : { dtype: 'float32', shape: h.shape, data: Float32Array.from(h.data) };
}

export function intsHost(ctx: ConvertContext, v: Value | undefined, what: string): number[] {
  if (!v?.host) throw ctx.err(`${what} must be a constant`);
  return Array.from(v.host.data);
}

/** Per-channel vector of length `c` from a constant broadcastable along the last axis. */
export function channelVector(t: HostTensor, c: number, rank: number): Float32Array | undefined {
  if (t.shape.length > rank) return undefined;
  const lead = t.shape.slice(0, -1);
  const last = t.shape.length === 0 ? 1 : t.shape[t.shape.length - 1]!;
  if (!lead.every((d) => d === 1) || (last !== 1 && last !== c)) return undefined;
  const out = new Float32Array(c);
  for (let i = 0; i < c; i++) out[i] = t.data[last === 1 ? 0 : i]!;
  return out;
}

/** TF padding for one spatial dim: [before, after] and the output size. */
export function spatialPad(mode: string, inSize: number, k: number, s: number, d: number): { pads: [number, number]; out: number } {
  const ek = (k - 1) * d + 1;
  if (mode === 'SAME') {
    const out = Math.ceil(inSize / s);
    const total = Math.max((out - 1) * s + ek - inSize, 0);
    const before = Math.floor(total / 2);
    return { pads: [before, total - before], out };
  }
  return { pads: [0, 0], out: Math.floor((inSize - ek) / s) + 1 };
}

function applyActivation(ctx: ConvertContext, v: Value, kind: string, args: { alpha?: number; slope?: Value }): Value {
  const layout = v.layout;
  const x = ctx.as(v, layout);
  const h = ctx.hint(kind.toLowerCase());
  let out: string;
  switch (kind) {
    case 'Relu':
      out = ctx.g.op('Relu', [x], undefined, h);
      break;
    case 'Relu6':
      out = ctx.g.op('Clip', [x, ctx.g.floats(`${h}/min`, [0], []), ctx.g.floats(`${h}/max`, [6], [])], undefined, h);
      break;
    case 'Elu':
      out = ctx.g.op('Elu', [x], { alpha: { float: 1 } }, h);
      break;
    case 'LeakyRelu':
      out = ctx.g.op('LeakyRelu', [x], { alpha: { float: args.alpha ?? 0.2 } }, h);
      break;
    case 'Sigmoid':
    case 'Tanh':
      out = ctx.g.op(kind, [x], undefined, h);
      break;
    case 'Prelu': {
      const slope = floatHost(ctx, args.slope, 'Prelu alpha');
      out = ctx.g.op('PRelu', [x, ctx.initializer(slope, `${h}/slope`, layout === 'NCHW')], undefined, h);
      break;
    }
    default:
      throw ctx.err(`unsupported fused activation ${kind}`);
  }
  const result = ctx.tensorValue(out, v.shape, layout);
  if (kind === 'Relu') result.reluOf = v;
  if (kind === 'Relu' || kind === 'Relu6' || kind === 'Sigmoid') result.nonNegative = true;
  return result;
}

/** Applies the `fused_ops` epilogue of _FusedConv2D / FusedDepthwiseConv2dNative / _FusedMatMul. */
function fusedEpilogue(ctx: ConvertContext, spec: AffineSpec, outShape: number[], args: Value[], channelAxis: 'O' | 'N'): Value {
  const fused = attrStrings(ctx.node, 'fused_ops');
  const epsilon = attrFloat(ctx.node, 'epsilon', 0.0001);
  const c = spec.bias.length;
  let argi = 0;
  const scaleOut = (scale: Float32Array) => scaleAffine(spec, scale, channelAxis);
  for (let i = 0; i < fused.length; i++) {
    const op = fused[i]!;
    if (op === 'BiasAdd') {
      const b = floatHost(ctx, args[argi++], 'bias');
      if (b.data.length !== c) throw ctx.err(`bias has ${b.data.length} values for ${c} channels`);
      for (let j = 0; j < c; j++) spec.bias[j]! += b.data[j]!;
    } else if (op === 'FusedBatchNorm' || op === 'FusedBatchNormV3') {
      const [scale, offset, mean, variance] = [0, 1, 2, 3].map((k) => floatHost(ctx, args[argi + k], 'batch-norm parameter').data);
      argi += 4;
      const mul = new Float32Array(c);
      for (let j = 0; j < c; j++) mul[j] = scale![j]! / Math.sqrt(variance![j]! + epsilon);
      scaleOut(mul);
      for (let j = 0; j < c; j++) spec.bias[j] = spec.bias[j]! + offset![j]! - mean![j]! * mul[j]!;
    } else {
      break;
    }
    fused.splice(i--, 1);
  }
  let v: Value = { shape: outShape, dtype: 'float32', layout: spec.op === 'Conv' ? 'NCHW' : 'TF', pending: { kind: 'affine', spec }, uses: 0 };
  for (const act of fused) {
    if (act === 'Prelu') v = applyActivation(ctx, v, act, { slope: args[argi++] });
    else v = applyActivation(ctx, v, act, { alpha: attrFloat(ctx.node, 'leakyrelu_alpha', 0.2) });
  }
  return v;
}

/** Multiplies output channel j of the affine op by scale[j] (weights and bias). */
export function scaleAffine(spec: AffineSpec, scale: Float32Array, _axis?: 'O' | 'N'): void {
  const c = spec.bias.length;
  if (spec.op === 'Conv') {
    const per = spec.weight.length / c;
    for (let o = 0; o < c; o++) for (let k = 0; k < per; k++) spec.weight[o * per + k]! *= scale[o]!;
  } else {
    const k = spec.weight.length / c;
    for (let r = 0; r < k; r++) for (let o = 0; o < c; o++) spec.weight[r * c + o]! *= scale[o]!;
  }
  for (let o = 0; o < c; o++) spec.bias[o]! *= scale[o]!;
}

function conv(depthwise: boolean): OpConverter {
  return (ctx, [x, f, ...args]) => {
    if (!x || x.shape.length !== 4) throw ctx.err(`expects a rank-4 input, got ${x ? `[${x.shape}]` : 'none'}`);
    if (attrString(ctx.node, 'data_format', 'NHWC') !== 'NHWC') throw ctx.err('only data_format NHWC is supported');
    const filter = floatHost(ctx, f, 'the filter');
    const [kh, kw, ci, m] = filter.shape as [number, number, number, number];
    const st = attrInts(ctx.node, 'strides', [1, 1, 1, 1]);
    const dil = attrInts(ctx.node, 'dilations', [1, 1, 1, 1]);
    if (st[0] !== 1 || st[3] !== 1) throw ctx.err('strides on batch or channels are not supported');
    const padding = attrString(ctx.node, 'padding', 'VALID');
    // Fold a preceding zero Pad on the spatial dims into the convolution.
    let src = x;
    let extra = [
      [0, 0],
      [0, 0],
    ];
    const p = x.pending;
    if (p?.kind === 'pad' && p.mode === 'constant' && p.value === 0 && p.pads[0]!.every((q) => q === 0) && p.pads[3]!.every((q) => q === 0)) {
      src = p.src;
      extra = [p.pads[1]!, p.pads[2]!];
    }
    const [n, h, w, c] = x.shape as [number, number, number, number];
    if (c !== ci) throw ctx.err(`input has ${c} channels but the filter expects ${ci}`);
    let padsH: [number, number];
    let padsW: [number, number];
    let outH: number;
    let outW: number;
    if (padding === 'EXPLICIT') {
      const e = attrInts(ctx.node, 'explicit_paddings');
      padsH = [e[2] ?? 0, e[3] ?? 0];
      padsW = [e[4] ?? 0, e[5] ?? 0];
      outH = Math.floor((h + padsH[0] + padsH[1] - ((kh - 1) * dil[1]! + 1)) / st[1]!) + 1;
      outW = Math.floor((w + padsW[0] + padsW[1] - ((kw - 1) * dil[2]! + 1)) / st[2]!) + 1;
    } else {
      const ph = spatialPad(padding, h, kh, st[1]!, dil[1]!);
      const pw = spatialPad(padding, w, kw, st[2]!, dil[2]!);
      [padsH, padsW, outH, outW] = [ph.pads, pw.pads, ph.out, pw.out];
    }
    let weight: HostTensor;
    let co: number;
    let group = 1;
    if (depthwise) {
      // [kh,kw,C,M] -> [C*M,1,kh,kw], output channel c*M+m reads input channel c.
      co = ci * m;
      weight = transposeHost(filter, [2, 3, 0, 1]);
      weight = { ...weight, shape: [co, 1, kh, kw] };
      group = ci;
    } else {
      co = m;
      weight = transposeHost(filter, [3, 2, 0, 1]);
    }
    const spec: AffineSpec = {
      op: 'Conv',
      input: src,
      weight: weight.data as Float32Array,
      weightDims: weight.shape,
      bias: new Float32Array(co),
      attrs: {
        kernel_shape: [kh, kw],
        strides: [st[1]!, st[2]!],
        dilations: [dil[1]!, dil[2]!],
        pads: [padsH[0] + extra[0]![0]!, padsW[0] + extra[1]![0]!, padsH[1] + extra[0]![1]!, padsW[1] + extra[1]![1]!],
        group,
      },
      hint: ctx.hint('Conv'),
    };
    return fusedEpilogue(ctx, spec, [n, outH, outW, co], args, 'O');
  };
}

function matmul(fusedOp: boolean): OpConverter {
  return (ctx, [a, b, ...args]) => {
    if (!a || !b) throw ctx.err('needs two inputs');
    const ta = attrBool(ctx.node, 'transpose_a');
    const tb = attrBool(ctx.node, 'transpose_b');
    if (a.shape.length !== 2 || b.shape.length !== 2) throw ctx.err('only 2-D MatMul is supported');
    const m = ta ? a.shape[1]! : a.shape[0]!;
    if (b.host && !ta) {
      let w = floatHost(ctx, b, 'weights');
      if (tb) w = transposeHost(w, [1, 0]);
      const [k, n] = w.shape as [number, number];
      if (k !== a.shape[1]) throw ctx.err(`inner dimensions differ: [${a.shape}] x [${k},${n}]`);
      const spec: AffineSpec = { op: 'Gemm', input: a, weight: Float32Array.from(w.data), weightDims: [k, n], bias: new Float32Array(n), attrs: {}, hint: ctx.hint('Gemm') };
      if (fusedOp) return fusedEpilogue(ctx, spec, [m, n], args, 'N');
      return { shape: [m, n], dtype: 'float32', layout: 'TF', pending: { kind: 'affine', spec }, uses: 0 };
    }
    if (fusedOp) throw ctx.err('_FusedMatMul with non-constant weights is not supported');
    let x = ctx.operand(a, 'TF', false, ctx.hint('a'));
    let y = ctx.operand(b, 'TF', false, ctx.hint('b'));
    if (ta) x = ctx.g.op('Transpose', [x], { perm: [1, 0] }, ctx.hint('ta'));
    if (tb) y = ctx.g.op('Transpose', [y], { perm: [1, 0] }, ctx.hint('tb'));
    const n = tb ? b.shape[0]! : b.shape[1]!;
    return ctx.tensorValue(ctx.g.op('MatMul', [x, y], undefined, ctx.hint('MatMul')), [m, n]);
  };
}

function pool(kind: 'MaxPool' | 'AveragePool'): OpConverter {
  return (ctx, [x]) => {
    if (!x || x.shape.length !== 4) throw ctx.err('expects a rank-4 input');
    const k = attrInts(ctx.node, 'ksize', [1, 1, 1, 1]);
    const st = attrInts(ctx.node, 'strides', [1, 1, 1, 1]);
    if (k[0] !== 1 || k[3] !== 1 || st[0] !== 1 || st[3] !== 1) throw ctx.err('pooling over batch or channels is not supported');
    const padding = attrString(ctx.node, 'padding', 'VALID');
    const [n, h, w, c] = x.shape as [number, number, number, number];
    const ph = spatialPad(padding, h, k[1]!, st[1]!, 1);
    const pw = spatialPad(padding, w, k[2]!, st[2]!, 1);
    const attrs: Record<string, number[] | number> = { kernel_shape: [k[1]!, k[2]!], strides: [st[1]!, st[2]!], pads: [ph.pads[0], pw.pads[0], ph.pads[1], pw.pads[1]] };
    if (kind === 'AveragePool') attrs.count_include_pad = 0;
    const out = ctx.g.op(kind, [ctx.as(x, 'NCHW')], attrs, ctx.hint(kind));
    return ctx.tensorValue(out, [n, ph.out, pw.out, c], 'NCHW');
  };
}

function resize(mode: 'linear' | 'nearest'): OpConverter {
  return (ctx, [x, size]) => {
    if (!x || x.shape.length !== 4) throw ctx.err('expects a rank-4 input');
    const [oh, ow] = intsHost(ctx, size, 'the output size') as [number, number];
    const align = attrBool(ctx.node, 'align_corners');
    const half = attrBool(ctx.node, 'half_pixel_centers');
    const [n, , , c] = x.shape as [number, number, number, number];
    const attrs: Record<string, string> = { mode };
    if (mode === 'linear') {
      attrs.coordinate_transformation_mode = align ? 'align_corners' : half ? 'half_pixel' : 'asymmetric';
    } else {
      attrs.coordinate_transformation_mode = align ? 'align_corners' : half ? 'tf_half_pixel_for_nn' : 'asymmetric';
      attrs.nearest_mode = align || half ? 'round_prefer_ceil' : 'floor';
    }
    const [, h, w] = x.shape as [number, number, number, number];
    // A dynamic batch cannot be written into `sizes`; exact scales give the same grid.
    const inputs =
      n < 0
        ? [ctx.as(x, 'NCHW'), '', ctx.g.floats(ctx.hint('scales'), [1, 1, oh / h, ow / w])]
        : [ctx.as(x, 'NCHW'), '', '', ctx.g.ints(ctx.hint('sizes'), [n, c, oh, ow])];
    const out = ctx.g.node('Resize', inputs, { name: ctx.hint('Resize'), attrs })[0]!;
    return ctx.tensorValue(out, [n, oh, ow, c], 'NCHW');
  };
}

function depthSpace(kind: 'DepthToSpace' | 'SpaceToDepth'): OpConverter {
  return (ctx, [x]) => {
    if (!x || x.shape.length !== 4) throw ctx.err('expects a rank-4 input');
    if (attrString(ctx.node, 'data_format', 'NHWC') !== 'NHWC') throw ctx.err('only data_format NHWC is supported');
    const bs = attrInt(ctx.node, 'block_size', 2);
    const [n, h, w, c] = x.shape as [number, number, number, number];
    const shape = kind === 'DepthToSpace' ? [n, h * bs, w * bs, c / (bs * bs)] : [n, h / bs, w / bs, c * bs * bs];
    if (!shape.every(Number.isInteger)) throw ctx.err(`block size ${bs} does not divide [${x.shape}]`);
    const attrs: Record<string, number | string> = { blocksize: bs };
    if (kind === 'DepthToSpace') attrs.mode = 'DCR';
    return ctx.tensorValue(ctx.g.op(kind, [ctx.as(x, 'NCHW')], attrs, ctx.hint(kind)), shape, 'NCHW');
  };
}

function activation(kind: string): OpConverter {
  return (ctx, [x, alpha]) => {
    if (!x) throw ctx.err('needs an input');
    return applyActivation(ctx, x, kind, { alpha: attrFloat(ctx.node, 'alpha', 0.2), slope: alpha });
  };
}

function softmax(kind: 'Softmax' | 'LogSoftmax'): OpConverter {
  return (ctx, [x]) => {
    if (!x) throw ctx.err('needs an input');
    const nchw = x.shape.length === 4 && x.layout === 'NCHW';
    const out = ctx.g.op(kind, [ctx.as(x, x.layout)], { axis: nchw ? 1 : -1 }, ctx.hint(kind));
    return ctx.tensorValue(out, x.shape, x.layout);
  };
}

export const NN_OPS: Record<string, OpConverter> = {
  Conv2D: conv(false),
  _FusedConv2D: conv(false),
  DepthwiseConv2dNative: conv(true),
  FusedDepthwiseConv2dNative: conv(true),
  MatMul: matmul(false),
  _FusedMatMul: matmul(true),
  MaxPool: pool('MaxPool'),
  AvgPool: pool('AveragePool'),
  ResizeBilinear: resize('linear'),
  ResizeNearestNeighbor: resize('nearest'),
  DepthToSpace: depthSpace('DepthToSpace'),
  SpaceToDepth: depthSpace('SpaceToDepth'),
  Relu: activation('Relu'),
  Relu6: activation('Relu6'),
  Elu: activation('Elu'),
  LeakyRelu: activation('LeakyRelu'),
  Prelu: activation('Prelu'),
  Sigmoid: activation('Sigmoid'),
  Tanh: activation('Tanh'),
  Softmax: softmax('Softmax'),
  LogSoftmax: softmax('LogSoftmax'),
};
