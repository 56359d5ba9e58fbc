/**
 * face-api's 68-point landmark net as a second stage for any box detector,
 * and livefr's 5 points derived from the 68.
 */
import { StateError, invalidType } from '../../errors.js';
import { LANDMARK_INPUT } from '../../convert/faceapi/index.js';
import { validateFrame, type Frame, type FrameLayout } from '../../frame.js';
import type { InferenceOptions, InferencePool } from '../../inference/pool.js';
import { findSpec } from '../../models/catalog.js';
import type { Face, Point } from '../../types.js';
import { checkOptions } from '../../validate.js';
import { chipGeometry, squareCrops } from './chip.js';
import { checkModel, checkNet, createPool, inferenceOptions, modelBytes } from './load.js';

/** The landmark net's input convention, from the model catalog. */
const LANDMARK_NORM = findSpec('faceapi-landmarks68')!.input;

/** A face with face-api's 68 points as well as livefr's 5. */
export interface FaceWith68 extends Face {
  landmarks68: Point[];
}

export interface FaceApiLandmarkerLoadOptions extends InferenceOptions {
  /** Converted 68-point landmark model: bytes, a path or a registry name ('faceapi-landmarks68'); default: converted in memory from the installed @vladmandic/face-api. */
  landmarkModel?: string | Uint8Array;
  /** Which face-api landmark net to convert when landmarkModel is not given (default 'full'). */
  landmarkNet?: 'full' | 'tiny';
}

const LANDMARKER_KEYS = ['landmarkModel', 'landmarkNet', 'executionProviders', 'workers', 'intraOpNumThreads'] as const;


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
export function fivePointsFrom68(p: Point[]): [Point, Point, Point, Point, Point] {
  return [mean(p, 36, 42), mean(p, 42, 48), p[30]!, p[48]!, p[54]!];
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
    const geo = faces.map((f) => chipGeometry(f.box, W, H));
    await squareCrops(layout, geo, LANDMARK_INPUT, LANDMARK_NORM, batch);
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
