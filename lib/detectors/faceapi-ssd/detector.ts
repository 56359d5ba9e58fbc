/**
 * face-api's SSD MobileNetV1 face detector (converted by lib/convert/faceapi)
 * as the full two-stage flow: SSD at 512x512, greedy NMS, then the 68-point
 * landmark net on each face, giving livefr's 5 points: eye centres (mean of
 * points 36-41 and 42-47), nose tip (30), mouth corners (48, 54). It
 * resizes as face-api does (pad to square with zeros, TF bilinear without
 * half-pixel centres; native, chip.ts), so its output matches face-api's
 * detectAllFaces(...).withFaceLandmarks() to within rounding (see
 * docs/faceapi-models.md). One score cut-off (score >= minScore) and the
 * native NMS serve both this and the box-only family (adapter.ts).
 */
import { SSD_INPUT } from '../../convert/faceapi/index.js';
import { StateError } from '../../errors.js';
import { validateFrame, type Frame } from '../../frame.js';
import type { InferenceOptions, InferencePool } from '../../inference/pool.js';
import { detect as nativeDetect } from '../../native/index.js';
import type { Face } from '../../types.js';
import { checkInteger, checkNumber, checkOptions } from '../../validate.js';
import { FACE_ROW } from '../types.js';
import { decodeCandidates, SSD_NORM } from './adapter.js';
import { squareCrops } from './chip.js';
import { FaceApiLandmarker, type FaceApiLandmarkerLoadOptions, type FaceWith68 } from './landmarker.js';
import { checkModel, checkNet, createPool, inferenceOptions, modelBytes } from './load.js';

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
    await squareCrops(layout, [{ x: 0, y: 0, w: W, h: H, s: side, ox: 0, oy: 0 }], SSD_INPUT, SSD_NORM, input);
    const res = await this.ssd.run({ input: { data: input, dims: [1, 3, SSD_INPUT, SSD_INPUT] } });
    this.ssdInput = res.feeds.input!.data;
    this.ssdInput.fill(0);
    // Candidates in frame pixels of the padded square (scores >= minScore), then
    // the native greedy NMS on the unclipped boxes, as face-api does it.
    const candidates = decodeCandidates(res.outputs.box_encodings!.data, res.outputs.scores!.data, [side, side], minScore);
    const rows = await nativeDetect.postprocess({
      family: 'candidates',
      landmarks: false,
      minScore,
      iouThreshold,
      minFaceSize: 0,
      maxFaces,
      clipWidth: 0,
      clipHeight: 0,
      passes: [{ inputWidth: side, inputHeight: side, outputs: [candidates], scale: 1, padX: 0, padY: 0, originX: 0, originY: 0 }],
    });

    const faces: Face[] = [];
    for (let r = 0; r + FACE_ROW <= rows.length; r += FACE_ROW) {
      const clampX = (v: number) => Math.min(W, Math.max(0, v));
      const clampY = (v: number) => Math.min(H, Math.max(0, v));
      const x1 = clampX(rows[r]!);
      const y1 = clampY(rows[r + 1]!);
      const x2 = clampX(rows[r + 2]!);
      const y2 = clampY(rows[r + 3]!);
      if (x2 - x1 < Math.max(1, minFaceSize) || y2 - y1 < Math.max(1, minFaceSize)) continue;
      faces.push({ box: { x: x1, y: y1, width: x2 - x1, height: y2 - y1 }, score: rows[r + 4]!, landmarks: [] });
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
