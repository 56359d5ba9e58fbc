/**
 * Face quality from what the detector gives: box size, pose from the 5
 * landmarks, and a sharpness measure computed natively (variance of the
 * Laplacian of luma, AVX2 or scalar) for many faces of a frame in one call.
 * The pipeline embeds a track's best few faces by this score.
 */
import { invalidType } from '../errors.js';
import { validateFrame, type Frame } from '../frame.js';
import { quality as nativeQuality } from '../native/index.js';
import type { Face, Point } from '../types.js';
import { checkNumber, checkOptions } from '../validate.js';

/** Per face: Laplacian variance and intensity variance of its box (luma). */
export interface SharpnessRaw {
  laplacianVariance: number;
  intensityVariance: number;
}

/**
 * Sharpness of each face box of a frame: sqrt(var(Laplacian)) /
 * (sqrt(var(intensity)) + 4), so contrast and lighting cancel out. It falls
 * with the face's size for the same detail (measured on lfw-dev faces: 0.91
 * at 32 px, 0.47 at 64, 0.28 at 96; a Gaussian blur of sigma 1 px halves
 * it), so `qualityOf` compares sharpness x side / 32 (about 0.8-0.9 for a
 * sharp face at any size, 0.4 at sigma 1, 0.25 at sigma 1.5).
 */
export function sharpness(frame: Frame, boxes: readonly { x: number; y: number; width: number; height: number }[]): Float64Array {
  const layout = validateFrame(frame, 'frame');
  if (!Array.isArray(boxes)) throw invalidType('boxes', 'an array of boxes { x, y, width, height }', boxes);
  const flat = new Float32Array(boxes.length * 4);
  boxes.forEach((b, i) => {
    flat[4 * i] = checkNumber(`boxes[${i}].x`, b?.x);
    flat[4 * i + 1] = checkNumber(`boxes[${i}].y`, b?.y);
    flat[4 * i + 2] = checkNumber(`boxes[${i}].width`, b?.width, 0);
    flat[4 * i + 3] = checkNumber(`boxes[${i}].height`, b?.height, 0);
  });
  const raw = nativeQuality.sharpness(
    { data: layout.data, width: layout.width, height: layout.height, format: layout.format, stride: layout.stride },
    flat,
  );
  const out = new Float64Array(boxes.length);
  for (let i = 0; i < boxes.length; i++) out[i] = Math.sqrt(raw[2 * i]!) / (Math.sqrt(raw[2 * i + 1]!) + 4);
  return out;
}

/** The raw sums behind `sharpness` (for tests and tuning). */
export function sharpnessRaw(frame: Frame, box: { x: number; y: number; width: number; height: number }): SharpnessRaw {
  const layout = validateFrame(frame, 'frame');
  const raw = nativeQuality.sharpness(
    { data: layout.data, width: layout.width, height: layout.height, format: layout.format, stride: layout.stride },
    Float32Array.of(box.x, box.y, box.width, box.height),
  );
  return { laplacianVariance: raw[0]!, intensityVariance: raw[1]! };
}

export interface Pose {
  /** Nose offset from the eyes' midpoint, in inter-ocular distances (0 frontal, about +-0.5 at 45 degrees). */
  yaw: number;
  /** Eye-line angle in degrees (0 upright). */
  roll: number;
  /** Eyes-to-nose over eyes-to-mouth vertical distance (about 0.5 frontal; larger looking down). */
  pitch: number;
}

/** Pose proxies from the 5 landmarks (null for box-only faces). */
export function poseOf(landmarks: readonly Point[]): Pose | null {
  if (landmarks.length !== 5) return null;
  const [le, re, nose, lm, rm] = landmarks as [Point, Point, Point, Point, Point];
  const ex = (le[0] + re[0]) / 2;
  const ey = (le[1] + re[1]) / 2;
  const dx = re[0] - le[0];
  const dy = re[1] - le[1];
  const iod = Math.hypot(dx, dy);
  if (!(iod > 0)) return { yaw: 1, roll: 0, pitch: 0.5 };
  const roll = (Math.atan2(dy, dx) * 180) / Math.PI;
  // Project the nose onto the eye line's frame.
  const ux = dx / iod;
  const uy = dy / iod;
  const nx = nose[0] - ex;
  const ny = nose[1] - ey;
  const yaw = (nx * ux + ny * uy) / iod;
  const mx = (lm[0] + rm[0]) / 2 - ex;
  const my = (lm[1] + rm[1]) / 2 - ey;
  const down = mx * -uy + my * ux;
  const noseDown = nx * -uy + ny * ux;
  const pitch = down > 0 ? noseDown / down : 1;
  return { yaw, roll, pitch };
}

export interface QualityOptions {
  /** Face side (px) from which size stops adding quality (default 64). */
  goodSize?: number;
  /** Faces smaller than this (px, larger box side) are not embedded (default 20). */
  minSize?: number;
  /** |yaw| at which the pose term reaches 0 (default 0.45). */
  maxYaw?: number;
  /** Size-normalised sharpness (sharpness x side / 32) at which the sharpness term reaches 1 (default 0.7). */
  goodSharpness?: number;
}

export interface QualityScore {
  /** 0 (unusable) to 1; the product of the terms below. */
  score: number;
  size: number;
  pose: number;
  sharp: number;
}

const Q_KEYS = ['goodSize', 'minSize', 'maxYaw', 'goodSharpness'] as const;

export function normaliseQualityOptions(options: unknown): Required<QualityOptions> {
  const o = checkOptions('options.quality', options, Q_KEYS);
  return {
    goodSize: o.goodSize === undefined ? 64 : checkNumber('options.quality.goodSize', o.goodSize, 1, 10000),
    minSize: o.minSize === undefined ? 20 : checkNumber('options.quality.minSize', o.minSize, 0, 10000),
    maxYaw: o.maxYaw === undefined ? 0.45 : checkNumber('options.quality.maxYaw', o.maxYaw, 0.01, 10),
    goodSharpness: o.goodSharpness === undefined ? 0.7 : checkNumber('options.quality.goodSharpness', o.goodSharpness, 0.01, 100),
  };
}

/** Combines size, pose and sharpness into one score. */
export function qualityOf(face: Face, sharp: number, o: Required<QualityOptions>): QualityScore {
  const side = Math.max(face.box.width, face.box.height);
  if (side < o.minSize) return { score: 0, size: 0, pose: 0, sharp: 0 };
  const size = Math.min(1, side / o.goodSize);
  const pose = poseOf(face.landmarks);
  let poseTerm = 1;
  if (pose) {
    const yawTerm = Math.max(0, 1 - Math.abs(pose.yaw) / o.maxYaw);
    const rollTerm = Math.max(0, 1 - Math.abs(pose.roll) / 60);
    const pitchTerm = pose.pitch > 0.15 && pose.pitch < 0.85 ? 1 : 0.5;
    poseTerm = yawTerm * rollTerm * pitchTerm;
  }
  const sharpTerm = Math.min(1, (sharp * side) / 32 / o.goodSharpness);
  return { score: Math.sqrt(size) * poseTerm * Math.sqrt(sharpTerm), size, pose: poseTerm, sharp: sharpTerm };
}
