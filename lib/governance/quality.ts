/**
 * Enrolment quality: an image becomes a template only if it shows exactly
 * one face the detector is sure of (score >= minDetectorScore; weaker
 * detections, and faces less than half the size of the largest, are
 * ignored), large enough, roughly frontal and sharp enough. Each refusal says which rule failed and by how much.
 *
 * Sharpness is the pipeline's measure (lib/pipeline/quality.ts: the
 * Laplacian's spread over the intensity's, computed natively) times the
 * face's side / 32, which makes it about independent of the face's size;
 * pose is the yaw proxy from the 5 landmarks. The defaults were measured on
 * lfw-dev with the default detector (scripts/measure-enrolment-quality.mjs,
 * figures in docs/governance.md).
 */
import type { Frame } from '../frame.js';
import { poseOf, sharpness } from '../pipeline/quality.js';
import type { Face } from '../types.js';
import { checkNumber, checkOptions } from '../validate.js';

export interface QualityOptions {
  /** Shorter side of the face box, in pixels (default 64). */
  minFaceSize?: number;
  /** Size-normalised sharpness (default 0.55, for the default detector's boxes). */
  minSharpness?: number;
  /** Detector score (default 0.7). */
  minDetectorScore?: number;
  /** Largest |yaw| (nose offset in inter-ocular distances; 0 frontal, about 0.5 at 45 degrees; default 0.4). */
  maxYaw?: number;
}

export type RefusalCode = 'no-face' | 'several-faces' | 'too-small' | 'blurred' | 'low-confidence' | 'not-frontal' | 'unreadable' | 'model-error';

export interface QualityVerdict {
  ok: boolean;
  code?: RefusalCode;
  reason?: string;
  face?: Face;
  sharpness?: number;
}

export const DEFAULT_QUALITY: Required<QualityOptions> = { minFaceSize: 64, minSharpness: 0.55, minDetectorScore: 0.7, maxYaw: 0.4 };

export function checkQuality(value: unknown): Required<QualityOptions> {
  const o = checkOptions('options.quality', value, ['minFaceSize', 'minSharpness', 'minDetectorScore', 'maxYaw']);
  return {
    minFaceSize: o.minFaceSize === undefined ? DEFAULT_QUALITY.minFaceSize : checkNumber('options.quality.minFaceSize', o.minFaceSize, 1, 100000),
    minSharpness: o.minSharpness === undefined ? DEFAULT_QUALITY.minSharpness : checkNumber('options.quality.minSharpness', o.minSharpness, 0),
    minDetectorScore: o.minDetectorScore === undefined ? DEFAULT_QUALITY.minDetectorScore : checkNumber('options.quality.minDetectorScore', o.minDetectorScore, 0, 1),
    maxYaw: o.maxYaw === undefined ? DEFAULT_QUALITY.maxYaw : checkNumber('options.quality.maxYaw', o.maxYaw, 0, 10),
  };
}

/** Judges the detector's faces of one enrolment image. */
export function judgeEnrolmentImage(frame: Frame, faces: readonly Face[], q: Required<QualityOptions>): QualityVerdict {
  if (faces.length === 0) return { ok: false, code: 'no-face', reason: 'no face found' };
  // Faces the detector is confident about; weaker ones (often a second, overlapping guess at the same face) do not count,
  // nor do faces less than half the size of the largest (someone far behind: the subject is not in doubt).
  const sure = faces.filter((f) => f.score >= q.minDetectorScore);
  if (sure.length === 0) {
    const best = faces.reduce((a, b) => (b.score > a.score ? b : a));
    return { ok: false, code: 'low-confidence', reason: `the detector is ${best.score.toFixed(2)} sure it is a face, below the minimum ${q.minDetectorScore}`, face: best };
  }
  const side = (f: Face) => Math.min(f.box.width, f.box.height);
  const face = sure.reduce((a, b) => (side(b) > side(a) ? b : a));
  const rivals = sure.filter((f) => f !== face && side(f) >= side(face) / 2);
  if (rivals.length > 0) return { ok: false, code: 'several-faces', reason: `${rivals.length + 1} faces found; an enrolment image must show exactly one person` };
  const size = Math.min(face.box.width, face.box.height);
  if (size < q.minFaceSize) return { ok: false, code: 'too-small', reason: `the face is ${Math.round(size)} px across, below the minimum ${q.minFaceSize} px`, face };
  const pose = poseOf(face.landmarks);
  if (pose && Math.abs(pose.yaw) > q.maxYaw) {
    return { ok: false, code: 'not-frontal', reason: `the face is turned too far (yaw ${pose.yaw.toFixed(2)}, at most ${q.maxYaw})`, face };
  }
  const sharp = faceSharpness(frame, face);
  if (sharp < q.minSharpness) {
    return { ok: false, code: 'blurred', reason: `the face is too blurred (sharpness ${sharp.toFixed(2)}, minimum ${q.minSharpness})`, face, sharpness: sharp };
  }
  return { ok: true, face, sharpness: sharp };
}

/** The pipeline's sharpness of the face box times its side / 32 (about size-independent). */
export function faceSharpness(frame: Frame, face: Face): number {
  const side = Math.max(face.box.width, face.box.height);
  return (sharpness(frame, [face.box])[0]! * side) / 32;
}
