/**
 * face-api's SSD MobileNetV1 face detector (converted by
 * lib/convert/faceapi), two ways:
 *
 * 1. `faceapiSsd`, a box-only `DetectorFamilyAdapter` registered as
 *    'faceapi-ssd' for `Detector.load({ family: 'faceapi-ssd', model })`:
 *    anchors + box decoding in JS, NMS and tiling by the Detector.
 * 2. `FaceApiSsdDetector`, the full two-stage flow the adapter interface
 *    cannot express (a second network run on each box crop): SSD at
 *    512x512, face-api's NMS, then the 68-point landmark net on each face,
 *    giving livefr's 5 points: eye centres (mean of points 36-41 and
 *    42-47), nose tip (30), mouth corners (48, 54). It resizes as face-api
 *    does (pad to square with zeros, TF bilinear without half-pixel
 *    centres), so its output matches face-api's detectAllFaces(...)
 *    .withFaceLandmarks() to within rounding (see docs/faceapi-models.md).
 */
import { StateError, invalidType, outOfRange } from '../errors.js';
import type { Frame, FrameLayout } from '../frame.js';
import { validateFrame } from '../frame.js';
import { InferencePool, normaliseInferenceOptions, type InferenceOptions } from '../inference/pool.js';
import type { Face, Point } from '../types.js';
import { checkInteger, checkNumber, checkOptions } from '../validate.js';
import {
  convertFaceApiModel,
  decodeSsdBoxes,
  generateSsdAnchors,
  LANDMARK_INPUT,
  SSD_ANCHORS,
  SSD_INPUT,
  type FaceApiModelName,
} from '../convert/faceapi/index.js';
import { registerDetectorFamily } from './registry.js';
import { bindImageInput, modelMismatch, type DetectorFamilyAdapter, type Size } from './types.js';

const ANCHORS = generateSsdAnchors();
const FACE_MEAN: [number, number, number] = [122.782, 117.001, 104.298];

// ---------------------------------------------------------------------------
// 1. Box-only family adapter for Detector.

export const faceapiSsd: DetectorFamilyAdapter = {
  description: 'face-api SSD MobileNetV1 (512x512), boxes only (FaceApiSsdDetector adds landmarks)',
  landmarks: false,
  input: { channelOrder: 'rgb', mean: [127.5, 127.5, 127.5], std: [127.5, 127.5, 127.5] },
  sizing: { kind: 'fixed' },
  defaults: { minScore: 0.5, iouThreshold: 0.5, inputSize: [SSD_INPUT, SSD_INPUT] },
  // Measured: LFW faces pasted into a 512x512 frame are found 6/6 at 28-64 px, 4-5/6 at 20-24 px.
  minVisibleFace: 30,
  bindInput(sig) {
    const b = bindImageInput('faceapi-ssd', sig, 'fixed');
    if (b.fixedSize![0] !== SSD_INPUT || b.fixedSize![1] !== SSD_INPUT) {
      throw modelMismatch('faceapi-ssd', `an input of [N, 3, ${SSD_INPUT}, ${SSD_INPUT}]`, sig);
    }
    return b;
  },
  bindOutputs(sig, dims) {
    const expected = `outputs box_encodings [1, ${SSD_ANCHORS}, 4] and scores [1, ${SSD_ANCHORS}]`;
    const enc = dims.box_encodings;
    const sc = dims.scores;
    if (!enc || !sc || enc.join() !== `1,${SSD_ANCHORS},4` || sc.join() !== `1,${SSD_ANCHORS}`) {
      throw modelMismatch('faceapi-ssd', expected, sig, dims);
    }
    return {
      kind: 'js',
      outputs: ['box_encodings', 'scores'],
      decode: (outputs, inputSize, minScore) => decodeCandidates(outputs.box_encodings!.data, outputs.scores!.data, inputSize, minScore),
    };
  },
};

/** n x 15 candidates (x1, y1, x2, y2, score, 10 zeros) in tensor pixels. */
function decodeCandidates(enc: Float32Array, scores: Float32Array, [w, h]: Size, minScore: number): Float32Array {
  const keep: number[] = [];
  for (let i = 0; i < SSD_ANCHORS; i++) if (scores[i]! >= minScore) keep.push(i);
  const out = new Float32Array(keep.length * 15);
  const boxes = decodeSsdBoxes(enc, ANCHORS);
  keep.forEach((i, k) => {
    out[k * 15] = boxes[i * 4 + 1]! * w;
    out[k * 15 + 1] = boxes[i * 4]! * h;
    out[k * 15 + 2] = boxes[i * 4 + 3]! * w;
    out[k * 15 + 3] = boxes[i * 4 + 2]! * h;
    out[k * 15 + 4] = scores[i]!;
  });
  return out;
}

try {
  registerDetectorFamily('faceapi-ssd', faceapiSsd);
} catch {
  // Already registered (module loaded twice through different paths).
}

// ---------------------------------------------------------------------------
// 2. The two-stage detector.

/** A face with face-api's 68 points as well as livefr's 5. */
export interface FaceWith68 extends Face {
  landmarks68: Point[];
}

export interface FaceApiSsdLoadOptions extends InferenceOptions {
  /** Converted SSD model: bytes, a path, or a registry name ('faceapi-ssd'); default: converted in memory from the installed @vladmandic/face-api. */
  model?: string | Uint8Array;
  /** Converted 68-point landmark model: bytes, a path or a registry name ('faceapi-landmarks68'); default: converted in memory ('full' net unless landmarkNet is 'tiny'). */
  landmarkModel?: string | Uint8Array;
  /** Which face-api landmark net to convert when landmarkModel is not given (default 'full'). */
  landmarkNet?: 'full' | 'tiny';
}

export interface FaceApiSsdDetectOptions {
  /** Score threshold (face-api's minConfidence; default 0.5). */
  minScore?: number;
  /** IoU above which a lower-scored box is dropped (default 0.5, as face-api). */
  iouThreshold?: number;
  /** At most this many faces (default 100, as face-api). */
  maxFaces?: number;
  /** Drop faces whose box is smaller than this many pixels on its shorter side (default 0). */
  minFaceSize?: number;
}

const LOAD_KEYS = ['model', 'landmarkModel', 'landmarkNet', 'executionProviders', 'workers', 'intraOpNumThreads'] as const;
const DETECT_KEYS = ['minScore', 'iouThreshold', 'maxFaces', 'minFaceSize'] as const;

function checkModel(param: string, v: unknown): string | Uint8Array | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string' && v.length > 0) return v;
  if (v instanceof Uint8Array && v.byteLength > 0) return v;
  throw invalidType(param, 'a path to an .onnx file, a registry model name or the model bytes', v);
}

/**
 * Model bytes: given bytes as they are; a string through the model registry
 * (a registry name such as 'faceapi-ssd' is converted on first use, a path
 * with a manifest beside it is sha256-checked); nothing: converted in memory
 * from the installed @vladmandic/face-api.
 */
async function modelBytes(
  param: string,
  given: string | Uint8Array | undefined,
  task: 'detector' | 'landmarks',
  fallback: FaceApiModelName,
): Promise<Uint8Array> {
  if (given instanceof Uint8Array) return given;
  if (given === undefined) return (await convertFaceApiModel(fallback)).onnx;
  const { resolveModel } = await import('../models/registry.js');
  return (await resolveModel(given, { task, param })).bytes;
}

/** Packed pixels to read from: byte offset of (x, y) is y * stride + x * ch; channels r, g, b at +r, +g, +b. */
interface Packed {
  data: Uint8Array;
  stride: number;
  ch: number;
  r: number;
  g: number;
  b: number;
  /** Origin of the packed buffer in frame pixels (non-zero when a region was converted). */
  x0: number;
  y0: number;
}

/**
 * A packed RGB-like view of the region (x, y, w, h): the frame itself for
 * rgb/bgr/rgba/bgra/gray, a converted copy of the region for nv12/i420
 * (BT.601 limited range, as most cameras and decoders produce).
 */
function packedView(f: FrameLayout, x: number, y: number, w: number, h: number): Packed {
  const { data, stride, format } = f;
  switch (format) {
    case 'rgb':
      return { data, stride, ch: 3, r: 0, g: 1, b: 2, x0: 0, y0: 0 };
    case 'bgr':
      return { data, stride, ch: 3, r: 2, g: 1, b: 0, x0: 0, y0: 0 };
    case 'rgba':
      return { data, stride, ch: 4, r: 0, g: 1, b: 2, x0: 0, y0: 0 };
    case 'bgra':
      return { data, stride, ch: 4, r: 2, g: 1, b: 0, x0: 0, y0: 0 };
    case 'gray':
      return { data, stride, ch: 1, r: 0, g: 0, b: 0, x0: 0, y0: 0 };
    default: {
      const out = new Uint8Array(w * h * 3);
      const ySize = stride * f.height;
      const cs = f.chromaStride;
      const chromaH = Math.ceil(f.height / 2);
      const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));
      for (let j = 0; j < h; j++) {
        const fy = y + j;
        for (let i = 0; i < w; i++) {
          const fx = x + i;
          const Y = data[fy * stride + fx]!;
          let U: number;
          let V: number;
          if (format === 'nv12') {
            const o = ySize + (fy >> 1) * cs + (fx >> 1) * 2;
            U = data[o]!;
            V = data[o + 1]!;
          } else {
            const o = (fy >> 1) * cs + (fx >> 1);
            U = data[ySize + o]!;
            V = data[ySize + cs * chromaH + o]!;
          }
          const c = 1.164 * (Y - 16);
          const k = (j * w + i) * 3;
          out[k] = clamp(c + 1.596 * (V - 128));
          out[k + 1] = clamp(c - 0.392 * (U - 128) - 0.813 * (V - 128));
          out[k + 2] = clamp(c + 2.017 * (U - 128));
        }
      }
      return { data: out, stride: w * 3, ch: 3, r: 0, g: 1, b: 2, x0: x, y0: y };
    }
  }
}

/**
 * Fills `out` (3 x size x size, NCHW) from the region (rx, ry, rw, rh) of the
 * frame placed in a square of side `side` at offset (ox, oy), zeros
 * elsewhere, resized to `size` with TF's bilinear (align_corners = false,
 * half_pixel_centers = false: src = dst * side / size), then
 * (v - mean) / std. This is exactly what face-api's padToSquare +
 * resizeBilinear do.
 */
function squareTensor(
  f: FrameLayout,
  roi: { x: number; y: number; w: number; h: number },
  side: number,
  ox: number,
  oy: number,
  size: number,
  mean: readonly number[],
  std: readonly number[],
  out: Float32Array,
  offset = 0,
): void {
  const p = packedView(f, roi.x, roi.y, roi.w, roi.h);
  const scale = side / size;
  const plane = size * size;
  // Byte offset of square column / row s in the packed view, or -1 in the padding.
  const colOffset = (sx: number) => {
    const x = sx - ox;
    return x < 0 || x >= roi.w ? -1 : (roi.x + x - p.x0) * p.ch;
  };
  const rowOffset = (sy: number) => {
    const y = sy - oy;
    return y < 0 || y >= roi.h ? -1 : (roi.y + y - p.y0) * p.stride;
  };
  const c0 = new Int32Array(size);
  const c1 = new Int32Array(size);
  const wxs = new Float64Array(size);
  for (let dx = 0; dx < size; dx++) {
    const fx = dx * scale;
    const x0 = Math.floor(fx);
    c0[dx] = colOffset(x0);
    c1[dx] = colOffset(Math.min(x0 + 1, side - 1));
    wxs[dx] = fx - x0;
  }
  const { data, r, g, b } = p;
  const chans = [r, g, b];
  const m = [mean[0]!, mean[1]!, mean[2]!];
  const inv = [std[0]!, std[1]!, std[2]!];
  for (let dy = 0; dy < size; dy++) {
    const fy = dy * scale;
    const y0 = Math.floor(fy);
    const r0 = rowOffset(y0);
    const r1 = rowOffset(Math.min(y0 + 1, side - 1));
    const wy = fy - y0;
    for (let c = 0; c < 3; c++) {
      const ch = chans[c]!;
      const o = offset + c * plane + dy * size;
      const mc = m[c]!;
      const sc = inv[c]!;
      for (let dx = 0; dx < size; dx++) {
        const a = c0[dx]!;
        const e = c1[dx]!;
        const tl = r0 < 0 || a < 0 ? 0 : data[r0 + a + ch]!;
        const tr = r0 < 0 || e < 0 ? 0 : data[r0 + e + ch]!;
        const bl = r1 < 0 || a < 0 ? 0 : data[r1 + a + ch]!;
        const br = r1 < 0 || e < 0 ? 0 : data[r1 + e + ch]!;
        const wx = wxs[dx]!;
        const top = tl + (tr - tl) * wx;
        const bottom = bl + (br - bl) * wx;
        out[o + dx] = (top + (bottom - top) * wy - mc) / sc;
      }
    }
  }
}

function iou(b: Float32Array, i: number, j: number): number {
  const a0 = Math.min(b[i * 4]!, b[i * 4 + 2]!);
  const a1 = Math.min(b[i * 4 + 1]!, b[i * 4 + 3]!);
  const a2 = Math.max(b[i * 4]!, b[i * 4 + 2]!);
  const a3 = Math.max(b[i * 4 + 1]!, b[i * 4 + 3]!);
  const c0 = Math.min(b[j * 4]!, b[j * 4 + 2]!);
  const c1 = Math.min(b[j * 4 + 1]!, b[j * 4 + 3]!);
  const c2 = Math.max(b[j * 4]!, b[j * 4 + 2]!);
  const c3 = Math.max(b[j * 4 + 1]!, b[j * 4 + 3]!);
  const areaA = (a2 - a0) * (a3 - a1);
  const areaC = (c2 - c0) * (c3 - c1);
  if (areaA <= 0 || areaC <= 0) return 0;
  const inter = Math.max(Math.min(a2, c2) - Math.max(a0, c0), 0) * Math.max(Math.min(a3, c3) - Math.max(a1, c1), 0);
  return inter / (areaA + areaC - inter);
}

/** face-api's greedy NMS: indices of kept boxes, best first. */
export function faceApiNms(boxes: Float32Array, scores: Float32Array, maxResults: number, iouThreshold: number, minScore: number): number[] {
  const cand: number[] = [];
  for (let i = 0; i < scores.length; i++) if (scores[i]! > minScore) cand.push(i);
  cand.sort((a, b) => scores[b]! - scores[a]!);
  const kept: number[] = [];
  for (const c of cand) {
    if (kept.length >= maxResults) break;
    if (kept.every((k) => iou(boxes, c, k) <= iouThreshold)) kept.push(c);
  }
  return kept;
}

function mean(points: Point[], from: number, to: number): Point {
  let x = 0;
  let y = 0;
  for (let i = from; i < to; i++) {
    x += points[i]![0];
    y += points[i]![1];
  }
  return [x / (to - from), y / (to - from)];
}

/** livefr's 5 points from the iBUG 68: eye centres, nose tip, mouth corners. */
export function fivePointsFrom68(p: Point[]): Point[] {
  return [mean(p, 36, 42), mean(p, 42, 48), p[30]!, p[48]!, p[54]!];
}

async function createPool(model: string | Uint8Array, inf: InferenceOptions, param: string, outputs: string[], size: number): Promise<InferencePool> {
  const pool = await InferencePool.create(model, inf, param);
  try {
    checkSignature(pool, param, outputs, [size, size]);
  } catch (err) {
    await pool.close();
    throw err;
  }
  return pool;
}

function inferenceOptions(o: Partial<Record<string, unknown>>): InferenceOptions {
  const inf: InferenceOptions = {};
  if (o.executionProviders !== undefined) inf.executionProviders = o.executionProviders as InferenceOptions['executionProviders'];
  if (o.workers !== undefined) inf.workers = o.workers as number;
  if (o.intraOpNumThreads !== undefined) inf.intraOpNumThreads = o.intraOpNumThreads as number;
  normaliseInferenceOptions('options', inf);
  return inf;
}

function checkNet(v: unknown): 'full' | 'tiny' {
  if (v === undefined) return 'full';
  if (v === 'full' || v === 'tiny') return v;
  throw (typeof v === 'string' ? outOfRange : invalidType)('options.landmarkNet', "'full' or 'tiny'", v);
}

export interface FaceApiLandmarkerLoadOptions extends InferenceOptions {
  /** Converted 68-point landmark model: bytes, a path or a registry name ('faceapi-landmarks68'); default: converted in memory from the installed @vladmandic/face-api. */
  landmarkModel?: string | Uint8Array;
  /** Which face-api landmark net to convert when landmarkModel is not given (default 'full'). */
  landmarkNet?: 'full' | 'tiny';
}

/**
 * face-api's 68-point landmark net as a second stage for any box detector:
 * `annotate(frame, faces)` crops each box (floored and clipped, as
 * face-api), centres it in a zero-padded square, resizes to 112x112 and
 * returns the faces with `landmarks68` and livefr's 5 points.
 */
export class FaceApiLandmarker {
  private closed = false;
  private constructor(private readonly pool: InferencePool) {}

  static async load(options?: FaceApiLandmarkerLoadOptions): Promise<FaceApiLandmarker> {
    const o = checkOptions('options', options, LANDMARKER_KEYS);
    const model = checkModel('options.landmarkModel', o.landmarkModel);
    const net = checkNet(o.landmarkNet);
    const inf = inferenceOptions(o);
    const bytes = await modelBytes('options.landmarkModel', model, 'landmarks', net === 'tiny' ? 'face_landmark_68_tiny_model' : 'face_landmark_68_model');
    return new FaceApiLandmarker(await createPool(bytes, inf, 'options.landmarkModel', ['landmarks'], LANDMARK_INPUT));
  }

  /** Adds 68 points (and the 5 derived ones) to faces found in `frame`. */
  async annotate(frame: Frame, faces: readonly Face[]): Promise<FaceWith68[]> {
    if (this.closed) throw new StateError('FaceApiLandmarker is closed');
    const layout = validateFrame(frame);
    if (!Array.isArray(faces)) throw invalidType('faces', 'an array of faces { box, score }', faces);
    faces.forEach((f, i) => {
      const b = (f as Partial<Face> | null)?.box;
      if (!b || ![b.x, b.y, b.width, b.height].every((v) => typeof v === 'number' && Number.isFinite(v))) {
        throw invalidType(`faces[${i}].box`, 'a box { x, y, width, height } of finite numbers', b);
      }
    });
    return this.run(layout, faces);
  }

  /** @internal Landmarks for pre-validated faces. */
  async run(layout: FrameLayout, faces: readonly Face[]): Promise<FaceWith68[]> {
    if (faces.length === 0) return [];
    const { width: W, height: H } = layout;
    const plane = 3 * LANDMARK_INPUT * LANDMARK_INPUT;
    const batch = new Float32Array(plane * faces.length);
    const geo = faces.map((f, k) => {
      const g = chipGeometry(f.box, W, H);
      squareTensor(layout, g, g.s, g.ox, g.oy, LANDMARK_INPUT, FACE_MEAN, [255, 255, 255], batch, k * plane);
      return g;
    });
    const res = await this.pool.run({ input: { data: batch, dims: [faces.length, 3, LANDMARK_INPUT, LANDMARK_INPUT] } });
    res.feeds.input!.data.fill(0); // privacy: no face pixels left behind
    const rel = res.outputs.landmarks!.data;
    return faces.map((f, k) => {
      const g = geo[k]!;
      const pts: Point[] = [];
      for (let p = 0; p < 68; p++) {
        pts.push([g.x + rel[k * 136 + 2 * p]! * g.s - g.ox, g.y + rel[k * 136 + 2 * p + 1]! * g.s - g.oy]);
      }
      return { box: { ...f.box }, score: f.score, landmarks: fivePointsFrom68(pts), landmarks68: pts };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.close();
  }

  /** `await using` closes it when the block ends. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * The box face-api crops for its recogniser: the bounding box of the 68
 * points grown by 20% (10% per side), as FaceLandmarks.align() does.
 */
export function faceApiDescriptorBox(points68: readonly Point[]): { x: number; y: number; width: number; height: number } {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const [x, y] of points68) {
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  const w = x1 - x0;
  const h = y1 - y0;
  return { x: x0 - w * 0.1, y: y0 - h * 0.1, width: w * 1.2, height: h * 1.2 };
}

/**
 * A face-api style input chip: the box (clipped to the frame and floored),
 * centred in a zero-padded square, resized to size x size with TF's
 * bilinear, then (v - mean) / std, NCHW RGB. For the recogniser pass
 * size 150 and mean (122.782, 117.001, 104.298), std 255 with the box from
 * faceApiDescriptorBox(); this is exactly what face-api feeds its nets.
 */
export function faceApiChip(
  frame: Frame,
  box: { x: number; y: number; width: number; height: number },
  size: number,
  normalisation: { mean: readonly number[]; std: readonly number[] },
  out?: Float32Array,
): Float32Array {
  const layout = validateFrame(frame);
  checkInteger('size', size, 1, 4096);
  if (!box || ![box.x, box.y, box.width, box.height].every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw invalidType('box', 'a box { x, y, width, height } of finite numbers', box);
  }
  const t = out ?? new Float32Array(3 * size * size);
  if (t.length !== 3 * size * size) throw outOfRange('out', `a Float32Array of ${3 * size * size} values`, t);
  const g = chipGeometry(box, layout.width, layout.height);
  squareTensor(layout, g, g.s, g.ox, g.oy, size, normalisation.mean, normalisation.std, t);
  return t;
}

/** face-api's Box.clipAtImageBorders + floor, then the centred square. */
function chipGeometry(box: { x: number; y: number; width: number; height: number }, W: number, H: number) {
  const cx = Math.max(box.x, 0);
  const cy = Math.max(box.y, 0);
  const x = Math.min(Math.floor(cx), W - 1);
  const y = Math.min(Math.floor(cy), H - 1);
  const w = Math.max(1, Math.min(W - x, Math.floor(Math.min(box.x + box.width - cx, W - cx))));
  const h = Math.max(1, Math.min(H - y, Math.floor(Math.min(box.y + box.height - cy, H - cy))));
  const s = Math.max(w, h);
  const diff = s - Math.min(w, h);
  const before = diff - Math.round(diff * 0.5);
  return { x, y, w, h, s, ox: w < h ? before : 0, oy: h < w ? before : 0 };
}

const LANDMARKER_KEYS = ['landmarkModel', 'landmarkNet', 'executionProviders', 'workers', 'intraOpNumThreads'] as const;

export class FaceApiSsdDetector {
  private ssdInput: Float32Array | null = new Float32Array(3 * SSD_INPUT * SSD_INPUT);
  private closed = false;

  private constructor(
    private readonly ssd: InferencePool,
    /** The second stage (68-point landmarks). */
    readonly landmarker: FaceApiLandmarker,
  ) {}

  /** Loads (or converts in memory) the SSD and the 68-point landmark net. */
  static async load(options?: FaceApiSsdLoadOptions): Promise<FaceApiSsdDetector> {
    const o = checkOptions('options', options, LOAD_KEYS);
    const model = checkModel('options.model', o.model);
    const lmModel = checkModel('options.landmarkModel', o.landmarkModel);
    const net = checkNet(o.landmarkNet);
    const inf = inferenceOptions(o);
    const ssdBytes = await modelBytes('options.model', model, 'detector', 'ssd_mobilenetv1_model');
    const ssd = await createPool(ssdBytes, inf, 'options.model', ['box_encodings', 'scores'], SSD_INPUT);
    try {
      const lmOpts: FaceApiLandmarkerLoadOptions = { ...inf, landmarkNet: net };
      if (lmModel !== undefined) lmOpts.landmarkModel = lmModel;
      return new FaceApiSsdDetector(ssd, await FaceApiLandmarker.load(lmOpts));
    } catch (err) {
      await ssd.close();
      throw err;
    }
  }

  /** Faces sorted by score, in frame pixels, boxes clipped to the frame. */
  async detect(frame: Frame, options?: FaceApiSsdDetectOptions): Promise<FaceWith68[]> {
    if (this.closed) throw new StateError('FaceApiSsdDetector is closed');
    const layout = validateFrame(frame);
    const o = checkOptions('options', options, DETECT_KEYS);
    const minScore = o.minScore === undefined ? 0.5 : checkNumber('options.minScore', o.minScore, 0, 1);
    const iouThreshold = o.iouThreshold === undefined ? 0.5 : checkNumber('options.iouThreshold', o.iouThreshold, 0, 1);
    const maxFaces = o.maxFaces === undefined ? 100 : checkInteger('options.maxFaces', o.maxFaces, 1, 10000);
    const minFaceSize = o.minFaceSize === undefined ? 0 : checkNumber('options.minFaceSize', o.minFaceSize, 0);

    const { width: W, height: H } = layout;
    const side = Math.max(W, H);
    // face-api pads the frame to a square at the bottom/right, then resizes.
    const input = this.ssdInput ?? new Float32Array(3 * SSD_INPUT * SSD_INPUT);
    this.ssdInput = null;
    squareTensor(layout, { x: 0, y: 0, w: W, h: H }, side, 0, 0, SSD_INPUT, [127.5, 127.5, 127.5], [127.5, 127.5, 127.5], input);
    const res = await this.ssd.run({ input: { data: input, dims: [1, 3, SSD_INPUT, SSD_INPUT] } });
    this.ssdInput = res.feeds.input!.data;
    this.ssdInput.fill(0);
    const boxes = decodeSsdBoxes(res.outputs.box_encodings!.data, ANCHORS);
    const scores = res.outputs.scores!.data;
    const kept = faceApiNms(boxes, scores, maxFaces, iouThreshold, minScore);

    const faces: Face[] = [];
    for (const i of kept) {
      const clampY = (v: number) => Math.min(H, Math.max(0, v * side));
      const clampX = (v: number) => Math.min(W, Math.max(0, v * side));
      const y1 = clampY(boxes[i * 4]!);
      const x1 = clampX(boxes[i * 4 + 1]!);
      const y2 = clampY(boxes[i * 4 + 2]!);
      const x2 = clampX(boxes[i * 4 + 3]!);
      if (x2 - x1 < Math.max(1, minFaceSize) || y2 - y1 < Math.max(1, minFaceSize)) continue;
      faces.push({ box: { x: x1, y: y1, width: x2 - x1, height: y2 - y1 }, score: scores[i]!, landmarks: [] });
    }
    return this.landmarker.run(layout, faces);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.ssd.close(), this.landmarker.close()]);
  }

  /** `await using` closes it when the block ends. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function checkSignature(pool: InferencePool, param: string, outputs: string[], size: [number, number]): void {
  const name = pool.inputNames[0];
  const shape = name === undefined ? undefined : pool.inputShapes[name];
  const ok =
    pool.inputNames.length === 1 &&
    shape?.length === 4 &&
    shape[1] === 3 &&
    shape[2] === size[1] &&
    shape[3] === size[0] &&
    outputs.every((o) => pool.outputNames.includes(o));
  if (!ok) {
    throw modelMismatch(
      'faceapi-ssd',
      `for ${param} one input [N, 3, ${size[1]}, ${size[0]}] and outputs ${outputs.join(', ')}`,
      { inputNames: pool.inputNames, inputShapes: pool.inputShapes, outputNames: pool.outputNames },
    );
  }
}
