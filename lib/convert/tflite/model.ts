/**
 * Reads a TFLite model (the FlatBuffer of TensorFlow Lite's schema.fbs,
 * file identifier "TFL3") into plain objects: tensors, operators of the
 * first subgraph, and constant buffers. Field numbers follow schema.fbs.
 */
import { FlatBufferError, rootTable, type Table } from './flatbuffer.js';

/** TensorType values of schema.fbs. */
export const TENSOR_TYPES: Record<number, string> = {
  0: 'float32', 1: 'float16', 2: 'int32', 3: 'uint8', 4: 'int64', 5: 'string', 6: 'bool', 7: 'int16', 9: 'int8', 10: 'float64',
};

/** BuiltinOperator names of schema.fbs, for the codes livefr converts or reports. */
export const BUILTIN_OPS: Record<number, string> = {
  0: 'ADD', 1: 'AVERAGE_POOL_2D', 2: 'CONCATENATION', 3: 'CONV_2D', 4: 'DEPTHWISE_CONV_2D', 5: 'DEPTH_TO_SPACE', 6: 'DEQUANTIZE',
  8: 'FLOOR', 9: 'FULLY_CONNECTED', 11: 'L2_NORMALIZATION', 14: 'LOGISTIC', 17: 'MAX_POOL_2D', 18: 'MUL', 19: 'RELU',
  21: 'RELU6', 22: 'RESHAPE', 23: 'RESIZE_BILINEAR', 25: 'SOFTMAX', 26: 'SPACE_TO_DEPTH', 28: 'TANH', 32: 'CUSTOM', 34: 'PAD',
  36: 'GATHER', 39: 'TRANSPOSE', 40: 'MEAN', 41: 'SUB', 42: 'DIV', 43: 'SQUEEZE', 45: 'STRIDED_SLICE', 47: 'EXP', 49: 'SPLIT',
  53: 'CAST', 54: 'PRELU', 55: 'MAXIMUM', 57: 'MINIMUM', 59: 'NEG', 60: 'PADV2', 65: 'SLICE', 70: 'EXPAND_DIMS', 74: 'SUM',
  75: 'SQRT', 76: 'RSQRT', 77: 'SHAPE', 78: 'POW', 82: 'REDUCE_MAX', 83: 'PACK', 92: 'SQUARE', 97: 'RESIZE_NEAREST_NEIGHBOR',
  98: 'LEAKY_RELU', 99: 'SQUARED_DIFFERENCE', 101: 'ABS', 102: 'SPLIT_V', 117: 'HARD_SWISH',
};

export interface TfliteTensor {
  index: number;
  name: string;
  shape: number[];
  /** -1 for dimensions that may change at run time (shape_signature), else = shape. */
  signature: number[];
  type: string;
  buffer: number;
  quantization: { scale: number[]; zeroPoint: number[]; axis: number } | null;
}

export interface TfliteOperator {
  index: number;
  /** BuiltinOperator name ('CONV_2D', ...) or 'BUILTIN_<code>' / 'CUSTOM:<name>'. */
  op: string;
  inputs: number[];
  outputs: number[];
  /** The builtin options table (fields per the op's *Options table), or null. */
  options: Table | null;
}

export interface TfliteModel {
  version: number;
  description: string;
  tensors: TfliteTensor[];
  inputs: number[];
  outputs: number[];
  operators: TfliteOperator[];
  /** Constant data by buffer index (null: empty, i.e. an activation). */
  buffers: (Uint8Array | null)[];
}

/** Parses TFLite bytes; throws FlatBufferError (with what was wrong) for anything else. */
export function readTflite(bytes: Uint8Array): TfliteModel {
  const root = rootTable(bytes, 'TFL3');
  const version = root.u32(0);
  const codes = root.tables(1).map((c) => {
    const code = Math.max(c.i8(0), c.i32(3));
    return code === 32 ? `CUSTOM:${c.string(1) ?? ''}` : (BUILTIN_OPS[code] ?? `BUILTIN_${code}`);
  });
  const subgraphs = root.tables(2);
  if (subgraphs.length === 0) throw new FlatBufferError('the model has no subgraph');
  const g = subgraphs[0]!;
  const buffers = root.tables(4).map((b) => {
    const data = b.bytes(0);
    if (data && data.length) return data;
    const offset = b.u64(1);
    const size = b.u64(2);
    if (offset > 1 && size > 0) {
      if (offset + size > bytes.byteLength) throw new FlatBufferError(`buffer at ${offset} + ${size} is outside the file`);
      return bytes.subarray(offset, offset + size);
    }
    return null;
  });
  const tensors = g.tables(0).map((t, index): TfliteTensor => {
    const shape = t.i32s(0);
    const sig = t.i32s(7);
    const q = t.table(4);
    const scale = q ? q.f32s(2) : [];
    return {
      index,
      name: t.string(3) ?? `t${index}`,
      shape,
      signature: sig.length === shape.length ? sig : shape.slice(),
      type: TENSOR_TYPES[t.i8(1)] ?? `type${t.i8(1)}`,
      buffer: t.u32(2),
      quantization: q && scale.length ? { scale, zeroPoint: q.i64s(3), axis: q.i32(6) } : null,
    };
  });
  const operators = g.tables(3).map((o, index): TfliteOperator => {
    const code = o.u32(0);
    if (code >= codes.length) throw new FlatBufferError(`operator ${index} has opcode index ${code} of ${codes.length}`);
    return { index, op: codes[code]!, inputs: o.i32s(1), outputs: o.i32s(2), options: o.table(4) };
  });
  return { version, description: root.string(3) ?? '', tensors, inputs: g.i32s(1), outputs: g.i32s(2), operators, buffers };
}

/** A constant tensor's values as float32 (float32, float16 and affine-quantised int8/uint8 weights); null for activations. */
export function constantFloats(m: TfliteModel, t: TfliteTensor): Float32Array | null {
  const b = m.buffers[t.buffer];
  if (!b) return null;
  const n = t.shape.reduce((a, d) => a * d, 1);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const need = (size: number) => {
    if (b.byteLength < n * size) throw new FlatBufferError(`tensor ${t.name}: buffer of ${b.byteLength} bytes for ${n} ${t.type} values`);
  };
  const out = new Float32Array(n);
  switch (t.type) {
    case 'float32':
      need(4);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
      return out;
    case 'float16':
      need(2);
      for (let i = 0; i < n; i++) out[i] = half(dv.getUint16(2 * i, true));
      return out;
    case 'int32':
      need(4);
      for (let i = 0; i < n; i++) out[i] = dv.getInt32(4 * i, true);
      return dequantise(t, out);
    case 'int8':
    case 'uint8': {
      need(1);
      for (let i = 0; i < n; i++) out[i] = t.type === 'int8' ? dv.getInt8(i) : dv.getUint8(i);
      return dequantise(t, out);
    }
    default:
      throw new FlatBufferError(`tensor ${t.name}: constant of type ${t.type} is not supported`);
  }
}

/** Integer constants (int32 / int64 shapes, axes, paddings). */
export function constantInts(m: TfliteModel, t: TfliteTensor): number[] | null {
  const b = m.buffers[t.buffer];
  if (!b) return null;
  const n = t.shape.reduce((a, d) => a * d, 1);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (t.type === 'int32') return Array.from({ length: n }, (_, i) => dv.getInt32(4 * i, true));
  if (t.type === 'int64') return Array.from({ length: n }, (_, i) => Number(dv.getBigInt64(8 * i, true)));
  throw new FlatBufferError(`tensor ${t.name}: expected int32 or int64 constant, found ${t.type}`);
}

function dequantise(t: TfliteTensor, v: Float32Array): Float32Array {
  const q = t.quantization;
  if (!q || t.type === 'int32' && !q.scale.length) return v;
  if (q.scale.length === 1) {
    const z = q.zeroPoint[0] ?? 0;
    for (let i = 0; i < v.length; i++) v[i] = (v[i]! - z) * q.scale[0]!;
    return v;
  }
  // Per-channel along q.axis.
  const dims = t.shape;
  const inner = dims.slice(q.axis + 1).reduce((a, d) => a * d, 1);
  const ch = dims[q.axis]!;
  for (let i = 0; i < v.length; i++) {
    const c = Math.floor(i / inner) % ch;
    v[i] = (v[i]! - (q.zeroPoint[c] ?? 0)) * q.scale[c]!;
  }
  return v;
}

function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}
