/**
 * Face detection: `Detector.load({ family, model })`, then
 * `detector.detect(frame)` -> faces (box, score, 5 landmarks) in frame pixels.
 *
 * Everything family-specific lives in an adapter (lib/detectors/types.ts);
 * this class validates options, letterboxes the frame (plus tiles for small
 * faces in large frames, lib/detectors/tiling.ts), runs the model in the
 * inference pool, and hands every output to one native call that decodes,
 * maps to frame pixels and runs NMS.
 */
import { ModelError, StateError, invalidType, outOfRange } from './errors.js';
import { validateFrame, type Frame, type FrameLayout } from './frame.js';
import { InferencePool, INFERENCE_OPTION_KEYS, type InferenceOptions, type Tensor } from './inference/pool.js';
import { asLandmarks, type Box, type Face, type Point } from './types.js';
import { checkBoolean, checkInteger, checkNumber, checkOptions, isPlainObject } from './validate.js';
import { detect as nativeDetect, type PostprocessPass } from './native/index.js';
import { DETECTOR_FAMILIES, loadDetectorFamily, type DetectorFamilyName } from './detectors/registry.js';
import type { DetectorModelName } from './models/catalog.js';
import { MAX_PASSES, MAX_PASS_PIXELS, mosaicPasses, passesFor, planPasses, type PlannedPass, type Roi } from './detectors/tiling.js';
import { FACE_ROW, type DecodeSpec, type DetectorFamilyAdapter, type ModelSignature, type Size, type Triple } from './detectors/types.js';
import { DEFAULT_THREADS, letterboxLayout, type LetterboxConfig } from './preprocess.js';
import type { LandmarkStage, LandmarkStageName } from './detectors/landmark-stage.js';

export { DETECTOR_FAMILIES, registerDetectorFamily } from './detectors/registry.js';
export type { BuiltInDetectorFamily, DetectorFamilyName } from './detectors/registry.js';
export type {
  DetectorFamilyAdapter,
  ModelSignature,
  InputBinding,
  DecodeSpec,
  NativeDecode,
  NativeDecoder,
  JsDecode,
} from './detectors/types.js';
export { modelMismatch, bindImageInput } from './detectors/types.js';

export interface DetectorLoadOptions extends InferenceOptions {
  /** Detector family (see DETECTOR_FAMILIES); optional for registry models, whose manifest names it. */
  family?: DetectorFamilyName;
  /** Path to an .onnx file, a registry name ('default', 'blazeface-front', ...) or the model bytes. Default: the registry's default detector. */
  model?: DetectorModelName | 'default' | (string & {}) | Uint8Array;
  /** Whole-frame input [width, height] for dynamic-size models (YuNet); must equal the model's size for fixed ones. */
  inputSize?: [number, number];
  /**
   * A landmark stage run on every detected box (lib/detectors/landmark-stage.ts),
   * replacing the detector's own 5 points: 'mtcnn-onet', 'faceapi-landmarks68',
   * 'fr-landmark', or 'none'. Default: the registry default's stage
   * (DEFAULTS.landmarks) when the default detector is loaded, else none.
   */
  landmarkStage?: string;
}

export interface DetectOptions {
  /** Score threshold (default per family, 0.5 to 0.7). */
  minScore?: number;
  /** NMS IoU threshold (default per family, 0.3 to 0.4). */
  iouThreshold?: number;
  /** Drop faces whose larger box side is below this, in frame pixels (default 0). */
  minFaceSize?: number;
  /** Keep at most this many faces, best first (default: all). */
  maxFaces?: number;
  /**
   * Tiling for small faces in large frames. 'auto' (default): tile when a
   * face of `smallestFace` px would shrink below what the model sees, with
   * at most `maxTiles` tiles (coarser tiles beyond); true: tile at exactly
   * the scale `smallestFace` needs; false: whole frame only.
   */
  tile?: 'auto' | boolean;
  /** The smallest face side, in frame pixels, tiling must make visible (default 32). */
  smallestFace?: number;
  /** Upper bound on tiles when tile is 'auto' (default 12, at most 255). */
  maxTiles?: number;
  /**
   * Where to look for faces too small for the whole-frame pass: rectangles
   * in frame pixels (at most 4096). Tiles that meet none of them are not
   * run; the whole-frame pass always is. Default: the whole frame. The run
   * info's `covered` says which areas were searched down to `smallestFace`
   * (the live pipeline passes the areas where the picture changed, or where
   * a track is expected, and treats the rest as not seen).
   */
  regions?: readonly Box[];
  /**
   * With `regions` and a fixed-size UltraFace-layout model (the default
   * fr-detect): run the regions as 2x2 mosaic passes, four windows at the
   * tile scale letterboxed into one model input, when that takes fewer
   * model runs than the tiles (default false). Cheaper, but it misses small
   * faces the tiles find: next to the window's edges the network sees the
   * other windows, and on the pipeline bench video a 24-40 px face the
   * tiles find at 0.8-0.97 scores 0.08 there (docs/pipeline.md).
   */
  mosaic?: boolean;
}

/** What one detect() call did (detectWithInfo). */
export interface DetectRunInfo {
  /** Model runs (whole frame + tiles). */
  passes: number;
  /** Tiles beyond the whole-frame pass. */
  tiles: number;
  /** Scale of the whole-frame pass (tensor px per frame px). */
  scale: number;
  /** Scale of the tiles or of the enlarged dynamic pass; null without tiling. */
  tileScale: number | null;
  /** Model input size of each pass. */
  inputSizes: Size[];
  faces: number;
  /** Tiles of the plan left out because they meet no `regions` (0 without regions). */
  skippedTiles: number;
  /** The regions ran as mosaic passes (windows around them, four to a model run) rather than as the plan's tiles. */
  mosaic: boolean;
  /** Frame areas where a face down to `smallestFace` would have been found whole: the whole frame, the tiles that ran, or the inner part of each mosaic window. */
  covered: Roi[];
  /** Frame areas the passes looked at: the whole frame, or the tiles or mosaic windows that ran. */
  searched: Roi[];
  /** Smallest face side (frame px) the whole-frame pass sees: larger faces are found anywhere. */
  wholeFrameFace: number;
}

const LOAD_KEYS = ['family', 'model', 'inputSize', 'landmarkStage', ...INFERENCE_OPTION_KEYS] as const;
const DETECT_KEYS = ['minScore', 'iouThreshold', 'minFaceSize', 'maxFaces', 'tile', 'smallestFace', 'maxTiles', 'regions', 'mosaic'] as const;

interface Resolved {
  model: string | Uint8Array;
  family: string | undefined;
  input: { channelOrder: 'rgb' | 'bgr'; mean: Triple; std: Triple } | undefined;
}

const MAX_REGIONS = 4096;

/**
 * Where a pass searched down to its smallest face: a tile's area, or a
 * mosaic window's less a sixth of its side each way (a face there that
 * crosses the window's edge is dropped, as by a tile, and no other pass may
 * see it whole).
 */
function coveredBy(p: PlannedPass): Roi[] {
  if (!p.cells) return [{ ...p.roi }];
  return p.cells.map((c) => {
    const m = Math.min(c.width, c.height) / 6;
    return { x: c.x + m, y: c.y + m, width: c.width - 2 * m, height: c.height - 2 * m };
  });
}

function checkRegions(v: unknown): Roi[] {
  if (!Array.isArray(v)) throw invalidType('options.regions', 'an array of boxes { x, y, width, height } in frame pixels', v);
  if (v.length > MAX_REGIONS) throw outOfRange('options.regions', `at most ${MAX_REGIONS} boxes`, v.length);
  return v.map((b: unknown, i) => {
    if (!isPlainObject(b)) throw invalidType(`options.regions[${i}]`, 'a box { x, y, width, height }', b);
    const r = b as Record<string, unknown>;
    return {
      x: checkNumber(`options.regions[${i}].x`, r.x),
      y: checkNumber(`options.regions[${i}].y`, r.y),
      width: checkNumber(`options.regions[${i}].width`, r.width, 0),
      height: checkNumber(`options.regions[${i}].height`, r.height, 0),
    };
  });
}

/** Resolves a registry name or path through lib/models/registry.ts; bytes pass through. */
async function resolve(model: unknown, family: string | undefined): Promise<Resolved> {
  if (model instanceof Uint8Array) {
    if (model.byteLength === 0) throw invalidType('options.model', 'a path, a registry name or non-empty model bytes', model);
    return { model, family, input: undefined };
  }
  if (model !== undefined && (typeof model !== 'string' || model.length === 0)) {
    throw invalidType('options.model', 'a path to an .onnx file, a registry model name or the model bytes', model);
  }
  const registry = await import('./models/registry.js');
  if (model === undefined && family !== undefined) {
    // A family without a model: its registry model if it has one (the default first), else say what is needed.
    const name = registry.defaultModelName('detector');
    const own = registry.CATALOG.filter((m) => m.task === 'detector' && m.family === family).sort((a, b) => Number(b.name === name) - Number(a.name === name));
    if (own.length === 0) {
      throw outOfRange(
        'options.model',
        `a path to a '${family}' .onnx model (livefr bundles no '${family}' model; the bundled detectors are ` +
          `${[...new Set(registry.CATALOG.filter((m) => m.task === 'detector').map((m) => `'${m.family}'`))].join(', ')})`,
        model,
      );
    }
    model = own[0]!.name;
  }
  if (model === undefined) {
    const name = registry.defaultModelName('detector');
    const spec = registry.CATALOG.find((m) => m.name === name);
    if (spec && !(await loadDetectorFamily(spec.family))) {
      throw outOfRange(
        'options.model',
        `a detector model (the default '${name}' needs the '${spec.family}' family, which is not available here): ` +
          `pass { family: 'yunet' | 'scrfd' | 'retinaface' | 'ultraface', model: '/path/to/model.onnx' }`,
        model,
      );
    }
  }
  const r = model === undefined
    ? await registry.resolveDefaultModel('detector')
    : await registry.resolveModel(model as string, { task: 'detector', param: 'options.model' });
  const m = r.manifest;
  const input = m ? { channelOrder: m.input.channelOrder, mean: m.input.mean, std: m.input.std } : undefined;
  if (m && family !== undefined && m.family !== family) {
    throw new ModelError(`The model ${JSON.stringify(r.path)} is a '${m.family}' detector (its manifest says so), not '${family}'`);
  }
  return { model: r.bytes, family: family ?? m?.family, input };
}

function checkSize(param: string, v: unknown): Size {
  if (!Array.isArray(v) || v.length !== 2) throw invalidType(param, 'an array [width, height]', v);
  return [checkInteger(`${param}[0]`, v[0], 16, 8192), checkInteger(`${param}[1]`, v[1], 16, 8192)];
}

export class Detector {
  /** The family name this detector was loaded with. */
  readonly family: string;
  /** Whether faces carry 5 landmarks. */
  readonly landmarks: boolean;
  /** The whole-frame model input size (fixed models: the model's size). */
  readonly inputSize: Size;
  /** The execution provider that actually runs the model ('cpu' after a fallback). */
  get provider(): string {
    return this.pool.provider;
  }
  /** The landmark stage run on every box, or null (the model's own points). */
  get landmarkStage(): string | null {
    return this.stage?.name ?? null;
  }
  private stage: LandmarkStage | null = null;

  private readonly pool: InferencePool;
  private readonly adapter: DetectorFamilyAdapter;
  private readonly inputName: string;
  private readonly dynamic: boolean;
  private readonly decode: DecodeSpec;
  /** Regions may run as mosaic passes (the UltraFace layout of the default fr-detect). */
  private readonly mosaic: boolean;
  private readonly norm: { channelOrder: 'rgb' | 'bgr'; mean: Triple; std: Triple };
  /** Input buffers handed back by the pool, by length. */
  private readonly freeBuffers = new Map<number, Float32Array[]>();
  /** Passes of one frame in flight at once: twice the inference workers. */
  private readonly lanes: number;
  private closed = false;

  private constructor(
    family: string,
    adapter: DetectorFamilyAdapter,
    pool: InferencePool,
    inputName: string,
    inputSize: Size,
    decode: DecodeSpec,
    norm: { channelOrder: 'rgb' | 'bgr'; mean: Triple; std: Triple },
    workers: number,
  ) {
    this.lanes = 2 * workers;
    this.family = family;
    this.adapter = adapter;
    this.landmarks = adapter.landmarks;
    this.pool = pool;
    this.inputName = inputName;
    this.inputSize = inputSize;
    this.dynamic = adapter.sizing.kind === 'dynamic';
    this.decode = decode;
    this.norm = norm;
    // Mosaic passes need rows that can be told apart by position, in a fixed-size input.
    this.mosaic = !this.dynamic && decode.kind === 'native' && decode.decoder === 'ultraface' && inputSize[0] >= 64 && inputSize[1] >= 64;
  }

  /**
   * Loads a detector. Throws RangeError for an unknown family or option,
   * ModelError for a missing or corrupt file or a model whose inputs and
   * outputs do not fit the family (the message says what was expected).
   */
  static async load(options: DetectorLoadOptions = {}): Promise<Detector> {
    const o = checkOptions('options', options, LOAD_KEYS);
    if (o.family !== undefined && typeof o.family !== 'string') throw invalidType('options.family', `one of ${DETECTOR_FAMILIES.join(', ')}`, o.family);
    if (typeof o.family === 'string' && !(await loadDetectorFamily(o.family))) {
      throw outOfRange('options.family', `one of ${DETECTOR_FAMILIES.map((f) => `'${f}'`).join(', ')}`, o.family);
    }
    const requestedSize = o.inputSize === undefined ? undefined : checkSize('options.inputSize', o.inputSize);
    const inference: InferenceOptions = {};
    for (const k of INFERENCE_OPTION_KEYS) if (o[k] !== undefined) (inference as Record<string, unknown>)[k] = o[k];

    const stageName = await chooseLandmarkStage(o.landmarkStage, o.model === undefined);
    const resolved = await resolve(o.model, o.family as string | undefined);
    const family = resolved.family;
    if (family === undefined) throw invalidType('options.family', `one of ${DETECTOR_FAMILIES.join(', ')} (the model has no manifest naming it)`, family);
    const adapter = await loadDetectorFamily(family);
    if (!adapter) throw outOfRange('options.family', `one of ${DETECTOR_FAMILIES.map((f) => `'${f}'`).join(', ')} (named by the model's manifest)`, family);

    const pool = await InferencePool.create(resolved.model, inference, 'options.model');
    try {
      const signature: ModelSignature = { inputNames: pool.inputNames, inputShapes: pool.inputShapes, outputNames: pool.outputNames };
      const binding = adapter.bindInput(signature);
      let inputSize: Size;
      if (binding.fixedSize) {
        inputSize = binding.fixedSize;
        if (requestedSize && (requestedSize[0] !== inputSize[0] || requestedSize[1] !== inputSize[1])) {
          throw outOfRange('options.inputSize', `[${inputSize.join(', ')}] (the model's fixed input size) or nothing`, `[${requestedSize.join(', ')}]`);
        }
      } else {
        const m = adapter.sizing.kind === 'dynamic' ? adapter.sizing.multipleOf : 1;
        const want = requestedSize ?? adapter.defaults.inputSize;
        if (want[0] % m || want[1] % m) throw outOfRange('options.inputSize', `multiples of ${m} for the '${family}' family`, `[${want.join(', ')}]`);
        inputSize = [want[0], want[1]];
      }
      // One probe run gives the output shapes the family checks.
      const dims = [1, 3, inputSize[1], inputSize[0]];
      let outputDims: Record<string, number[]>;
      try {
        const probe = await pool.run({ [binding.name]: { data: new Float32Array(3 * inputSize[0] * inputSize[1]), dims } });
        outputDims = Object.fromEntries(Object.entries(probe.outputs).map(([k, t]) => [k, t.dims]));
      } catch (err) {
        throw new ModelError(`The model does not run as a '${family}' detector on a [${dims.join(', ')}] input: ${(err as Error).message}`, { cause: err });
      }
      const decode = adapter.bindOutputs(signature, outputDims, inputSize);
      const norm = resolved.input ?? adapter.input;
      const d = new Detector(family, adapter, pool, binding.name, inputSize, decode, norm, inference.workers ?? 1);
      if (stageName) {
        const { loadLandmarkStage } = await import('./detectors/landmark-stage.js');
        d.stage = await loadLandmarkStage(stageName as LandmarkStageName, inference);
        (d as { landmarks: boolean }).landmarks = true;
      }
      return d;
    } catch (err) {
      await pool.close();
      throw err;
    }
  }

  /**
   * Finds faces in a frame (any pixel format, any size). Faces are sorted by
   * score, in frame pixels, clipped to the frame.
   */
  async detect(frame: Frame, options?: DetectOptions): Promise<Face[]> {
    return (await this.detectWithInfo(frame, options)).faces;
  }

  /**
   * detect(), plus what this call did: passes, tiles, scales, input sizes.
   * The information belongs to the call, so streams sharing one detector
   * each get their own.
   */
  async detectWithInfo(frame: Frame, options?: DetectOptions): Promise<{ faces: Face[]; info: DetectRunInfo }> {
    if (this.closed) throw new StateError('The detector is closed');
    const layout = validateFrame(frame);
    const o = checkOptions('options', options, DETECT_KEYS);
    const d = this.adapter.defaults;
    const minScore = o.minScore === undefined ? d.minScore : checkNumber('options.minScore', o.minScore, 0, 1);
    const iou = o.iouThreshold === undefined ? d.iouThreshold : checkNumber('options.iouThreshold', o.iouThreshold, 0, 1);
    const minFaceSize = o.minFaceSize === undefined ? 0 : checkNumber('options.minFaceSize', o.minFaceSize, 0, 1e6);
    const maxFaces = o.maxFaces === undefined ? 0 : checkInteger('options.maxFaces', o.maxFaces, 1);
    const smallestFace = o.smallestFace === undefined ? 32 : checkNumber('options.smallestFace', o.smallestFace, 4, 1e6);
    const maxTiles = o.maxTiles === undefined ? 12 : checkInteger('options.maxTiles', o.maxTiles, 1, MAX_PASSES - 1);
    let tile: 'auto' | boolean = 'auto';
    if (o.tile !== undefined && o.tile !== 'auto') tile = checkBoolean('options.tile', o.tile);
    const regions = o.regions === undefined ? null : checkRegions(o.regions);
    const mosaic = o.mosaic === undefined ? false : checkBoolean('options.mosaic', o.mosaic);

    const plan = planPasses({
      frame: [layout.width, layout.height],
      modelSize: this.inputSize,
      multipleOf: this.dynamic && this.adapter.sizing.kind === 'dynamic' ? this.adapter.sizing.multipleOf : 0,
      minVisibleFace: this.adapter.minVisibleFace,
      smallestFace,
      tile,
      maxTiles,
    });
    const pixels = plan.passes.reduce((sum, p) => sum + p.input[0] * p.input[1], 0);
    if (plan.passes.length > MAX_PASSES || pixels > MAX_PASS_PIXELS) {
      throw outOfRange(
        'options.smallestFace',
        `a tiling of at most ${MAX_PASSES} model passes and ${MAX_PASS_PIXELS / 1e6} M input pixels per frame; ` +
          `smallestFace ${smallestFace} with tile ${String(tile)} on a ${layout.width}x${layout.height} frame needs ${plan.passes.length} passes ` +
          `(${(pixels / 1e6).toFixed(1)} M pixels): raise smallestFace, use tile 'auto' (bounded by maxTiles) or tile a region yourself`,
        smallestFace,
      );
    }
    // With tiles, the whole-frame pass's candidates below what the model sees are left to the tiles (see finerRatio).
    const finer = plan.tiles > 0 && plan.tileScale !== null ? plan.tileScale / plan.scale : 0;
    const planned = regions ? (mosaic && this.mosaic ? mosaicPasses(plan, regions, this.inputSize) : null) ?? passesFor(plan, regions) : plan.passes;
    const passes = await this.runPasses(layout, planned, minScore, finer);
    const decoder = this.decode.kind === 'native' ? this.decode.decoder : 'candidates';
    const rows = await nativeDetect.postprocess({
      family: decoder,
      landmarks: this.adapter.landmarks,
      minScore,
      iouThreshold: iou,
      minFaceSize,
      maxFaces,
      clipWidth: layout.width,
      clipHeight: layout.height,
      passes,
    });
    let faces = toFaces(rows, this.adapter.landmarks);
    if (this.stage && faces.length) faces = await this.stage.refine(frame, faces);
    const info: DetectRunInfo = {
      passes: planned.length,
      tiles: planned.length - 1,
      scale: plan.scale,
      tileScale: plan.tileScale,
      inputSizes: planned.map((p) => p.input),
      mosaic: planned.some((p) => p.cells !== undefined),
      faces: faces.length,
      skippedTiles: plan.passes.length - planned.length,
      covered: plan.grid ? planned.slice(1).flatMap(coveredBy) : [{ x: 0, y: 0, width: layout.width, height: layout.height }],
      searched: plan.grid ? planned.slice(1).flatMap((p) => (p.cells ?? [p.roi]).map((r) => ({ ...r }))) : [{ x: 0, y: 0, width: layout.width, height: layout.height }],
      wholeFrameFace: plan.grid ? this.adapter.minVisibleFace / plan.scale : 0,
    };
    return { faces, info };
  }

  private takeBuffer(length: number): Float32Array {
    return this.freeBuffers.get(length)?.pop() ?? new Float32Array(length);
  }

  /** Pools an input tensor for the next pass, zeroed first: no frame pixels stay in memory between calls. */
  private giveBuffer(buf: Float32Array): void {
    buf.fill(0);
    if (this.closed) return;
    const list = this.freeBuffers.get(buf.length) ?? [];
    if (list.length < 8) list.push(buf);
    this.freeBuffers.set(buf.length, list);
  }

  /**
   * Runs the planned passes, a few at a time (twice the pool's workers), so
   * the input tensors alive at once stay bounded however many tiles a
   * frame has.
   */
  private async runPasses(layout: FrameLayout, planned: readonly PlannedPass[], minScore: number, finer = 0): Promise<PostprocessPass[]> {
    const out: (PostprocessPass | PostprocessPass[])[] = new Array(planned.length);
    let next = 0;
    const lanes = Math.min(planned.length, this.lanes);
    await Promise.all(
      Array.from({ length: lanes }, async () => {
        while (next < planned.length) {
          const i = next++;
          const p = planned[i]!;
          out[i] = p.cells ? await this.runMosaic(layout, p, p.cells, minScore) : await this.runPass(layout, p, minScore, p.innerEdges === 0 ? finer : 0);
        }
      }),
    );
    return out.flat();
  }

  /**
   * Runs the model on a filled input tensor. The tensor goes back to the
   * free buffers (zeroed), or is cleared when the pool does not hand it back.
   */
  private async infer(buf: Float32Array, w: number, h: number): Promise<Awaited<ReturnType<InferencePool['run']>>> {
    let returned = false;
    try {
      const result = await this.pool.run({ [this.inputName]: { data: buf, dims: [1, 3, h, w] } });
      const back = result.feeds[this.inputName];
      if (back) {
        this.giveBuffer(back.data);
        returned = true;
      }
      return result;
    } finally {
      if (!returned && buf.byteLength > 0) buf.fill(0);
    }
  }

  /** The model's letterbox of `roi` into a w x h tensor (top-left aligned, aspect kept). */
  private letterboxFor(width: number, height: number, roi: Roi): LetterboxConfig {
    return { width, height, roi, keepAspect: true, align: 'topLeft', mean: this.norm.mean, std: this.norm.std, channelOrder: this.norm.channelOrder, padValue: 0, threads: DEFAULT_THREADS };
  }

  /**
   * A mosaic pass: each window letterboxed into its quadrant of one input
   * tensor, one model run, then one postprocess pass per window that keeps
   * only the rows whose box centre lies in its quadrant (and, as a tile
   * does, drops faces cut by the window's edges inside the frame).
   */
  private async runMosaic(layout: FrameLayout, p: PlannedPass, cells: readonly Roi[], minScore: number): Promise<PostprocessPass[]> {
    const [w, h] = p.input;
    const qw = Math.floor(w / 2);
    const qh = Math.floor(h / 2);
    const buf = this.takeBuffer(3 * w * h);
    const cellBuf = this.takeBuffer(3 * qw * qh);
    const placed: { cell: Roi; qx: number; qy: number; lb: Awaited<ReturnType<typeof letterboxLayout>> }[] = [];
    try {
      for (const [k, cell] of cells.entries()) {
        const qx = (k % 2) * qw;
        const qy = Math.floor(k / 2) * qh;
        const lb = await letterboxLayout(layout, this.letterboxFor(qw, qh, cell), cellBuf);
        for (let c = 0; c < 3; c++) {
          for (let y = 0; y < qh; y++) {
            buf.set(cellBuf.subarray((c * qh + y) * qw, (c * qh + y + 1) * qw), (c * h + qy + y) * w + qx);
          }
        }
        placed.push({ cell, qx, qy, lb });
      }
    } catch (err) {
      buf.fill(0);
      throw err;
    } finally {
      this.giveBuffer(cellBuf);
    }
    const result = await this.infer(buf, w, h);
    const [scores, boxes] = this.collect(result.outputs, [w, h], minScore) as [Float32Array, Float32Array];
    const n = scores.length / 2;
    return placed.map(({ cell, qx, qy, lb }) => {
      // UltraFace rows: scores (background, face), boxes x1, y1, x2, y2 normalised to the input.
      const own = new Float32Array(scores.length);
      for (let i = 0; i < n; i++) {
        const cx = ((boxes[4 * i]! + boxes[4 * i + 2]!) / 2) * w;
        const cy = ((boxes[4 * i + 1]! + boxes[4 * i + 3]!) / 2) * h;
        if (cx >= qx && cx < qx + qw && cy >= qy && cy < qy + qh) own[2 * i + 1] = scores[2 * i + 1]!;
      }
      const edges = (cell.x > 0 ? 1 : 0) | (cell.y > 0 ? 2 : 0) | (cell.x + cell.width < layout.width ? 4 : 0) | (cell.y + cell.height < layout.height ? 8 : 0);
      return {
        inputWidth: w,
        inputHeight: h,
        outputs: [own, boxes],
        scale: lb.scale,
        padX: qx + lb.padX,
        padY: qy + lb.padY,
        originX: cell.x,
        originY: cell.y,
        ...(edges ? { rect: [cell.x, cell.y, cell.x + cell.width, cell.y + cell.height] as [number, number, number, number], innerEdges: edges } : {}),
      };
    });
  }

  private async runPass(layout: FrameLayout, p: PlannedPass, minScore: number, finer = 0): Promise<PostprocessPass> {
    const [w, h] = p.input;
    const buf = this.takeBuffer(3 * w * h);
    let lb: Awaited<ReturnType<typeof letterboxLayout>>;
    try {
      lb = await letterboxLayout(layout, this.letterboxFor(w, h, p.roi), buf);
    } catch (err) {
      buf.fill(0);
      throw err;
    }
    const result = await this.infer(buf, w, h);
    const outputs = this.collect(result.outputs, [w, h], minScore);
    if (finer > 0 && this.decode.kind === 'js') {
      outputs[0] = leaveToFinerPasses(outputs[0]!, this.adapter.minVisibleFace, finer);
    }
    const r = p.roi;
    return {
      inputWidth: w,
      inputHeight: h,
      outputs,
      scale: lb.scale,
      padX: lb.padX,
      padY: lb.padY,
      originX: r.x,
      originY: r.y,
      ...(p.innerEdges ? { rect: [r.x, r.y, r.x + r.width, r.y + r.height] as [number, number, number, number], innerEdges: p.innerEdges } : {}),
    };
  }

  private collect(outputs: Record<string, Tensor>, size: Size, minScore: number): Float32Array[] {
    if (this.decode.kind === 'js') return [this.decode.decode(outputs, size, minScore)];
    return this.decode.outputs.map((name) => {
      const t = outputs[name];
      if (!t) throw new ModelError(`The detector model returned no output '${name}'`);
      return t.data;
    });
  }

  /** Stops the inference workers. Further detect() calls throw a StateError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.pool.close(), this.stage?.close()]);
  }

  /** `await using x = await Detector.load(...)` closes it when the block ends. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** The landmark stage to load: the option ('none' = no stage), else the registry default's for the default detector. */
async function chooseLandmarkStage(option: unknown, defaultModel: boolean): Promise<string | null> {
  const { LANDMARK_STAGES } = await import('./detectors/landmark-stage.js');
  if (option !== undefined) {
    if (option === 'none') return null;
    if (typeof option !== 'string' || !(LANDMARK_STAGES as readonly string[]).includes(option)) {
      throw outOfRange('options.landmarkStage', `one of ${[...LANDMARK_STAGES, 'none'].map((x) => `'${x}'`).join(', ')}`, option);
    }
    return option;
  }
  if (!defaultModel) return null;
  const { DEFAULTS } = await import('./models/catalog.js');
  return DEFAULTS.landmarks ?? null;
}

/**
 * The whole-frame pass of a tiled frame sees small faces below the size the
 * model was trained for (`minVisibleFace` tensor pixels), where it also
 * fires on face-like texture: BlazeFace's only false face in bbt1.jpg, a
 * bookshelf at score 0.53, is 10 px in the whole-frame tensor and found by
 * no tile, where it would be 28 px. The tiles see every such region at
 * `finer` times the scale, at or above minVisibleFace, so candidates of the
 * whole-frame pass smaller than minVisibleFace that the tiles would see at
 * minVisibleFace or more are left to the tiles: a real face is found there,
 * a texture usually is not. Rows: n x 15, tensor pixels (x1, y1, x2, y2, ...).
 */
export function leaveToFinerPasses(rows: Float32Array, minVisibleFace: number, finer: number): Float32Array {
  const keep: number[] = [];
  for (let i = 0; i + 15 <= rows.length; i += 15) {
    const side = Math.max(rows[i + 2]! - rows[i]!, rows[i + 3]! - rows[i + 1]!);
    if (side < minVisibleFace && side * finer >= minVisibleFace) continue;
    keep.push(i);
  }
  if (keep.length * 15 === rows.length) return rows;
  const out = new Float32Array(keep.length * 15);
  keep.forEach((at, j) => out.set(rows.subarray(at, at + 15), j * 15));
  return out;
}

function toFaces(rows: Float32Array, landmarks: boolean): Face[] {
  const faces: Face[] = [];
  for (let i = 0; i + FACE_ROW <= rows.length; i += FACE_ROW) {
    const lm: Point[] = [];
    if (landmarks) for (let j = 0; j < 5; j++) lm.push([rows[i + 5 + 2 * j]!, rows[i + 6 + 2 * j]!]);
    faces.push({
      box: { x: rows[i]!, y: rows[i + 1]!, width: rows[i + 2]! - rows[i]!, height: rows[i + 3]! - rows[i + 1]! },
      score: rows[i + 4]!,
      landmarks: asLandmarks(lm),
    });
  }
  return faces;
}
