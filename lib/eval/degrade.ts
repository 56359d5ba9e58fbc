/**
 * Probe degradations: what a live camera sees instead of a frontal,
 * well-lit 100 px face. Applied to probe images only (enrolment stays
 * clean), before detection, with sharp.
 *
 * A degradation is written `key=value` terms joined by `+`, applied in this
 * order:
 * - `size=W`:  downscale the whole image so the face (the clean detection's
 *              box width) is W px wide (never upscales);
 * - `ied=D`:   the same, to an inter-eye distance of D px;
 * - `blur=S`:  Gaussian blur of sigma S px (after any downscale);
 * - `jpeg=Q`:  re-encode as JPEG of quality Q (1..100);
 * - `scene=W`: downscale the face to W px wide and paste the image into a
 *              1920x1080 grey frame at a position fixed by the image hash,
 *              so the detector must find a small face in a full-HD frame.
 * e.g. `size=32`, `blur=1.5`, `size=48+jpeg=30`, `scene=32`.
 */
import { DecodeError, invalidType, outOfRange } from '../errors.js';
import type { Frame } from '../frame.js';
import type { Face } from '../types.js';

export interface Degradation {
  size?: number;
  ied?: number;
  blur?: number;
  jpeg?: number;
  scene?: number;
}

const KEYS = ['size', 'ied', 'blur', 'jpeg', 'scene'] as const;
const LIMITS: Record<(typeof KEYS)[number], [number, number, boolean]> = {
  size: [4, 4096, true],
  ied: [2, 2048, true],
  blur: [0.3, 100, false],
  jpeg: [1, 100, true],
  scene: [4, 1024, true],
};

export const SCENE_SIZE: [number, number] = [1920, 1080];

/** Parses `size=32+jpeg=30` into a Degradation (RangeError naming `param`). */
export function parseDegradation(spec: string, param = 'degrade'): Degradation {
  if (typeof spec !== 'string' || spec.trim() === '') throw invalidType(param, 'a degradation such as "size=32" or "blur=2+jpeg=30"', spec);
  const d: Degradation = {};
  for (const term of spec.split('+')) {
    const m = /^\s*([a-z]+)\s*=\s*([0-9.]+)\s*$/.exec(term);
    const key = m?.[1] as (typeof KEYS)[number] | undefined;
    if (!m || !key || !(KEYS as readonly string[]).includes(key)) {
      throw outOfRange(param, `terms key=value with key one of ${KEYS.join(', ')} joined by "+"`, spec);
    }
    const [lo, hi, integer] = LIMITS[key];
    const v = Number(m[2]);
    if (!Number.isFinite(v) || v < lo || v > hi || (integer && !Number.isInteger(v))) {
      throw outOfRange(`${param}.${key}`, `${integer ? 'an integer' : 'a number'} between ${lo} and ${hi}`, v);
    }
    if (d[key] !== undefined) throw outOfRange(param, `each key at most once`, spec);
    d[key] = v;
  }
  if ([d.size, d.ied, d.scene].filter((x) => x !== undefined).length > 1) {
    throw outOfRange(param, 'at most one of size, ied, scene', spec);
  }
  return d;
}

/** Canonical text of a degradation ('' for none). */
export function degradationLabel(d: Degradation | null | undefined): string {
  if (!d) return '';
  return KEYS.filter((k) => d[k] !== undefined).map((k) => `${k}=${d[k]}`).join('+');
}

function seededOffset(hash: string, range: number, salt: number): number {
  if (range <= 0) return 0;
  return parseInt(hash.slice(salt * 8, salt * 8 + 8), 16) % (range + 1);
}

export interface DegradedImage {
  frame: Frame;
  /** Where the face's centre now is, to pick the right detection. */
  centre: [number, number];
}

/**
 * Applies a degradation to image bytes. `face` is the clean detection (it
 * sets the scale); `hash` the image content hash (it places the scene paste).
 */
interface Raw {
  data: Buffer;
  width: number;
  height: number;
}

export async function degradeImage(bytes: Uint8Array, face: Face, d: Degradation, hash: string): Promise<DegradedImage> {
  const { default: sharp } = await import('sharp');
  const raw = (r: Raw) => sharp(r.data, { raw: { width: r.width, height: r.height, channels: 3 } });
  const done = async (p: ReturnType<typeof sharp>): Promise<Raw> => {
    const { data, info } = await p.removeAlpha().raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height };
  };
  try {
    let cur = await done(sharp(bytes).rotate().toColourspace('srgb'));
    const { width, height } = cur;
    let scale = 1;
    if (d.size !== undefined || d.scene !== undefined) scale = (d.size ?? d.scene)! / face.box.width;
    if (d.ied !== undefined) {
      const [l, r] = face.landmarks;
      if (!l || !r) throw outOfRange('degrade.ied', 'a detector with eye landmarks', d.ied);
      scale = d.ied / Math.hypot(r[0] - l[0], r[1] - l[1]);
    }
    scale = Math.min(1, scale);
    if (scale < 1) {
      const w = Math.max(1, Math.round(width * scale));
      const h = Math.max(1, Math.round(height * scale));
      cur = await done(raw(cur).resize(w, h, { fit: 'fill', kernel: 'lanczos3' }));
    }
    if (d.blur !== undefined) cur = await done(raw(cur).blur(d.blur));
    if (d.jpeg !== undefined) cur = await done(sharp(await raw(cur).jpeg({ quality: d.jpeg }).toBuffer()));
    const cx = (face.box.x + face.box.width / 2) * (cur.width / width);
    const cy = (face.box.y + face.box.height / 2) * (cur.height / height);
    if (d.scene !== undefined) {
      const [sw, sh] = SCENE_SIZE;
      const left = seededOffset(hash, sw - cur.width, 0);
      const top = seededOffset(hash, sh - cur.height, 1);
      const scene = await done(
        sharp({ create: { width: sw, height: sh, channels: 3, background: { r: 118, g: 118, b: 118 } } }).composite([
          { input: cur.data, raw: { width: cur.width, height: cur.height, channels: 3 }, left, top },
        ]),
      );
      return { frame: { data: scene.data, width: sw, height: sh, format: 'rgb' }, centre: [cx + left, cy + top] };
    }
    return { frame: { data: cur.data, width: cur.width, height: cur.height, format: 'rgb' }, centre: [cx, cy] };
  } catch (err) {
    if (err instanceof RangeError) throw err;
    throw new DecodeError(`Cannot degrade image: ${(err as Error).message}`, { cause: err });
  }
}
