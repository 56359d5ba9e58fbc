/**
 * Image preprocessing on the native SIMD core: letterbox/resize +
 * normalisation into NCHW float tensors, 5-point similarity alignment of many
 * faces in one call, and colour conversion. Everything is validated here
 * (typed errors naming the parameter); the C++ side re-checks sizes, then
 * runs off the JS thread and resolves a promise. See docs/preprocessing.md.
 */
import { availableParallelism } from 'node:os';
import { invalidType, outOfRange } from './errors.js';
import { validateFrame } from './frame.js';
import type { Frame, FrameLayout } from './frame.js';
import { image as nativeImage, toNativeFrame, type SimdLevel } from './native/index.js';
import type { Face } from './types.js';
import { checkBoolean, checkEnum, checkInteger, checkNumber, checkOptions, isPlainObject } from './validate.js';

// ---- SIMD ------------------------------------------------------------------------

export type { SimdLevel };
export const SIMD_LEVELS = ['auto', 'scalar', 'avx2', 'avx512'] as const;

/**
 * Chooses the kernels of the native image core: 'auto' (the best this CPU
 * supports), or a given level; a level this CPU or build lacks is a
 * RangeError. Returns the level now in use. Affects calls made after it.
 */
export function setSimd(level: (typeof SIMD_LEVELS)[number]): SimdLevel {
  checkEnum('level', level, SIMD_LEVELS);
  return nativeImage.setSimd(level);
}

/** The SIMD level the native image core uses now. */
export function simdLevel(): SimdLevel {
  return nativeImage.simdLevel();
}

/** The best SIMD level this CPU and build support. */
export function bestSimdLevel(): SimdLevel {
  return nativeImage.bestSimd();
}

// ---- shared option parsing ---------------------------------------------------------

export type ChannelOrder = 'rgb' | 'bgr';
const CHANNEL_ORDERS = ['rgb', 'bgr'] as const;

function checkTriple(param: string, value: unknown, fallback: number, positive: boolean): [number, number, number] {
  if (value === undefined) return [fallback, fallback, fallback];
  if (typeof value === 'number') value = [value, value, value];
  if (!Array.isArray(value) && !ArrayBuffer.isView(value)) throw invalidType(param, 'a number or an array of 3 numbers', value);
  const arr = Array.from(value as ArrayLike<unknown>);
  if (arr.length !== 3) throw outOfRange(param, 'an array of 3 numbers (one per tensor channel)', value);
  return arr.map((v, i) => {
    const n = checkNumber(`${param}[${i}]`, v);
    if (positive && !(n > 0)) throw outOfRange(`${param}[${i}]`, 'a positive number', v);
    return n;
  }) as [number, number, number];
}

function checkOut(param: string, out: unknown, length: number): Float32Array {
  if (out === undefined) return new Float32Array(length);
  if (!(out instanceof Float32Array)) throw invalidType(param, `a Float32Array of ${length} values`, out);
  if (out.length !== length) throw outOfRange(param, `a Float32Array of exactly ${length} values`, out);
  return out;
}

// ---- letterbox -----------------------------------------------------------------------

export interface Roi {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface LetterboxOptions {
  /** Tensor width and height in pixels. */
  width: number;
  height: number;
  /** Region of the frame to use (integer pixels, inside the frame). Default: the whole frame. */
  roi?: Roi;
  /** Keep the aspect ratio and pad (default true); false stretches to width x height. */
  keepAspect?: boolean;
  /** Where the image goes when padded (default 'topLeft'). */
  align?: 'topLeft' | 'center';
  /** Per tensor channel (in tensor order): out = (v - mean) / std. Default 0 and 1. */
  mean?: number | number[];
  std?: number | number[];
  /** Channel order of the tensor (default 'rgb'). */
  channelOrder?: ChannelOrder;
  /** Raw pixel value of the padding, normalised like the pixels (default 0). */
  padValue?: number;
  /**
   * Threads a large job may split its rows over (1 or 2; default 2 when the
   * CPU has 2 or more). Small jobs always use one.
   */
  threads?: number;
}

export const LETTERBOX_OPTION_KEYS = ['width', 'height', 'roi', 'keepAspect', 'align', 'mean', 'std', 'channelOrder', 'padValue', 'threads'] as const;

/** Row threads of a large letterbox unless told (2 on a machine with 2 or more cores). */
export const DEFAULT_THREADS = availableParallelism() >= 2 ? 2 : 1;

/** Where the image lands in the tensor: tensor = (frame - roi origin) * scale + pad. */
export interface LetterboxGeometry {
  /** Uniform scale (keepAspect), else min(scaleX, scaleY). */
  scale: number;
  scaleX: number;
  scaleY: number;
  padX: number;
  padY: number;
  /** Size of the image inside the tensor. */
  contentWidth: number;
  contentHeight: number;
  /** The region of the frame used. */
  roi: Roi;
}

export interface LetterboxResult extends LetterboxGeometry {
  tensor: Float32Array;
}

/**
 * The geometry `letterbox` uses for a region of roiWidth x roiHeight pixels:
 * keepAspect scale = min(width / roiWidth, height / roiHeight), content size
 * = round(roi size x scale), padding split per `align`.
 */
export function letterboxGeometry(
  roi: Roi,
  width: number,
  height: number,
  keepAspect = true,
  align: 'topLeft' | 'center' = 'topLeft',
): LetterboxGeometry {
  let scaleX: number, scaleY: number, cw: number, ch: number;
  if (keepAspect) {
    const s = Math.min(width / roi.width, height / roi.height);
    scaleX = scaleY = s;
    cw = Math.min(width, Math.max(1, Math.round(roi.width * s)));
    ch = Math.min(height, Math.max(1, Math.round(roi.height * s)));
  } else {
    scaleX = width / roi.width;
    scaleY = height / roi.height;
    cw = width;
    ch = height;
  }
  const center = align === 'center';
  return {
    scale: Math.min(scaleX, scaleY),
    scaleX,
    scaleY,
    padX: center ? Math.floor((width - cw) / 2) : 0,
    padY: center ? Math.floor((height - ch) / 2) : 0,
    contentWidth: cw,
    contentHeight: ch,
    roi: { ...roi },
  };
}

function checkRoi(param: string, value: unknown, layout: FrameLayout): Roi {
  if (value === undefined) return { x: 0, y: 0, width: layout.width, height: layout.height };
  const o = checkOptions(param, value, ['x', 'y', 'width', 'height'] as const);
  const x = checkInteger(`${param}.x`, o.x, 0, layout.width - 1);
  const y = checkInteger(`${param}.y`, o.y, 0, layout.height - 1);
  const width = checkInteger(`${param}.width`, o.width, 1, layout.width - x);
  const height = checkInteger(`${param}.height`, o.height, 1, layout.height - y);
  return { x, y, width, height };
}

/**
 * Resizes a frame (or a region of it) into a 3 x height x width float tensor
 * (NCHW, one image), normalised per channel. Bilinear with pixel-centre
 * alignment; area averaging when shrinking by more than 2x. Fills `out`
 * when given (exactly 3*width*height values), else a new Float32Array that
 * owns its buffer. Resolves with the tensor and the geometry to map boxes
 * back: frame = (tensor - pad) / scale + roi origin.
 */
export async function letterbox(frame: Frame, options: LetterboxOptions, out?: Float32Array): Promise<LetterboxResult> {
  const layout = validateFrame(frame, 'frame');
  const cfg = parseLetterboxOptions(options, layout);
  const tensor = checkOut('out', out, 3 * cfg.width * cfg.height);
  return letterboxLayout(layout, cfg, tensor);
}

/** Largest tensor letterbox fills, in pixels (3 floats each): 4096 x 4096, 201 MB. */
export const MAX_TENSOR_PIXELS = 4096 * 4096;

/** Letterbox options, parsed and checked against a frame. */
export interface LetterboxConfig {
  width: number;
  height: number;
  roi: Roi;
  keepAspect: boolean;
  align: 'topLeft' | 'center';
  mean: [number, number, number];
  std: [number, number, number];
  channelOrder: ChannelOrder;
  padValue: number;
  threads: number;
}

export function parseLetterboxOptions(options: unknown, layout: FrameLayout): LetterboxConfig {
  if (options === undefined) throw invalidType('options', 'an options object with width and height', options);
  const o = checkOptions('options', options, LETTERBOX_OPTION_KEYS);
  const width = checkInteger('options.width', o.width, 1, 16384);
  const height = checkInteger('options.height', o.height, 1, 16384);
  if (width * height > MAX_TENSOR_PIXELS) {
    throw outOfRange('options.width', `width x height of at most ${MAX_TENSOR_PIXELS} pixels (a 4096 x 4096 tensor, ${(MAX_TENSOR_PIXELS * 12) / 2 ** 20} MiB of floats); ${width} x ${height} asked`, width);
  }
  return {
    width,
    height,
    roi: checkRoi('options.roi', o.roi, layout),
    keepAspect: o.keepAspect === undefined ? true : checkBoolean('options.keepAspect', o.keepAspect),
    align: o.align === undefined ? 'topLeft' : checkEnum('options.align', o.align, ['topLeft', 'center'] as const),
    mean: checkTriple('options.mean', o.mean, 0, false),
    std: checkTriple('options.std', o.std, 1, true),
    channelOrder: o.channelOrder === undefined ? 'rgb' : checkEnum('options.channelOrder', o.channelOrder, CHANNEL_ORDERS),
    padValue: o.padValue === undefined ? 0 : checkNumber('options.padValue', o.padValue),
    threads: o.threads === undefined ? DEFAULT_THREADS : checkInteger('options.threads', o.threads, 1, 2),
  };
}

/**
 * letterbox over a frame already validated (its layout) with options
 * already parsed: the detector's hot path, which validates a frame once
 * for all its passes. `tensor` holds exactly 3 x width x height floats.
 */
export async function letterboxLayout(layout: FrameLayout, cfg: LetterboxConfig, tensor: Float32Array): Promise<LetterboxResult> {
  const { roi, width, height } = cfg;
  const g = letterboxGeometry(roi, width, height, cfg.keepAspect, cfg.align);
  const params = {
    roiX: roi.x,
    roiY: roi.y,
    roiW: roi.width,
    roiH: roi.height,
    dstW: width,
    dstH: height,
    contentW: g.contentWidth,
    contentH: g.contentHeight,
    padX: g.padX,
    padY: g.padY,
    scaleX: g.scaleX,
    scaleY: g.scaleY,
    mean: cfg.mean,
    std: cfg.std,
    bgr: cfg.channelOrder === 'bgr',
    padValue: cfg.padValue,
    threads: cfg.threads,
  };
  await nativeImage.letterbox(toNativeFrame(layout), params, tensor);
  return { tensor, ...g };
}

// ---- alignment ---------------------------------------------------------------------------

/** The standard ArcFace 5-point template for 112 x 112 crops (x0, y0, ..., x4, y4). */
export const ARCFACE_TEMPLATE_112: readonly number[] = Object.freeze([
  38.2946, 51.6963, 73.5318, 51.5014, 56.0252, 71.7366, 41.5493, 92.3655, 70.7299, 92.2041,
]);

/** The ArcFace template scaled to a size x size crop. */
export function arcfaceTemplate(size = 112): Float32Array {
  return Float32Array.from(ARCFACE_TEMPLATE_112, (v) => (v * size) / 112);
}

export interface AlignOptions {
  /** Crop size in pixels (default 112). */
  size?: number;
  /** 10 values: the 5 template points in crop pixels. Default: the ArcFace template scaled to size. */
  template?: Float32Array | number[];
  /** Which landmark indices (0..4) the fit uses (default all 5). */
  points?: number[];
  mean?: number | number[];
  std?: number | number[];
  channelOrder?: ChannelOrder;
  /** Raw value (0..255) of pixels outside the frame (default 0). */
  padValue?: number;
  /**
   * Sampling of the warp (default 'bilinear', SIMD): 'bicubic' (Keys,
   * a = -0.5) or 'area' (each crop pixel's footprint integrated over the
   * frame pixels it covers), both scalar. Faces larger than twice the crop
   * are box-filtered first whatever the sampling.
   */
  interpolation?: Interpolation;
  /**
   * Unsharp mask (3x3 binomial) of this amount, 0 to 4, applied to faces the
   * warp enlarges (smaller in the frame than in the crop); default 0 (off).
   */
  sharpen?: number;
}

export const INTERPOLATIONS = ['bilinear', 'bicubic', 'area'] as const;
export type Interpolation = (typeof INTERPOLATIONS)[number];

/**
 * Largest landmark or box coordinate accepted, in frame pixels (30 times the
 * largest frame side): beyond it a point is a mistake, and in float32 it
 * would lose all precision or overflow.
 */
export const MAX_COORDINATE = 1e6;

export const ALIGN_OPTION_KEYS = ['size', 'template', 'points', 'mean', 'std', 'channelOrder', 'padValue', 'interpolation', 'sharpen'] as const;

/**
 * Flattens faces' landmarks into n x 10 floats (x0, y0, ..., x4, y4).
 * Throws a RangeError naming the face whose landmarks are missing or not finite.
 */
export function landmarksOf(faces: readonly Face[], param = 'faces'): Float32Array {
  if (!Array.isArray(faces)) throw invalidType(param, 'an array of faces', faces);
  const out = new Float32Array(faces.length * 10);
  faces.forEach((face, i) => {
    if (!isPlainObject(face)) throw invalidType(`${param}[${i}]`, 'a Face object', face);
    const lm = (face as unknown as Face).landmarks;
    if (!Array.isArray(lm) || lm.length !== 5) throw outOfRange(`${param}[${i}].landmarks`, '5 landmark points', lm);
    lm.forEach((p, k) => {
      if (!Array.isArray(p) || p.length !== 2) throw invalidType(`${param}[${i}].landmarks[${k}]`, 'an [x, y] point', p);
      out[i * 10 + 2 * k] = checkNumber(`${param}[${i}].landmarks[${k}][0]`, p[0], -MAX_COORDINATE, MAX_COORDINATE);
      out[i * 10 + 2 * k + 1] = checkNumber(`${param}[${i}].landmarks[${k}][1]`, p[1], -MAX_COORDINATE, MAX_COORDINATE);
    });
  });
  return out;
}

function checkLandmarks(param: string, value: unknown): Float32Array {
  if (Array.isArray(value)) return landmarksOf(value as Face[], param);
  if (!(value instanceof Float32Array)) throw invalidType(param, 'a Float32Array of n x 10 values or an array of faces', value);
  if (value.length % 10 !== 0) throw outOfRange(param, 'a Float32Array whose length is a multiple of 10', value);
  for (let i = 0; i < value.length; i++) {
    const v = value[i]!;
    if (!Number.isFinite(v)) throw outOfRange(`${param}[${i}]`, 'a finite number', v);
    if (Math.abs(v) > MAX_COORDINATE) throw outOfRange(`${param}[${i}]`, `a coordinate between -${MAX_COORDINATE} and ${MAX_COORDINATE}`, v);
  }
  return value;
}

/** Parsed alignment options, reusable across calls. */
export interface AlignConfig {
  size: number;
  template: Float32Array;
  points: number[];
  mean: [number, number, number];
  std: [number, number, number];
  channelOrder: ChannelOrder;
  padValue: number;
  interpolation: Interpolation;
  sharpen: number;
}

export function parseAlignOptions(param: string, options: unknown): AlignConfig {
  const o = checkOptions(param, options, ALIGN_OPTION_KEYS);
  const size = o.size === undefined ? 112 : checkInteger(`${param}.size`, o.size, 8, 2048);
  let template: Float32Array;
  if (o.template === undefined) {
    template = arcfaceTemplate(size);
  } else {
    if (!(o.template instanceof Float32Array) && !Array.isArray(o.template)) {
      throw invalidType(`${param}.template`, 'a Float32Array or array of 10 numbers', o.template);
    }
    const t = Array.from(o.template as ArrayLike<unknown>);
    if (t.length !== 10) throw outOfRange(`${param}.template`, '10 numbers (5 points)', o.template);
    template = Float32Array.from(t.map((v, i) => checkNumber(`${param}.template[${i}]`, v)));
  }
  let points = [0, 1, 2, 3, 4];
  if (o.points !== undefined) {
    if (!Array.isArray(o.points)) throw invalidType(`${param}.points`, 'an array of landmark indices 0..4', o.points);
    points = o.points.map((p, i) => checkInteger(`${param}.points[${i}]`, p, 0, 4));
    if (points.length < 2 || new Set(points).size !== points.length) {
      throw outOfRange(`${param}.points`, 'at least 2 distinct landmark indices', o.points);
    }
  }
  return {
    size,
    template,
    points,
    mean: checkTriple(`${param}.mean`, o.mean, 0, false),
    std: checkTriple(`${param}.std`, o.std, 1, true),
    channelOrder: o.channelOrder === undefined ? 'rgb' : checkEnum(`${param}.channelOrder`, o.channelOrder, CHANNEL_ORDERS),
    padValue: o.padValue === undefined ? 0 : checkNumber(`${param}.padValue`, o.padValue, 0, 255),
    interpolation: o.interpolation === undefined ? 'bilinear' : checkEnum(`${param}.interpolation`, o.interpolation, INTERPOLATIONS),
    sharpen: o.sharpen === undefined ? 0 : checkNumber(`${param}.sharpen`, o.sharpen, 0, 4),
  };
}

/** alignFaces with options already parsed (the embedder's hot path). */
export async function alignWith(frame: FrameLayout, landmarks: Float32Array, cfg: AlignConfig, out: Float32Array): Promise<Float32Array> {
  const n = landmarks.length / 10;
  if (n === 0) return out;
  const params = {
    size: cfg.size,
    template: cfg.template,
    points: cfg.points,
    mean: cfg.mean,
    std: cfg.std,
    bgr: cfg.channelOrder === 'bgr',
    padValue: cfg.padValue,
    interpolation: INTERPOLATIONS.indexOf(cfg.interpolation),
    sharpen: cfg.sharpen,
  };
  await nativeImage.alignFaces(toNativeFrame(frame), landmarks, params, out);
  return out;
}

/**
 * Aligns n faces in one call: for each, the least-squares similarity (scale,
 * rotation, translation) from its landmarks to the template, then an inverse
 * bilinear warp into a size x size crop. Resolves with n x 3 x size x size
 * floats (NCHW), normalised like `letterbox`. Pixels outside the frame take
 * `padValue`. `landmarks` is n x 10 floats or an array of faces.
 */
export async function alignFaces(frame: Frame, landmarks: Float32Array | readonly Face[], options?: AlignOptions, out?: Float32Array): Promise<Float32Array> {
  const layout = validateFrame(frame, 'frame');
  const lm = checkLandmarks('landmarks', landmarks);
  const cfg = parseAlignOptions('options', options);
  const n = lm.length / 10;
  const perCall = Math.max(1, Math.floor(MAX_TENSOR_PIXELS / (cfg.size * cfg.size)));
  if (n > perCall) {
    throw outOfRange('landmarks', `at most ${perCall} faces per call at size ${cfg.size} (${MAX_TENSOR_PIXELS} crop pixels, ${(MAX_TENSOR_PIXELS * 12) / 2 ** 20} MiB of floats); call again for the rest (Embedder.embed batches by itself)`, `${n} faces`);
  }
  const tensor = checkOut('out', out, n * 3 * cfg.size * cfg.size);
  return alignWith(layout, lm, cfg, tensor);
}

/**
 * The least-squares similarity mapping src points onto dst points (both
 * x0, y0, x1, y1, ...): returns the 2 x 3 matrix [a, -b, tx, b, a, ty] with
 * dst = [[a, -b], [b, a]] * src + [tx, ty]. Fitted in the native core (the
 * same code alignFaces uses).
 */
export function similarityTransform(src: Float32Array | number[], dst: Float32Array | number[]): Float64Array {
  const toF = (param: string, v: unknown): Float32Array => {
    if (!(v instanceof Float32Array) && !Array.isArray(v)) throw invalidType(param, 'a Float32Array or array of x, y values', v);
    const a = Array.from(v as ArrayLike<unknown>);
    if (a.length < 4 || a.length % 2 !== 0 || a.length > 2048) throw outOfRange(param, 'between 2 and 1024 points (x, y pairs)', v);
    return Float32Array.from(a.map((x, i) => checkNumber(`${param}[${i}]`, x)));
  };
  const s = toF('src', src);
  const d = toF('dst', dst);
  if (s.length !== d.length) throw outOfRange('dst', `${s.length / 2} points, as many as src`, dst);
  return nativeImage.similarityTransform(s, d);
}

// ---- colour conversion ---------------------------------------------------------------------

/**
 * Converts a frame of any format into a new packed 'rgb', 'bgr' or 'gray'
 * frame. YUV is BT.601 limited range; gray is BT.601 luma (full range).
 */
export async function convertColor(frame: Frame, to: 'rgb' | 'bgr' | 'gray'): Promise<Frame> {
  const layout = validateFrame(frame, 'frame');
  const target = checkEnum('to', to, ['rgb', 'bgr', 'gray'] as const);
  const out = new Uint8Array(layout.width * layout.height * (target === 'gray' ? 1 : 3));
  await nativeImage.convertColor(toNativeFrame(layout), target, out);
  return { data: out, width: layout.width, height: layout.height, format: target };
}
