/**
 * The crops face-api feeds its networks: a box clipped to the frame and
 * floored, centred in a zero-padded square, resized with TensorFlow's
 * bilinear without half-pixel centres, normalised. The pixels are read and
 * resized by the native core (native/src/image/square.cc), many crops per
 * call, off the JS thread.
 */
import { invalidType, outOfRange } from '../../errors.js';
import { validateFrame, type Frame, type FrameLayout } from '../../frame.js';
import { image as nativeImage, toNativeFrame } from '../../native/index.js';
import type { Point } from '../../types.js';
import { checkInteger } from '../../validate.js';

/** A region (x, y, w, h) of the frame placed at (ox, oy) in a square of side s. */
export interface ChipGeometry {
  x: number;
  y: number;
  w: number;
  h: number;
  s: number;
  ox: number;
  oy: number;
}

/**
 * Fills `out` with one size x size crop per geometry (NCHW, (v - mean) /
 * std), crop i at offset i x 3 x size x size.
 */
export async function squareCrops(
  layout: FrameLayout,
  crops: readonly ChipGeometry[],
  size: number,
  norm: { mean: readonly number[]; std: readonly number[] },
  out: Float32Array,
): Promise<void> {
  if (crops.length === 0) return;
  const flat = new Int32Array(crops.length * 7);
  crops.forEach((g, i) => flat.set([g.x, g.y, g.w, g.h, g.s, g.ox, g.oy], i * 7));
  const triple = (v: readonly number[]): [number, number, number] => [v[0]!, v[1]!, v[2]!];
  await nativeImage.squareCrops(toNativeFrame(layout), flat, { size, mean: triple(norm.mean), std: triple(norm.std) }, out);
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
 * size 150 and face-api's mean (FACEAPI_MEAN in the model catalog), std 255 with the box from
 * faceApiDescriptorBox(); this is exactly what face-api feeds its nets.
 */
export async function faceApiChip(
  frame: Frame,
  box: { x: number; y: number; width: number; height: number },
  size: number,
  normalisation: { mean: readonly number[]; std: readonly number[] },
  out?: Float32Array,
): Promise<Float32Array> {
  const layout = validateFrame(frame);
  checkInteger('size', size, 1, 4096);
  if (!box || ![box.x, box.y, box.width, box.height].every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw invalidType('box', 'a box { x, y, width, height } of finite numbers', box);
  }
  const t = out ?? new Float32Array(3 * size * size);
  if (t.length !== 3 * size * size) throw outOfRange('out', `a Float32Array of ${3 * size * size} values`, t);
  const g = chipGeometry(box, layout.width, layout.height);
  await squareCrops(layout, [g], size, normalisation, t);
  return t;
}

/** face-api's Box.clipAtImageBorders + floor, then the centred square. */
export function chipGeometry(box: { x: number; y: number; width: number; height: number }, W: number, H: number): ChipGeometry {
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
