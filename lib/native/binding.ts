/**
 * The whole native surface, typed in one place: the raw functions the addon
 * exports (native/src/addon.cc and one initialiser per concern), and the
 * wrappers every other module calls. Every asynchronous call goes through
 * `withCallerStack`, so a rejection points at the caller; every error the
 * addon raises is one of livefr's classes (the factory in errors.ts).
 *
 * Arguments reaching these functions were validated in TypeScript; the
 * native side re-checks every size it relies on.
 */
import { NativeError } from '../errors.js';
import type { PixelFormat } from '../frame.js';
import { withCallerStack, type NativeErrorKind } from './errors.js';
import { loadAddon } from './load.js';

type Triple = [number, number, number];

// ------------------------------------------------------------- shared ----

/** A frame as the native core reads it (layout already validated). */
export interface NativeFrame {
  data: Uint8Array;
  width: number;
  height: number;
  format: PixelFormat;
  stride: number;
}

/** The native view of a validated frame layout. */
export function toNativeFrame(layout: { data: Uint8Array; width: number; height: number; format: PixelFormat; stride: number }): NativeFrame {
  return { data: layout.data, width: layout.width, height: layout.height, format: layout.format, stride: layout.stride };
}

export interface BuildInfo {
  cpu: { avx2: boolean; avx512: boolean };
  simdCompiled: boolean;
  faiss: boolean;
  /** Whether a GPU watchlist index exists in this build (none does yet: always false). */
  faissGpu: boolean;
}

// -------------------------------------------------------------- image ----

export type SimdLevel = 'scalar' | 'avx2' | 'avx512';

export interface LetterboxParams {
  roiX: number;
  roiY: number;
  roiW: number;
  roiH: number;
  dstW: number;
  dstH: number;
  contentW: number;
  contentH: number;
  padX: number;
  padY: number;
  scaleX: number;
  scaleY: number;
  mean: Triple;
  std: Triple;
  bgr: boolean;
  padValue: number;
  threads: number;
}

/** squareCrops: output size and normalisation (crops are n x 7 Int32: x, y, w, h, side, ox, oy). */
export interface SquareCropParams {
  size: number;
  mean: Triple;
  std: Triple;
}

export interface AlignParams {
  size: number;
  template: Float32Array;
  points: number[];
  mean: Triple;
  std: Triple;
  bgr: boolean;
  padValue: number;
  /** 0 bilinear, 1 bicubic, 2 area (native/src/image/warp.cc). */
  interpolation?: number;
  /** Unsharp-mask amount for enlarged faces; 0 off. */
  sharpen?: number;
}

// ------------------------------------------------------------- detect ----

/** The native decoders (native/src/detect/decode.cc); 'candidates' = rows already decoded. */
export type NativeDecoderName = 'yunet' | 'scrfd' | 'retinaface' | 'ultraface' | 'candidates';

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
  family: NativeDecoderName;
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

// -------------------------------------------------------------- index ----

export type NativeIndexKind = 'flat' | 'hnsw' | 'ivf';

export interface NativeIndexOptions {
  dim: number;
  kind: NativeIndexKind;
  M: number;
  efSearch: number;
  efConstruction: number;
  nlist: number;
  nprobe: number;
}

export interface NativeSearchResult {
  scores: Float32Array;
  ids: BigInt64Array;
}

/** The native watchlist index (native/src/index/watch_index.h). */
export interface NativeWatchIndex {
  add(ids: Float64Array | BigInt64Array, vectors: Float32Array): Promise<void>;
  remove(ids: Float64Array | BigInt64Array): Promise<number>;
  search(queries: Float32Array, k: number, exact?: boolean): Promise<NativeSearchResult>;
  vectors(ids: Float64Array | BigInt64Array): Promise<Float32Array>;
  ids(): Promise<BigInt64Array>;
  train(): Promise<void>;
  compact(): Promise<number>;
  serialize(): Promise<Uint8Array>;
  load(bytes: Uint8Array): Promise<void>;
  readonly size: number;
  readonly tombstones: number;
  readonly trained: boolean;
  readonly dim: number;
  readonly kind: NativeIndexKind;
}

export interface IndexInfo {
  faiss: string | null;
  /** Whether a GPU index exists in this build (none does yet: always false). */
  gpu: boolean;
  kinds: string[];
}

// ------------------------------------------------------------ the addon ----

/** What the addon exports, exactly. */
export interface RawBinding {
  setErrorFactory(factory: (kind: NativeErrorKind, parameter: string | undefined, message: string) => Error): void;
  buildInfo(): BuildInfo;
  letterbox(frame: NativeFrame, params: LetterboxParams, out: Float32Array): Promise<void>;
  alignFaces(frame: NativeFrame, landmarks: Float32Array, params: AlignParams, out: Float32Array): Promise<void>;
  similarityTransform(src: Float32Array, dst: Float32Array): Float64Array;
  convertColor(frame: NativeFrame, to: 'rgb' | 'bgr' | 'gray', out: Uint8Array): Promise<void>;
  squareCrops(frame: NativeFrame, crops: Int32Array, params: SquareCropParams, out: Float32Array): Promise<void>;
  setSimd(level: 'auto' | SimdLevel): SimdLevel;
  simdLevel(): SimdLevel;
  bestSimd(): SimdLevel;
  detectPostprocess(job: PostprocessJob): Promise<Float32Array>;
  indexInfo(): IndexInfo;
  /** Absent when the core was compiled without FAISS. */
  WatchIndex?: new (options: NativeIndexOptions) => NativeWatchIndex;
  /** Per box: [Laplacian variance, intensity variance] of its luma. */
  qualitySharpness(frame: NativeFrame, boxes: Float32Array): Float64Array;
  /** An anonymous pipe, both ends close-on-exec, its kernel buffer raised towards `capacity` bytes (0: default). */
  ioCreatePipe(capacity: number): NativePipe;
}

export interface NativePipe {
  read: number;
  write: number;
  /** The pipe's kernel buffer in bytes, as set. */
  capacity: number;
}

/** The raw addon (loaded on first use). Library code calls the wrappers below instead. */
export function raw(): RawBinding {
  return loadAddon();
}

// ----------------------------------------------------------- wrappers ----

export function buildInfo(): BuildInfo {
  return raw().buildInfo();
}

export const image = {
  letterbox: (frame: NativeFrame, params: LetterboxParams, out: Float32Array): Promise<void> =>
    withCallerStack(() => raw().letterbox(frame, params, out)),
  alignFaces: (frame: NativeFrame, landmarks: Float32Array, params: AlignParams, out: Float32Array): Promise<void> =>
    withCallerStack(() => raw().alignFaces(frame, landmarks, params, out)),
  similarityTransform: (src: Float32Array, dst: Float32Array): Float64Array => raw().similarityTransform(src, dst),
  convertColor: (frame: NativeFrame, to: 'rgb' | 'bgr' | 'gray', out: Uint8Array): Promise<void> =>
    withCallerStack(() => raw().convertColor(frame, to, out)),
  /** Square crops with TensorFlow's legacy bilinear (face-api's input convention). */
  squareCrops: (frame: NativeFrame, crops: Int32Array, params: SquareCropParams, out: Float32Array): Promise<void> =>
    withCallerStack(() => raw().squareCrops(frame, crops, params, out)),
  setSimd: (level: 'auto' | SimdLevel): SimdLevel => raw().setSimd(level),
  simdLevel: (): SimdLevel => raw().simdLevel(),
  bestSimd: (): SimdLevel => raw().bestSimd(),
};

export const detect = {
  /** Decodes every pass, maps to frame pixels, drops tile-cut faces, clips, NMS: n x 15 rows, best first. */
  postprocess: (job: PostprocessJob): Promise<Float32Array> => withCallerStack(() => raw().detectPostprocess(job)),
};

export const quality = {
  sharpness: (frame: NativeFrame, boxes: Float32Array): Float64Array => raw().qualitySharpness(frame, boxes),
};

export const io = {
  createPipe: (capacity: number): NativePipe => raw().ioCreatePipe(capacity),
};

export function indexInfo(): IndexInfo {
  return raw().indexInfo();
}

/**
 * A native watchlist index whose asynchronous methods reject with the
 * caller's stack. Throws a NativeError when the build has no FAISS.
 */
export function createWatchIndex(options: NativeIndexOptions): NativeWatchIndex {
  const Ctor = raw().WatchIndex;
  if (Ctor === undefined) {
    throw new NativeError('This build of the livefr native core has no watchlist index (it was compiled without FAISS: LIVEFR_WITH_FAISS=OFF).');
  }
  const inner = new Ctor(options);
  return {
    add: (ids, vectors) => withCallerStack(() => inner.add(ids, vectors)),
    remove: (ids) => withCallerStack(() => inner.remove(ids)),
    search: (queries, k, exact) => withCallerStack(() => inner.search(queries, k, exact)),
    vectors: (ids) => withCallerStack(() => inner.vectors(ids)),
    ids: () => withCallerStack(() => inner.ids()),
    train: () => withCallerStack(() => inner.train()),
    compact: () => withCallerStack(() => inner.compact()),
    serialize: () => withCallerStack(() => inner.serialize()),
    load: (bytes) => withCallerStack(() => inner.load(bytes)),
    get size() {
      return inner.size;
    },
    get tombstones() {
      return inner.tombstones;
    },
    get trained() {
      return inner.trained;
    },
    get dim() {
      return inner.dim;
    },
    get kind() {
      return inner.kind;
    },
  };
}
