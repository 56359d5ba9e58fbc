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
  // The smallest anchor is 0.1 x 512 = 51 px; faces down to about 30 px are found.
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
  /** Converted SSD model (path or bytes); default: converted in memory from the installed @vladmandic/face-api. */
  model?: string | Uint8Array;
  /** Converted 68-point landmark model; default: converted in memory ('full' net unless landmarkNet is 'tiny'). */
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
  throw invalidType(param, 'a path to an .onnx file or its bytes', v);
}

/** Reads pixel (x, y) of a validated frame as RGB into out[0..2]. */
type Sampler = (x: number, y: number, out: Float64Array) => void;

function samplerFor(f: FrameLayout): Sampler {
  const { data, stride, format } = f;
  switch (format) {
    case 'rgb':
    case 'bgr':
    case 'rgba':
    case 'bgra': {
      const ch = format.length;
      const [r, b] = format.startsWith('rgb') ? [0, 2] : [2, 0];
      return (x, y, out) => {
        const o = y * stride + x * ch;
        out[0] = data[o + r]!;
        out[1] = data[o + 1]!;
        out[2] = data[o + b]!;
      };
    }
    case 'gray':
      return (x, y, out) => {
        out[0] = out[1] = out[2] = data[y * stride + x]!;
      };
    default: {
      // nv12 / i420, BT.601 limited range, as most cameras and decoders produce.
      const ySize = stride * f.height;
      const cs = f.chromaStride;
      const chromaH = Math.ceil(f.height / 2);
      return (x, y, out) => {
        const Y = data[y * stride + x]!;
        let U: number;
        let V: number;
        if (format === 'nv12') {
          const o = ySize + (y >> 1) * cs + (x >> 1) * 2;
          U = data[o]!;
          V = data[o + 1]!;
        } else {
          const o = (y >> 1) * cs + (x >> 1);
          U = data[ySize + o]!;
          V = data[ySize + cs * chromaH + o]!;
        }
        const c = 1.164 * (Y - 16);
        out[0] = Math.min(255, Math.max(0, Math.round(c + 1.596 * (V - 128))));
        out[1] = Math.min(255, Math.max(0, Math.round(c - 0.392 * (U - 128) - 0.813 * (V - 128))));
        out[2] = Math.min(255, Math.max(0, Math.round(c + 2.017 * (U - 128))));
      };
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
  sample: Sampler,
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
  const scale = side / size;
  const plane = size * size;
  const px = new Float64Array(3);
  const acc = new Float64Array(12);
  // Pixel of the padded square at integer (sx, sy), into acc[k..k+2].
  const at = (sx: number, sy: number, k: number) => {
    const x = sx - ox;
    const y = sy - oy;
    if (x < 0 || y < 0 || x >= roi.w || y >= roi.h) {
      acc[k] = acc[k + 1] = acc[k + 2] = 0;
      return;
    }
    sample(roi.x + x, roi.y + y, px);
    acc[k] = px[0]!;
    acc[k + 1] = px[1]!;
    acc[k + 2] = px[2]!;
  };
  for (let dy = 0; dy < size; dy++) {
    const fy = dy * scale;
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, side - 1);
    const wy = fy - y0;
    for (let dx = 0; dx < size; dx++) {
      const fx = dx * scale;
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, side - 1);
      const wx = fx - x0;
      at(x0, y0, 0);
      at(x1, y0, 3);
      at(x0, y1, 6);
      at(x1, y1, 9);
      const o = offset + dy * size + dx;
      for (let c = 0; c < 3; c++) {
        const top = acc[c]! + (acc[3 + c]! - acc[c]!) * wx;
        const bottom = acc[6 + c]! + (acc[9 + c]! - acc[6 + c]!) * wx;
        const v = top + (bottom - top) * wy;
        out[o + c * plane] = (v - mean[c]!) / std[c]!;
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
  /** Converted 68-point landmark model (path or bytes); default: converted in memory from the installed @vladmandic/face-api. */
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
    const bytes = model ?? (await convertFaceApiModel(net === 'tiny' ? 'face_landmark_68_tiny_model' : 'face_landmark_68_model')).onnx;
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
    const sample = samplerFor(layout);
    const { width: W, height: H } = layout;
    const plane = 3 * LANDMARK_INPUT * LANDMARK_INPUT;
    const batch = new Float32Array(plane * faces.length);
    const geo = faces.map((f, k) => {
      const g = chipGeometry(f.box, W, H);
      squareTensor(sample, g, g.s, g.ox, g.oy, LANDMARK_INPUT, FACE_MEAN, [255, 255, 255], batch, k * plane);
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
  squareTensor(samplerFor(layout), g, g.s, g.ox, g.oy, size, normalisation.mean, normalisation.std, t);
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
    const ssdBytes = model ?? (await convertFaceApiModel('ssd_mobilenetv1_model')).onnx;
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
    squareTensor(samplerFor(layout), { x: 0, y: 0, w: W, h: H }, side, 0, 0, SSD_INPUT, [127.5, 127.5, 127.5], [127.5, 127.5, 127.5], input);
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
