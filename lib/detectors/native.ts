/** Typed wrapper of the native detector post-processing (native/src/detect). */
import { native } from '../native.js';
import type { NativeDecoder } from './types.js';

/** Floats per face row: x1, y1, x2, y2, score, 5 landmarks as x, y. */
export const FACE_ROW = 15;

export interface PostprocessPass {
  inputWidth: number;
  inputHeight: number;
  /** Outputs in the decoder's canonical order (one n x 15 array for 'candidates'). */
  outputs: Float32Array[];
  /** frame = (tensor - pad) / scale + origin */
  scale: number;
  padX: number;
  padY: number;
  originX: number;
  originY: number;
  /** Tile rectangle [x1, y1, x2, y2] in frame pixels, and its edges inside the frame (1 left, 2 top, 4 right, 8 bottom). */
  rect?: [number, number, number, number];
  innerEdges?: number;
}

export interface PostprocessJob {
  family: NativeDecoder | 'candidates';
  landmarks: boolean;
  minScore: number;
  iouThreshold: number;
  minFaceSize: number;
  /** 0: no limit. */
  maxFaces: number;
  clipWidth: number;
  clipHeight: number;
  passes: PostprocessPass[];
}

type PostprocessFn = (job: PostprocessJob) => Promise<Float32Array>;

/** Decodes every pass, maps to frame pixels, drops tile-cut faces, clips, NMS. */
export function postprocess(job: PostprocessJob): Promise<Float32Array> {
  return (native().detectPostprocess as PostprocessFn)(job);
}
