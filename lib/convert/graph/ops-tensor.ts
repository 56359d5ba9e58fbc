/**
 * Element-wise, reduction and shape ops. Element-wise ops keep NCHW when
 * their tensor operands are NCHW (constants are permuted on the host);
 * Add / Sub / Mul / BiasAdd by a per-channel constant fold into a pending
 * convolution or dense layer; shape-only ops on constants are evaluated
 * on the host.
 */
import { attrBool, attrInt, attrInts, attrString, attrType } from './attrs.js';
import { type AffineSpec, type ConvertContext, type Layout, PHYS_TO_TF, TF_TO_PHYS, type Value } from './context.js';
import {
  binaryHost,
  broadcastShape,
  concatHost,
  DYNAMIC_BATCH,
  host,
  resolveReshape,
  size,
  stridedSliceHost,
  stridedSliceSpec,
  transposeHost,
} from './host.js';
import { channelVector, intsHost, type OpConverter, scaleAffine } from './ops-nn.js';
import type { HostTensor } from './weights.js';

const ONNX_BINARY: Record<string, string> = {
  Add: 'Add',
  AddV2: 'Add',
  BiasAdd: 'Add',
  Sub: 'Sub',
  Mul: 'Mul',
  RealDiv: 'Div',
  Div: 'Div',
  Maximum: 'Max',
  Minimum: 'Min',
  Pow: 'Pow',
};

function normAxis(ctx: ConvertContext, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw ctx.err(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Folds `t op c` into t's pending conv/dense when c is a per-channel constant and t has no other consumer. */
function tryFoldAffine(ctx: ConvertContext, op: string, a: Value, b: Value): Value | undefined {
  const tIsA = !a.host;
  const t = tIsA ? a : b;
  const c = tIsA ? b : a;
  if (!c.host || t.host || t.pending?.kind !== 'affine' || t.uses !== 1) return undefined;
  if (op === 'Sub' && !tIsA) return undefined;
  const spec = t.pending.spec;
  const channels = spec.bias.length;
  const vec = channelVector(c.host.dtype === 'float32' ? c.host : { ...c.host, data: Float32Array.from(c.host.data) }, channels, t.shape.length);
  if (!vec) return undefined;
  const next: AffineSpec = { ...spec, weight: spec.weight.slice(), bias: spec.bias.slice() };
  if (op === 'Mul') scaleAffine(next, vec);
  else for (let j = 0; j < channels; j++) next.bias[j] = next.bias[j]! + (op === 'Sub' ? -vec[j]! : vec[j]!);
  next.hint = ctx.hint(spec.op);
  ctx.notes.push(`folded ${ctx.node.op} ${JSON.stringify(ctx.node.name)} into ${spec.op}`);
  return { shape: t.shape, dtype: 'float32', layout: t.layout, pending: { kind: 'affine', spec: next }, uses: 0 };
}

/**
 * Relu then Minimum(6) then Maximum(0) (Keras ReLU6 as exported by TF):
 * Minimum(relu(x), c > 0) becomes Clip(x, 0, c), which ONNX Runtime fuses
 * into the convolution, and Maximum(y, 0) of a non-negative y is y.
 */
function clipPeephole(ctx: ConvertContext, op: string, a: Value, b: Value): Value | undefined {
  const t = a.host ? b : a;
  const c = a.host ? a : b;
  if (!c.host || c.host.data.length !== 1 || t.host || c.shape.length > t.shape.length) return undefined;
  const k = c.host.data[0]!;
  if (op === 'Maximum' && k === 0 && t.nonNegative) return t;
  if (op === 'Minimum' && k > 0 && t.reluOf && t.uses === 1) {
    const src = t.reluOf;
    const h = ctx.hint('Clip');
    const out = ctx.g.op('Clip', [ctx.as(src, src.layout), ctx.g.floats(`${h}/min`, [0], []), ctx.g.floats(`${h}/max`, [k], [])], undefined, h);
    const v = ctx.tensorValue(out, t.shape, src.layout);
    v.nonNegative = true;
    ctx.notes.push(`fused Relu + Minimum(${k}) at ${JSON.stringify(ctx.node.name)} into Clip`);
    return v;
  }
  return undefined;
}

/**
 * relu(x) + a * (x - |x|) is PReLU(x) with slope 2a, and x + a * (x - |x|)
 * is PReLU(x) with slope 1 + 2a (how TF MobileFaceNet writes them); one
 * PRelu node replaces the element-wise ops.
 */
function preluPeephole(ctx: ConvertContext, op: string, a: Value, b: Value): Value | undefined {
  if (op !== 'Add' && op !== 'AddV2') return undefined;
  // relu(x) + 2a min(x, 0) has slope 2a; x + 2a min(x, 0) has slope 1 + 2a.
  const [r, n] = b.negScaled ? [a, b] : [b, a];
  if (!n.negScaled) return undefined;
  const x = n.negScaled.x;
  let slope = n.negScaled.slope;
  if (r === x) slope = { ...slope, data: (slope.data as Float32Array).map((v) => 1 + v) };
  else if (r.reluOf !== x) return undefined;
  const c = x.shape[x.shape.length - 1]!;
  if (channelVector(slope, c, x.shape.length) === undefined) return undefined;
  if (x.nonNegative && r === x) {
    // x >= 0 already (a fused Relu before it): x + a * (x - |x|) is x.
    ctx.notes.push(`fused relu(x) + a * (x - |x|) at ${JSON.stringify(ctx.node.name)}: identity on a non-negative input`);
    return x;
  }
  const h = ctx.hint('PRelu');
  const out = ctx.g.op('PRelu', [ctx.as(x, x.layout), ctx.initializer(slope, `${h}/slope`, x.layout === 'NCHW' && x.shape.length === 4)], undefined, h);
  ctx.notes.push(`fused relu(x) + a * (x - |x|) at ${JSON.stringify(ctx.node.name)} into PRelu`);
  return ctx.tensorValue(out, x.shape, x.layout);
}

/** Picks NCHW when every tensor operand that has rank 4 is NCHW and the output is rank 4. */
function commonLayout(values: Value[], outRank: number): Layout {
  if (outRank !== 4) return 'TF';
  const tensors = values.filter((v) => !v.host || v.onnx);
  if (tensors.length === 0) return 'TF';
  return tensors.every((v) => v.shape.length === 4 && v.layout === 'NCHW') ? 'NCHW' : 'TF';
}

function binary(op: string): OpConverter {
  return (ctx, [a, b]) => {
    if (!a || !b) throw ctx.err('needs two inputs');
    if (op === 'BiasAdd' && attrString(ctx.node, 'data_format', 'NHWC') !== 'NHWC') throw ctx.err('only data_format NHWC is supported');
    if (a.host && b.host) return ctx.constValue(binaryHost(op === 'BiasAdd' ? 'Add' : op, a.host, b.host, ctx.where));
    if (op === 'Add' || op === 'AddV2' || op === 'BiasAdd' || op === 'Sub' || op === 'Mul') {
      const folded = tryFoldAffine(ctx, op === 'Mul' ? 'Mul' : op === 'Sub' ? 'Sub' : 'Add', a, b);
      if (folded) return folded;
    }
    const peephole = clipPeephole(ctx, op, a, b) ?? preluPeephole(ctx, op, a, b);
    if (peephole) return peephole;
    const shape = broadcastShape(a.shape, b.shape, ctx.where);
    const layout = commonLayout([a, b], shape.length);
    const x = ctx.operand(a, layout, true, ctx.hint('a'));
    const y = ctx.operand(b, layout, true, ctx.hint('b'));
    let out: string;
    if (op === 'SquaredDifference') {
      const d = ctx.g.op('Sub', [x, y], undefined, ctx.hint('Sub'));
      out = ctx.g.op('Mul', [d, d], undefined, ctx.hint('Mul'));
    } else {
      out = ctx.g.op(ONNX_BINARY[op]!, [x, y], undefined, ctx.hint(ONNX_BINARY[op]!));
    }
    const result = ctx.tensorValue(out, shape, layout);
    if (op === 'Sub' && b.absOf === a) result.halfNegOf = a;
    if (op === 'Mul') {
      const [t, c] = a.host ? [b, a] : [a, b];
      if (t.halfNegOf && c.host?.dtype === 'float32') {
        result.negScaled = { x: t.halfNegOf, slope: { ...c.host, data: (c.host.data as Float32Array).map((v) => 2 * v) } };
      }
    }
    return result;
  };
}

const ONNX_UNARY: Record<string, string> = {
  Abs: 'Abs',
  Neg: 'Neg',
  Sqrt: 'Sqrt',
  Exp: 'Exp',
  Log: 'Log',
  Floor: 'Floor',
  Ceil: 'Ceil',
  Reciprocal: 'Reciprocal',
  Softplus: 'Softplus',
  Round: 'Round',
  Sign: 'Sign',
};

function unary(op: string): OpConverter {
  return (ctx, [x]) => {
    if (!x) throw ctx.err('needs an input');
    const t = ctx.as(x, x.layout);
    let out: string;
    if (op === 'Square') out = ctx.g.op('Mul', [t, t], undefined, ctx.hint('Square'));
    else if (op === 'Rsqrt') out = ctx.g.op('Reciprocal', [ctx.g.op('Sqrt', [t], undefined, ctx.hint('Sqrt'))], undefined, ctx.hint('Rsqrt'));
    else out = ctx.g.op(ONNX_UNARY[op]!, [t], undefined, ctx.hint(op));
    const result = ctx.tensorValue(out, x.shape, x.layout);
    if (op === 'Abs') result.absOf = x;
    return result;
  };
}

function reduce(kind: 'ReduceMean' | 'ReduceSum' | 'ReduceMax' | 'ReduceMin' | 'ReduceProd'): OpConverter {
  return (ctx, [x, ax]) => {
    if (!x) throw ctx.err('needs an input');
    const rank = x.shape.length;
    const axes = [...new Set(intsHost(ctx, ax, 'reduction axes').map((a) => normAxis(ctx, a, rank)))].sort();
    const keep = attrBool(ctx.node, 'keep_dims');
    const shape = keep ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    if (x.host) throw ctx.err('reductions of constants are not supported');
    let layout: Layout = 'TF';
    let outLayout: Layout = 'TF';
    if (rank === 4 && x.layout === 'NCHW') {
      const remaining = PHYS_TO_TF.filter((a) => !axes.includes(a));
      if (keep) [layout, outLayout] = ['NCHW', 'NCHW'];
      else if (remaining.every((a, i) => i === 0 || remaining[i - 1]! < a)) layout = 'NCHW';
    }
    const physAxes = layout === 'NCHW' ? axes.map((a) => TF_TO_PHYS[a]!).sort() : axes;
    const input = ctx.as(x, layout);
    let out: string;
    if (kind === 'ReduceMean' && layout === 'NCHW' && physAxes.join() === '2,3') {
      out = ctx.g.op('GlobalAveragePool', [input], undefined, ctx.hint('GlobalAveragePool'));
      if (!keep) out = ctx.g.op('Flatten', [out], { axis: 1 }, ctx.hint('Flatten'));
    } else if (kind === 'ReduceSum') {
      out = ctx.g.op(kind, [input, ctx.g.ints(ctx.hint('axes'), physAxes)], { keepdims: keep ? 1 : 0 }, ctx.hint(kind));
    } else {
      out = ctx.g.op(kind, [input], { axes: physAxes, keepdims: keep ? 1 : 0 }, ctx.hint(kind));
    }
    return ctx.tensorValue(out, shape, outLayout);
  };
}

function hostOf(v: Value): HostTensor | undefined {
  return v.host;
}

const reshape: OpConverter = (ctx, [x, s]) => {
  if (!x) throw ctx.err('needs an input');
  const target = resolveReshape(x.shape, intsHost(ctx, s, 'the target shape'), ctx.where);
  const h = hostOf(x);
  if (h) return ctx.constValue({ ...h, shape: target });
  const out = ctx.g.op('Reshape', [ctx.as(x, 'TF'), ctx.g.ints(ctx.hint('shape'), target)], undefined, ctx.hint('Reshape'));
  return ctx.tensorValue(out, target, 'TF');
};

const squeeze: OpConverter = (ctx, [x]) => {
  if (!x) throw ctx.err('needs an input');
  const rank = x.shape.length;
  let axes = attrInts(ctx.node, 'squeeze_dims', attrInts(ctx.node, 'axis')).map((a) => normAxis(ctx, a, rank));
  if (axes.length === 0) axes = x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
  if (axes.some((a) => x.shape[a] !== 1)) throw ctx.err(`cannot squeeze non-unit dims ${axes} of [${x.shape}]`);
  const shape = x.shape.filter((_, i) => !axes.includes(i));
  if (x.host) return ctx.constValue({ ...x.host, shape });
  let layout: Layout = 'TF';
  if (rank === 4 && x.layout === 'NCHW') {
    const remaining = PHYS_TO_TF.filter((a) => !axes.includes(a));
    if (remaining.every((a, i) => i === 0 || remaining[i - 1]! < a)) layout = 'NCHW';
  }
  const phys = layout === 'NCHW' ? axes.map((a) => TF_TO_PHYS[a]!).sort() : axes;
  const out = ctx.g.op('Squeeze', [ctx.as(x, layout), ctx.g.ints(ctx.hint('axes'), phys)], undefined, ctx.hint('Squeeze'));
  return ctx.tensorValue(out, shape, 'TF');
};

const expandDims: OpConverter = (ctx, [x, ax]) => {
  if (!x) throw ctx.err('needs an input');
  const axis = normAxis(ctx, intsHost(ctx, ax, 'the axis')[0] ?? 0, x.shape.length + 1);
  const shape = [...x.shape.slice(0, axis), 1, ...x.shape.slice(axis)];
  if (x.host) return ctx.constValue({ ...x.host, shape });
  const out = ctx.g.op('Unsqueeze', [ctx.as(x, 'TF'), ctx.g.ints(ctx.hint('axes'), [axis])], undefined, ctx.hint('Unsqueeze'));
  return ctx.tensorValue(out, shape, 'TF');
};

const concat: OpConverter = (ctx, inputs) => {
  const parts = inputs.slice(0, -1);
  if (parts.length === 0) throw ctx.err('needs inputs');
  const rank = parts[0]!.shape.length;
  const axis = normAxis(ctx, intsHost(ctx, inputs[inputs.length - 1], 'the axis')[0]!, rank);
  const shape = [...parts[0]!.shape];
  shape[axis] = parts.reduce((a, p) => a + p.shape[axis]!, 0);
  if (parts.every((p) => p.host)) return ctx.constValue(concatHost(parts.map((p) => p.host!), axis));
  const layout = commonLayout(parts, rank);
  const names = parts.map((p, i) => ctx.operand(p, layout, true, ctx.hint(`part${i}`)));
  const out = ctx.g.op('Concat', names, { axis: layout === 'NCHW' ? TF_TO_PHYS[axis]! : axis }, ctx.hint('Concat'));
  return ctx.tensorValue(out, shape, layout);
};

const pack: OpConverter = (ctx, inputs) => {
  const rank = inputs[0]!.shape.length;
  const axis = normAxis(ctx, attrInt(ctx.node, 'axis', 0), rank + 1);
  const shape = [...inputs[0]!.shape.slice(0, axis), inputs.length, ...inputs[0]!.shape.slice(axis)];
  if (inputs.every((p) => p.host)) {
    const expanded = inputs.map((p) => ({ ...p.host!, shape: [...p.shape.slice(0, axis), 1, ...p.shape.slice(axis)] }));
    return ctx.constValue(concatHost(expanded, axis));
  }
  const axesName = ctx.g.ints(ctx.hint('axes'), [axis]);
  const names = inputs.map((p, i) => ctx.g.op('Unsqueeze', [ctx.operand(p, 'TF', false, ctx.hint(`part${i}`)), axesName], undefined, ctx.hint('Unsqueeze')));
  return ctx.tensorValue(ctx.g.op('Concat', names, { axis }, ctx.hint('Concat')), shape, 'TF');
};

function splitValues(ctx: ConvertContext, x: Value, axis: number, sizes: number[]): Value[] {
  const rank = x.shape.length;
  if (sizes.reduce((a, b) => a + b, 0) !== x.shape[axis]) throw ctx.err(`split sizes ${sizes} do not add up to dim ${x.shape[axis]}`);
  const shapes = sizes.map((s) => x.shape.map((d, i) => (i === axis ? s : d)));
  if (x.host) {
    let start = 0;
    return sizes.map((s, k) => {
      const spec = stridedSliceSpec(x.shape, x.shape.map((_, i) => (i === axis ? start : 0)), x.shape.map((d, i) => (i === axis ? start + s : d)), [], { begin: 0, end: 0, shrink: 0, newAxis: 0, ellipsis: 0 }, ctx.where);
      start += s;
      return ctx.constValue({ ...stridedSliceHost(x.host!, spec), shape: shapes[k]! });
    });
  }
  const layout: Layout = rank === 4 && x.layout === 'NCHW' ? 'NCHW' : 'TF';
  const outs = ctx.g.node('Split', [ctx.as(x, layout), ctx.g.ints(ctx.hint('split'), sizes)], {
    name: ctx.hint('Split'),
    outputs: sizes.length,
    attrs: { axis: layout === 'NCHW' ? TF_TO_PHYS[axis]! : axis },
  });
  return outs.map((o, k) => ctx.tensorValue(o, shapes[k]!, layout));
}

const split: OpConverter = (ctx, [ax, x]) => {
  if (!x) throw ctx.err('needs an input');
  const axis = normAxis(ctx, intsHost(ctx, ax, 'the axis')[0]!, x.shape.length);
  const n = attrInt(ctx.node, 'num_split', 1);
  if (x.shape[axis]! % n !== 0) throw ctx.err(`dim ${x.shape[axis]} is not divisible into ${n} parts`);
  return splitValues(ctx, x, axis, new Array<number>(n).fill(x.shape[axis]! / n));
};

const splitV: OpConverter = (ctx, [x, sz, ax]) => {
  if (!x) throw ctx.err('needs an input');
  const axis = normAxis(ctx, intsHost(ctx, ax, 'the axis')[0]!, x.shape.length);
  const sizes = intsHost(ctx, sz, 'the split sizes');
  const known = sizes.filter((s) => s >= 0).reduce((a, b) => a + b, 0);
  return splitValues(ctx, x, axis, sizes.map((s) => (s < 0 ? x.shape[axis]! - known : s)));
};

function emitSlice(ctx: ConvertContext, x: Value, begin: number[], end: number[], step: number[]): string {
  const axes: number[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  const steps: number[] = [];
  x.shape.forEach((d, i) => {
    const full = step[i] === 1 && begin[i] === 0 && end[i] === d;
    if (full) return;
    axes.push(i);
    starts.push(begin[i]!);
    ends.push(step[i]! < 0 && end[i]! < 0 ? -(2 ** 31) : end[i]!);
    steps.push(step[i]!);
  });
  const input = ctx.as(x, 'TF');
  if (axes.length === 0) return input;
  const g = ctx.g;
  return g.op('Slice', [input, g.ints(ctx.hint('starts'), starts), g.ints(ctx.hint('ends'), ends), g.ints(ctx.hint('axes'), axes), g.ints(ctx.hint('steps'), steps)], undefined, ctx.hint('Slice'));
}

const stridedSlice: OpConverter = (ctx, [x, b, e, s]) => {
  if (!x) throw ctx.err('needs an input');
  const masks = {
    begin: attrInt(ctx.node, 'begin_mask'),
    end: attrInt(ctx.node, 'end_mask'),
    shrink: attrInt(ctx.node, 'shrink_axis_mask'),
    newAxis: attrInt(ctx.node, 'new_axis_mask'),
    ellipsis: attrInt(ctx.node, 'ellipsis_mask'),
  };
  const spec = stridedSliceSpec(x.shape, intsHost(ctx, b, 'begin'), intsHost(ctx, e, 'end'), intsHost(ctx, s, 'strides'), masks, ctx.where);
  if (x.host) return ctx.constValue(stridedSliceHost(x.host, spec));
  let out = emitSlice(ctx, x, spec.begin, spec.end, spec.step);
  const shrinkAxes = spec.shrink.flatMap((v, i) => (v ? [i] : []));
  if (shrinkAxes.length) out = ctx.g.op('Squeeze', [out, ctx.g.ints(ctx.hint('shrink'), shrinkAxes)], undefined, ctx.hint('Squeeze'));
  if (spec.newAxes.length) out = ctx.g.op('Unsqueeze', [out, ctx.g.ints(ctx.hint('newaxes'), spec.newAxes)], undefined, ctx.hint('Unsqueeze'));
  return ctx.tensorValue(out, spec.outShape, 'TF');
};

const slice: OpConverter = (ctx, [x, b, s]) => {
  if (!x) throw ctx.err('needs an input');
  const begin = intsHost(ctx, b, 'begin');
  const sizes = intsHost(ctx, s, 'size');
  const end = x.shape.map((d, i) => (sizes[i] === -1 ? d : begin[i]! + sizes[i]!));
  const shape = end.map((en, i) => en - begin[i]!);
  const step = x.shape.map(() => 1);
  if (x.host) {
    const spec = stridedSliceSpec(x.shape, begin, end, step, { begin: 0, end: 0, shrink: 0, newAxis: 0, ellipsis: 0 }, ctx.where);
    return ctx.constValue(stridedSliceHost(x.host, spec));
  }
  return ctx.tensorValue(emitSlice(ctx, x, begin, end, step), shape, 'TF');
};

const transpose: OpConverter = (ctx, [x, p]) => {
  if (!x) throw ctx.err('needs an input');
  const perm = intsHost(ctx, p, 'the permutation');
  const shape = perm.map((a) => x.shape[a]!);
  if (x.host) return ctx.constValue(transposeHost(x.host, perm));
  const nchw = x.shape.length === 4 && x.layout === 'NCHW';
  const phys = nchw ? perm.map((a) => TF_TO_PHYS[a]!) : perm;
  const input = ctx.as(x, nchw ? 'NCHW' : 'TF');
  return ctx.tensorValue(ctx.g.op('Transpose', [input], { perm: phys }, ctx.hint('Transpose')), shape, 'TF');
};

const pad: OpConverter = (ctx, [x, p, cv]) => {
  if (!x) throw ctx.err('needs an input');
  const flat = intsHost(ctx, p, 'the paddings');
  const pads = x.shape.map((_, i) => [flat[2 * i]!, flat[2 * i + 1]!]);
  let mode = 'constant';
  if (ctx.node.op === 'MirrorPad') {
    const m = attrString(ctx.node, 'mode', 'REFLECT');
    if (m !== 'REFLECT') throw ctx.err(`MirrorPad mode ${m} has no ONNX equivalent (only REFLECT)`);
    mode = 'reflect';
  }
  const value = cv?.host ? cv.host.data[0]! : 0;
  if (x.host) throw ctx.err('padding a constant is not supported');
  const shape = x.shape.map((d, i) => d + pads[i]![0]! + pads[i]![1]!);
  return { shape, dtype: 'float32', layout: x.shape.length === 4 ? x.layout : 'TF', pending: { kind: 'pad', src: x, pads, value, mode, hint: ctx.hint('Pad') }, uses: 0 };
};

const shapeOp: OpConverter = (ctx, [x]) => {
  if (!x) throw ctx.err('needs an input');
  return ctx.constValue(host('int32', [x.shape.length], x.shape.map((d) => (d < 0 ? DYNAMIC_BATCH : d))));
};

const fill: OpConverter = (ctx, [d, v]) => {
  const dims = intsHost(ctx, d, 'dims');
  if (!v?.host) throw ctx.err('the fill value must be a constant');
  return ctx.constValue(host(v.host.dtype, dims, new Array<number>(size(dims)).fill(v.host.data[0]!)));
};

const cast: OpConverter = (ctx, [x]) => {
  if (!x) throw ctx.err('needs an input');
  const to = attrType(ctx.node, 'DstT');
  const dtype = to === 'DT_FLOAT' ? 'float32' : to === 'DT_INT32' || to === 'DT_INT64' ? 'int32' : to === 'DT_BOOL' ? 'bool' : undefined;
  if (!dtype) throw ctx.err(`cast to ${to} is not supported`);
  if (x.host) return ctx.constValue(host(dtype === 'bool' ? 'bool' : dtype, x.shape, dtype === 'float32' ? x.host.data : Array.from(x.host.data, Math.trunc)));
  if (dtype !== 'float32') throw ctx.err(`cast of a runtime tensor to ${to} is not supported`);
  return x;
};

const gather: OpConverter = (ctx, [x, idx, ax]) => {
  if (!x) throw ctx.err('needs an input');
  if (attrInt(ctx.node, 'batch_dims', 0) !== 0) throw ctx.err('batch_dims is not supported');
  const axis = normAxis(ctx, ax ? intsHost(ctx, ax, 'the axis')[0]! : 0, x.shape.length);
  const indices = intsHost(ctx, idx, 'the indices').map((i) => (i < 0 ? i + x.shape[axis]! : i));
  const ishape = idx!.shape;
  const shape = [...x.shape.slice(0, axis), ...ishape, ...x.shape.slice(axis + 1)];
  if (x.host) {
    const outer = size(x.shape.slice(0, axis));
    const inner = size(x.shape.slice(axis + 1));
    const out: number[] = [];
    for (let o = 0; o < outer; o++) for (const i of indices) for (let k = 0; k < inner; k++) out.push(x.host.data[(o * x.shape[axis]! + i) * inner + k]!);
    return ctx.constValue(host(x.host.dtype, shape, out));
  }
  const ids = ctx.g.constant(ctx.hint('indices'), { data: BigInt64Array.from(indices.map(BigInt)), dims: ishape });
  return ctx.tensorValue(ctx.g.op('Gather', [ctx.as(x, 'TF'), ids], { axis }, ctx.hint('Gather')), shape, 'TF');
};

const addN: OpConverter = (ctx, inputs) => {
  if (inputs.every((v) => v.host)) return ctx.constValue(inputs.slice(1).reduce((a, v) => binaryHost('Add', a, v.host!, ctx.where), inputs[0]!.host!));
  const shape = inputs.reduce((s, v) => broadcastShape(s, v.shape, ctx.where), [] as number[]);
  const layout = commonLayout(inputs, shape.length);
  const names = inputs.map((v, i) => ctx.operand(v, layout, true, ctx.hint(`in${i}`)));
  return ctx.tensorValue(ctx.g.op('Sum', names, undefined, ctx.hint('Sum')), shape, layout);
};

const clip: OpConverter = (ctx, [x, lo, hi]) => {
  if (!x || !lo?.host || !hi?.host) throw ctx.err('needs an input and constant bounds');
  if (lo.host.data.length !== 1 || hi.host.data.length !== 1) {
    const m = binary('Maximum')(ctx, [x, lo]) as Value;
    return binary('Minimum')(ctx, [m, hi]);
  }
  const h = ctx.hint('Clip');
  const out = ctx.g.op('Clip', [ctx.as(x, x.layout), ctx.g.floats(`${h}/min`, [lo.host.data[0]!], []), ctx.g.floats(`${h}/max`, [hi.host.data[0]!], [])], undefined, h);
  return ctx.tensorValue(out, x.shape, x.layout);
};

export const TENSOR_OPS: Record<string, OpConverter> = {
  ...Object.fromEntries(Object.keys(ONNX_BINARY).map((op) => [op, binary(op)])),
  SquaredDifference: binary('SquaredDifference'),
  ...Object.fromEntries(Object.keys(ONNX_UNARY).map((op) => [op, unary(op)])),
  Square: unary('Square'),
  Rsqrt: unary('Rsqrt'),
  Mean: reduce('ReduceMean'),
  Sum: reduce('ReduceSum'),
  Max: reduce('ReduceMax'),
  Min: reduce('ReduceMin'),
  Prod: reduce('ReduceProd'),
  Reshape: reshape,
  Squeeze: squeeze,
  ExpandDims: expandDims,
  ConcatV2: concat,
  Pack: pack,
  Split: split,
  SplitV: splitV,
  StridedSlice: stridedSlice,
  Slice: slice,
  Transpose: transpose,
  Pad: pad,
  PadV2: pad,
  MirrorPad: pad,
  Shape: shapeOp,
  Fill: fill,
  Cast: cast,
  GatherV2: gather,
  AddN: addN,
  ClipByValue: clip,
};

