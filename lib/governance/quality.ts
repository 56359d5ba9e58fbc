/**
 * Enrolment quality: an image becomes a template only if it shows exactly
 * one face, large enough, sharp enough, found with confidence. Each refusal
 * says which rule failed and by how much.
 *
 * Sharpness is the variance of the 4-neighbour Laplacian of the face's
 * luma, resampled (area average) to 112 px across, so the figure does not
 * depend on the face's size in the image. Defaults were measured on LFW
 * (docs/governance.md): unblurred LFW faces score well above the default,
 * the same faces after a Gaussian blur of sigma 2 px (at 112 px) below it.
 */
import { validateFrame, type Frame } from '../frame.js';
import type { Face } from '../types.js';
import { checkNumber, checkOptions } from '../validate.js';

export interface QualityOptions {
  /** Shorter side of the face box, in pixels (default 64). */
  minFaceSize?: number;
  /** Laplacian variance at 112 px (default 40). */
  minSharpness?: number;
  /** Detector score (default 0.7). */
  minDetectorScore?: number;
}

export type RefusalCode = 'no-face' | 'several-faces' | 'too-small' | 'blurred' | 'low-confidence' | 'unreadable' | 'model-error';

export interface QualityVerdict {
  ok: boolean;
  code?: RefusalCode;
  reason?: string;
  face?: Face;
  sharpness?: number;
}

export const DEFAULT_QUALITY: Required<QualityOptions> = { minFaceSize: 64, minSharpness: 40, minDetectorScore: 0.7 };

export function checkQuality(value: unknown): Required<QualityOptions> {
  const o = checkOptions('options.quality', value, ['minFaceSize', 'minSharpness', 'minDetectorScore']);
  return {
    minFaceSize: o.minFaceSize === undefined ? DEFAULT_QUALITY.minFaceSize : checkNumber('options.quality.minFaceSize', o.minFaceSize, 1, 100000),
    minSharpness: o.minSharpness === undefined ? DEFAULT_QUALITY.minSharpness : checkNumber('options.quality.minSharpness', o.minSharpness, 0),
    minDetectorScore: o.minDetectorScore === undefined ? DEFAULT_QUALITY.minDetectorScore : checkNumber('options.quality.minDetectorScore', o.minDetectorScore, 0, 1),
  };
}

/** Judges the detector's faces of one enrolment image. */
export function judgeEnrolmentImage(frame: Frame, faces: readonly Face[], q: Required<QualityOptions>): QualityVerdict {
  if (faces.length === 0) return { ok: false, code: 'no-face', reason: 'no face found' };
  if (faces.length > 1) return { ok: false, code: 'several-faces', reason: `${faces.length} faces found; an enrolment image must show exactly one person` };
  const face = faces[0]!;
  const size = Math.min(face.box.width, face.box.height);
  if (size < q.minFaceSize) return { ok: false, code: 'too-small', reason: `the face is ${Math.round(size)} px across, below the minimum ${q.minFaceSize} px`, face };
  if (face.score < q.minDetectorScore) {
    return { ok: false, code: 'low-confidence', reason: `the detector is ${face.score.toFixed(2)} sure it is a face, below the minimum ${q.minDetectorScore}`, face };
  }
  const sharpness = faceSharpness(frame, face);
  if (sharpness < q.minSharpness) {
    return { ok: false, code: 'blurred', reason: `the face is too blurred (sharpness ${sharpness.toFixed(1)}, minimum ${q.minSharpness})`, face, sharpness };
  }
  return { ok: true, face, sharpness };
}

const SIDE = 112;

/** Variance of the Laplacian of the face box's luma, area-resampled to 112 x 112. */
export function faceSharpness(frame: Frame, face: Face): number {
  const f = validateFrame(frame);
  const x0 = Math.max(0, Math.floor(face.box.x));
  const y0 = Math.max(0, Math.floor(face.box.y));
  const x1 = Math.min(f.width, Math.ceil(face.box.x + face.box.width));
  const y1 = Math.min(f.height, Math.ceil(face.box.y + face.box.height));
  if (x1 - x0 < 3 || y1 - y0 < 3) return 0;
  const luma = lumaReader(f);
  const g = new Float32Array(SIDE * SIDE);
  const sx = (x1 - x0) / SIDE;
  const sy = (y1 - y0) / SIDE;
  for (let j = 0; j < SIDE; j++) {
    const ya = y0 + j * sy;
    const yb = ya + sy;
    for (let i = 0; i < SIDE; i++) {
      const xa = x0 + i * sx;
      const xb = xa + sx;
      // Area average over the source pixels the output pixel covers (weights by overlap).
      let sum = 0;
      let wsum = 0;
      for (let y = Math.floor(ya); y < Math.min(y1, Math.ceil(yb)); y++) {
        const wy = Math.min(yb, y + 1) - Math.max(ya, y);
        for (let x = Math.floor(xa); x < Math.min(x1, Math.ceil(xb)); x++) {
          const w = wy * (Math.min(xb, x + 1) - Math.max(xa, x));
          sum += w * luma(x, y);
          wsum += w;
        }
      }
      g[j * SIDE + i] = wsum > 0 ? sum / wsum : 0;
    }
  }
  let s = 0;
  let ss = 0;
  let n = 0;
  for (let j = 1; j < SIDE - 1; j++) {
    for (let i = 1; i < SIDE - 1; i++) {
      const c = j * SIDE + i;
      const l = g[c - 1]! + g[c + 1]! + g[c - SIDE]! + g[c + SIDE]! - 4 * g[c]!;
      s += l;
      ss += l * l;
      n++;
    }
  }
  const mean = s / n;
  return ss / n - mean * mean;
}

function lumaReader(f: ReturnType<typeof validateFrame>): (x: number, y: number) => number {
  const d = f.data;
  const st = f.stride;
  switch (f.format) {
    case 'rgb':
      return (x, y) => 0.299 * d[y * st + 3 * x]! + 0.587 * d[y * st + 3 * x + 1]! + 0.114 * d[y * st + 3 * x + 2]!;
    case 'bgr':
      return (x, y) => 0.114 * d[y * st + 3 * x]! + 0.587 * d[y * st + 3 * x + 1]! + 0.299 * d[y * st + 3 * x + 2]!;
    case 'rgba':
      return (x, y) => 0.299 * d[y * st + 4 * x]! + 0.587 * d[y * st + 4 * x + 1]! + 0.114 * d[y * st + 4 * x + 2]!;
    case 'bgra':
      return (x, y) => 0.114 * d[y * st + 4 * x]! + 0.587 * d[y * st + 4 * x + 1]! + 0.299 * d[y * st + 4 * x + 2]!;
    default:
      // gray, and the Y plane of nv12 / i420
      return (x, y) => d[y * st + x]!;
  }
}
