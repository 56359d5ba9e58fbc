/**
 * Face embeddings: `Embedder.load({ family: 'arcface', model })`, then
 * `embedder.embed(frame, faces)` -> n x dim floats, each row L2-normalised.
 *
 * Each face is aligned by the native core (5-point similarity to the ArcFace
 * template scaled to the model's input size) straight into an input buffer,
 * the model runs in the inference pool's worker threads, and the buffer
 * comes back, is zeroed (no face stays in memory after a call) and is reused.
 * Box-only faces (no landmarks) are embedded from a square crop around the
 * box instead: see docs/preprocessing.md.
 */
import type { EmbedderModelName } from './models/catalog.js';
import { LivefrRangeError, ModelError, StateError, invalidType, outOfRange } from './errors.js';
import { validateFrame, type Frame } from './frame.js';
import { InferencePool, INFERENCE_OPTION_KEYS, type InferenceOptions } from './inference/pool.js';
import { renamed } from './native/index.js';
import { alignWith, arcfaceTemplate, MAX_COORDINATE, MAX_TENSOR_PIXELS, parseAlignOptions, type AlignConfig, type ChannelOrder, type Interpolation } from './preprocess.js';
import type { Face } from './types.js';
import type { LiveOperatingPoint } from './models/catalog.js';
import { checkBoolean, checkInteger, checkNumber, checkOptions, isPlainObject } from './validate.js';

export const EMBEDDER_FAMILIES = ['arcface'] as const;
export type EmbedderFamily = (typeof EMBEDDER_FAMILIES)[number];

export interface EmbedderLoadOptions extends InferenceOptions {
  /** Model family (default 'arcface': 5-point aligned square crops, one embedding per face). */
  family?: EmbedderFamily;
  /** Path to an .onnx file, a registry name ('mobilefacenet', 'default', ...) or the model bytes. Default: the registry's default embedder. */
  model?: EmbedderModelName | 'default' | (string & {}) | Uint8Array;
  /** Crop size; must equal the model's input size when that is fixed. Default: the model's, else 112. */
  inputSize?: number;
  /** Per channel, tensor order: input = (pixel - mean) / std. Defaults: the registry manifest's, else 127.5 and 127.5. */
  mean?: number | number[];
  std?: number | number[];
  /** Channel order of the model input. Default: the manifest's, else 'rgb'. */
  channelOrder?: ChannelOrder;
  /**
   * Zoom-out of the alignment template around the crop centre (1 = the
   * ArcFace template; 1.3 = the face 1.3x smaller, more context).
   * Default 1, or the manifest's crop style ('arcface-loose': 1.3).
   */
  cropScale?: number;
  /**
   * Sampling of the alignment warp (default 'bilinear'); 'bicubic' and
   * 'area' were measured on the live-like protocol (docs/models.md,
   * "Tuning around the models").
   */
  interpolation?: Interpolation;
  /** Unsharp-mask amount (0 to 4) on faces smaller than the crop; default 0. */
  sharpen?: number;
  /**
   * Flip-averaged embeddings: each face is embedded twice, as aligned and
   * mirrored left-right, and the mean of the two (renormalised) is its
   * embedding. Twice the inference per face. Default false.
   */
  flip?: boolean;
  /**
   * A fused embedder: 2 to 4 members, each the options of one embedder
   * (`model`, `flip`, ...) and a `weight` (> 0, default 1; normalised to
   * sum 1). Its embedding is the concatenation of the members' L2-normalised
   * embeddings, each scaled by sqrt(weight), so the inner product of two
   * fused embeddings IS the weighted sum of the members' cosine scores: a
   * Watchlist, enrol and the pipeline take it unchanged. Inference options
   * (workers, threads, ...) given beside `fuse` apply to every member; no
   * other option may be.
   */
  fuse?: FuseMemberOptions[];
}

/** One member of a fused embedder (EmbedderLoadOptions.fuse). */
export interface FuseMemberOptions extends Omit<EmbedderLoadOptions, 'fuse' | keyof InferenceOptions> {
  /** Relative weight of this member's score (> 0, default 1). */
  weight?: number;
}

/** A member of a fused embedder and its weight (normalised: the weights sum to 1). */
export interface FusedMember {
  readonly embedder: Embedder;
  readonly weight: number;
}

const MODEL_KEYS = ['family', 'model', 'inputSize', 'mean', 'std', 'channelOrder', 'cropScale', 'interpolation', 'sharpen', 'flip'] as const;
export const EMBEDDER_LOAD_KEYS = [...MODEL_KEYS, 'fuse', ...INFERENCE_OPTION_KEYS] as const;
const FUSE_MEMBER_KEYS = [...MODEL_KEYS, 'weight'] as const;
/** Members a fused embedder takes. */
export const MAX_FUSE_MEMBERS = 4;

/**
 * Concatenates the members' embeddings of the same n faces (each n x dims[i],
 * rows L2-normalised), row by row, member i scaled by sqrt(weights[i] / sum),
 * and renormalises each row: the inner product of two such rows is the
 * weighted mean of the members' inner products. What a fused Embedder
 * returns (exported for evaluation code that fuses cached embeddings).
 */
export function fuseEmbeddings(parts: readonly Float32Array[], dims: readonly number[], weights: readonly number[]): Float32Array {
  if (parts.length !== dims.length || parts.length !== weights.length || parts.length === 0) {
    throw outOfRange('parts', `as many parts as dims and weights (${dims.length}, ${weights.length})`, parts.length);
  }
  const total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0) || weights.some((w) => !(w >= 0))) throw outOfRange('weights', 'non-negative weights with a positive sum', weights);
  const n = parts[0]!.length / dims[0]!;
  parts.forEach((p, i) => {
    if (p.length !== n * dims[i]!) throw outOfRange(`parts[${i}]`, `${n} x ${dims[i]} values`, p.length);
  });
  const D = dims.reduce((a, b) => a + b, 0);
  const scales = weights.map((w) => Math.sqrt(w / total));
  const out = new Float32Array(n * D);
  for (let r = 0; r < n; r++) {
    let off = r * D;
    let ss = 0;
    parts.forEach((p, i) => {
      const d = dims[i]!;
      const sc = scales[i]!;
      for (let k = 0; k < d; k++) {
        const v = p[r * d + k]! * sc;
        out[off + k] = v;
        ss += v * v;
      }
      off += d;
    });
    const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    for (let k = r * D; k < (r + 1) * D; k++) out[k]! *= inv;
  }
  return out;
}

/** A member's catalog key: its registry name, ':' and its variantKey when not the defaults. */
function memberKey(e: Embedder): string {
  const v = variantKey({ flip: e.flip, interpolation: e.warp.interpolation, sharpen: e.warp.sharpen });
  return v ? `${e.modelName}:${v}` : e.modelName!;
}

/** Mirrors count NCHW crops of side S left-right, in place. */
function mirrorCrops(buf: Float32Array, count: number, S: number): void {
  for (let row = 0; row < count * 3 * S; row++) buf.subarray(row * S, (row + 1) * S).reverse();
}

/**
 * Template zoom-out for registry models whose manifest says crop
 * 'arcface-loose' and gives no template of its own. Measured on
 * faceapi-resnet with the ArcFace template (first 60 LFW-dev people with 3+
 * images, 6 images each, YuNet landmarks, rank-1): 1.0 57.5%, 1.15 45.4%,
 * 1.3 35.8%, 1.5 25.6%; moving the face 10 px up in the 150 px crop: 73.9%.
 * A model's own template (manifest input.template) is the better fix.
 */
export const LOOSE_CROP_SCALE = 1.3;
/** Faces per model run for dynamic-batch models. */
const MAX_BATCH = 32;

interface ResolvedEmbedderModel {
  bytes: Uint8Array;
  input?: { width: number; channelOrder: ChannelOrder; mean: number[]; std: number[] };
  crop?: string;
  /** Alignment points in input pixels, for crops other than ArcFace's (registry manifest). */
  template?: number[];
  /** Threshold measured for this model (registry catalog), if any: the live-like one when measured, else LFW's. */
  threshold?: number;
  live?: LiveOperatingPoint;
  lfwThreshold?: number;
  /** Registry name, when the model came from the registry. */
  name?: string;
  /** Live operating points measured with non-default embedding options (catalog), by variantKey(). */
  liveVariants?: Readonly<Record<string, LiveOperatingPoint>>;
}

/**
 * The embedding options that change scores, as a catalog key: '' for the
 * defaults, else e.g. 'flip' or 'bicubic,sharpen=0.5' (the keys of a
 * catalog entry's liveVariants and of FUSIONS members).
 */
export function variantKey(o: { flip?: boolean; interpolation?: Interpolation; sharpen?: number }): string {
  const parts: string[] = [];
  if (o.flip) parts.push('flip');
  if (o.interpolation && o.interpolation !== 'bilinear') parts.push(o.interpolation);
  if (o.sharpen) parts.push(`sharpen=${o.sharpen}`);
  return parts.join(',');
}

async function resolveModel(model: unknown): Promise<ResolvedEmbedderModel> {
  if (model instanceof Uint8Array) {
    if (model.byteLength === 0) throw invalidType('options.model', 'a path, a registry name or non-empty model bytes', model);
    return { bytes: model };
  }
  if (model !== undefined && (typeof model !== 'string' || model.length === 0)) {
    throw invalidType('options.model', 'a path to an .onnx file, a registry model name or the model bytes', model);
  }
  const registry = await import('./models/registry.js');
  const r = model === undefined
    ? await registry.resolveDefaultModel('embedder')
    : await registry.resolveModel(model as string, { task: 'embedder', param: 'options.model' });
  const m = r.manifest;
  if (!m) return { bytes: r.bytes };
  const { findSpec } = await import('./models/catalog.js');
  const spec = findSpec(m.name);
  const threshold = spec?.live?.threshold ?? spec?.threshold;
  return {
    bytes: r.bytes,
    name: m.name,
    ...(spec?.liveVariants ? { liveVariants: spec.liveVariants } : {}),
    ...(threshold !== undefined ? { threshold } : {}),
    ...(spec?.live ? { live: spec.live } : {}),
    ...(spec?.threshold !== undefined ? { lfwThreshold: spec.threshold } : {}),
    input: { width: m.input.width, channelOrder: m.input.channelOrder, mean: m.input.mean, std: m.input.std },
    ...(m.crop ? { crop: m.crop } : {}),
    ...(m.input.template ? { template: m.input.template } : {}),
  };
}

/** Longest embedding accepted (a detector's output flattened is far longer). */
export const MAX_EMBEDDING_DIM = 8192;

/** D when `dims` is [1, D] or [1, D, 1, 1] with 2 <= D <= MAX_EMBEDDING_DIM, else undefined. */
function embeddingLength(dims: readonly number[]): number | undefined {
  const [n, d, ...rest] = dims;
  if (n !== 1 || d === undefined || !(rest.length === 0 || (rest.length === 2 && rest[0] === 1 && rest[1] === 1))) return undefined;
  return d >= 2 && d <= MAX_EMBEDDING_DIM ? d : undefined;
}

/** A template zoomed out by `scale` around the crop centre. */
function zoomTemplate(size: number, scale: number): Float32Array {
  const t = arcfaceTemplate(size);
  const c = (size - 1) / 2;
  return t.map((v) => c + (v - c) / scale);
}

export class Embedder {
  readonly family: EmbedderFamily;
  /** Embedding length. */
  readonly dim: number;
  /** Side of the square aligned crop the model sees. */
  readonly inputSize: number;
  /** True when the model takes several faces per run. */
  readonly dynamicBatch: boolean;
  /** Normalisation and crop actually used. */
  readonly input: { mean: number[]; std: number[]; channelOrder: ChannelOrder; cropScale: number };
  /** Sampling and sharpening of the alignment warp (EmbedderLoadOptions.interpolation, sharpen). */
  readonly warp: { interpolation: Interpolation; sharpen: number };
  /**
   * For registry models: the default alert threshold (cosine similarity),
   * the live-like operating point when the model has one (`liveOperatingPoint`:
   * FPIR 1e-3 on 32-64 px faces in full-HD crowd scenes, docs/models.md),
   * else the LFW one (`lfwThreshold`). A starting point for
   * `new Watchlist({ threshold })`, used by `livefr enroll` and the
   * pipeline, until the threshold is calibrated on the deployment's own
   * data (`calibrate()`). Undefined for models brought as files.
   */
  readonly suggestedThreshold: number | undefined;
  /** The live-like operating point of a registry model (threshold, FPIR, TPIR, detector it was measured with), if measured. */
  readonly liveOperatingPoint: LiveOperatingPoint | undefined;
  /** The threshold at FAR 1e-3 on lfw-dev pairs (registry catalog), if measured. */
  readonly lfwThreshold: number | undefined;
  /** Registry name of the model (undefined for files and bytes, and for a fused embedder). */
  readonly modelName: string | undefined;
  /** True when embeddings are flip-averaged (EmbedderLoadOptions.flip). */
  readonly flip: boolean;
  /** A fused embedder's members and normalised weights; null for a plain embedder. */
  readonly members: readonly FusedMember[] | null;

  private readonly pool: InferencePool | null;
  private readonly inputName: string;
  private readonly outputName: string;
  private readonly align: AlignConfig;
  /** Batches of one call in flight at once: twice the inference workers. */
  private readonly lanes: number;
  /** Zeroed input buffers handed back by the pool, by face count. */
  private readonly free = new Map<number, Float32Array[]>();
  private closed = false;

  private constructor(args: {
    family: EmbedderFamily;
    pool: InferencePool | null;
    inputName: string;
    outputName: string;
    dim: number;
    dynamicBatch: boolean;
    align: AlignConfig;
    cropScale: number;
    suggestedThreshold: number | undefined;
    workers: number;
    live?: LiveOperatingPoint;
    lfwThreshold?: number;
    modelName?: string;
    flip?: boolean;
    members?: FusedMember[];
  }) {
    this.modelName = args.modelName;
    this.flip = args.flip ?? false;
    this.members = args.members ?? null;
    this.lanes = 2 * args.workers;
    this.suggestedThreshold = args.suggestedThreshold;
    this.liveOperatingPoint = args.live;
    this.lfwThreshold = args.lfwThreshold;
    this.family = args.family;
    this.pool = args.pool;
    this.inputName = args.inputName;
    this.outputName = args.outputName;
    this.dim = args.dim;
    this.dynamicBatch = args.dynamicBatch;
    this.align = args.align;
    this.inputSize = args.align.size;
    this.input = {
      mean: [...args.align.mean],
      std: [...args.align.std],
      channelOrder: args.align.channelOrder,
      cropScale: args.cropScale,
    };
    this.warp = { interpolation: args.align.interpolation, sharpen: args.align.sharpen };
  }

  /**
   * Loads an embedder. Unknown options or family: RangeError naming it;
   * missing or corrupt model: ModelError; a model that is not a
   * [N, 3, S, S] -> [N, dim] network: ModelError saying what was expected.
   */
  static async load(options: EmbedderLoadOptions = {}): Promise<Embedder> {
    const o = checkOptions('options', options, EMBEDDER_LOAD_KEYS);
    if (o.fuse !== undefined) return Embedder.loadFused(o as EmbedderLoadOptions);
    const flip = o.flip === undefined ? false : checkBoolean('options.flip', o.flip);
    let family: EmbedderFamily = 'arcface';
    if (o.family !== undefined) {
      if (typeof o.family !== 'string') throw invalidType('options.family', "'arcface'", o.family);
      if (!(EMBEDDER_FAMILIES as readonly string[]).includes(o.family)) throw outOfRange('options.family', "'arcface'", o.family);
      family = o.family as EmbedderFamily;
    }
    const requestedSize = o.inputSize === undefined ? undefined : checkInteger('options.inputSize', o.inputSize, 16, 1024);
    const cropScaleOpt = o.cropScale === undefined ? undefined : checkNumber('options.cropScale', o.cropScale, 0.5, 4);
    // Check normalisation options before any slow work (parsed again below with the real size).
    parseAlignOptions('options', { mean: o.mean, std: o.std, channelOrder: o.channelOrder, interpolation: o.interpolation, sharpen: o.sharpen });
    const inference: InferenceOptions = {};
    for (const k of INFERENCE_OPTION_KEYS) if (o[k] !== undefined) (inference as Record<string, unknown>)[k] = o[k];
    // One intra-op thread per worker unless asked: a recogniser is small, the
    // detector runs beside it, and ORT's spinning threads collapse on busy
    // cores (measured here: 4-15 ms per face with 1 thread, 26-43 ms with 2).
    inference.intraOpNumThreads ??= 1;

    const resolved = await resolveModel(o.model);
    const pool = await InferencePool.create(resolved.bytes, inference, 'options.model');
    try {
      if (pool.inputNames.length !== 1) {
        throw new ModelError(`An '${family}' embedder takes one image input; the model has ${pool.inputNames.length} (${pool.inputNames.join(', ')})`);
      }
      const inputName = pool.inputNames[0]!;
      const shape = pool.inputShapes[inputName] ?? [];
      const fixed = (v: number | string | undefined) => (typeof v === 'number' && v > 0 ? v : undefined);
      if (shape.length !== 4 || fixed(shape[1]) !== 3) {
        throw new ModelError(`An '${family}' embedder takes an NCHW image [N, 3, S, S]; the model's input '${inputName}' is [${shape.join(', ')}]`);
      }
      const h = fixed(shape[2]);
      const w = fixed(shape[3]);
      if (h !== undefined && w !== undefined && h !== w) {
        throw new ModelError(`An '${family}' embedder takes square crops; the model's input is ${w}x${h}`);
      }
      const modelSize = h ?? w;
      if (modelSize !== undefined && requestedSize !== undefined && requestedSize !== modelSize) {
        throw outOfRange('options.inputSize', `${modelSize} (the model's fixed input size) or nothing`, requestedSize);
      }
      const size = modelSize ?? requestedSize ?? resolved.input?.width ?? 112;
      const dynamicBatch = fixed(shape[0]) === undefined;
      const cropScale = cropScaleOpt ?? (resolved.crop === 'arcface-loose' ? LOOSE_CROP_SCALE : 1);
      const align = parseAlignOptions('options', {
        size,
        template: resolved.template && cropScaleOpt === undefined && size === resolved.input?.width ? Float32Array.from(resolved.template) : zoomTemplate(size, cropScale),
        mean: o.mean ?? resolved.input?.mean ?? 127.5,
        std: o.std ?? resolved.input?.std ?? 127.5,
        channelOrder: o.channelOrder ?? resolved.input?.channelOrder ?? 'rgb',
        interpolation: o.interpolation,
        sharpen: o.sharpen,
      });
      // An embedder has one output: several (boxes, scores, landmarks) are what
      // detector and landmark models give (MTCNN's O-Net has three [N, D] outputs).
      if (pool.outputNames.length !== 1) {
        throw new ModelError(
          `The model is not an '${family}' embedder: an embedder gives one output (one embedding per face); ` +
            `this one has ${pool.outputNames.length} (${pool.outputNames.slice(0, 6).join(', ')}${pool.outputNames.length > 6 ? ', ...' : ''}). Is it a detector or landmark model?`,
        );
      }
      // One probe run: the output's shape must be one embedding per face,
      // and its length gives dim (the run also warms the session up).
      const outputName = pool.outputNames[0]!;
      let outDims: number[];
      try {
        const probe = await pool.run({ [inputName]: { data: new Float32Array(3 * size * size), dims: [1, 3, size, size] } });
        outDims = probe.outputs[outputName]!.dims;
      } catch (err) {
        throw new ModelError(`The model does not run as an '${family}' embedder on a [1, 3, ${size}, ${size}] input: ${(err as Error).message}`, { cause: err });
      }
      const dim = embeddingLength(outDims);
      if (dim === undefined) {
        throw new ModelError(
          `The model is not an '${family}' embedder: expected one embedding per face, an output of shape [N, D] or [N, D, 1, 1] ` +
            `with D from 2 to ${MAX_EMBEDDING_DIM}; its output '${outputName}' is [${outDims.join(', ')}] for one face. Is it a detector or landmark model?`,
        );
      }
      // Options that change scores have their own measured operating point, if any (catalog liveVariants).
      const variant = variantKey({ flip, interpolation: align.interpolation, sharpen: align.sharpen });
      const live = variant === '' ? resolved.live : resolved.liveVariants?.[variant];
      const suggestedThreshold = live?.threshold ?? resolved.threshold;
      return new Embedder({
        family, pool, inputName, outputName, dim, dynamicBatch, align, cropScale, suggestedThreshold, workers: inference.workers ?? 1, flip,
        ...(live ? { live } : {}),
        ...(resolved.lfwThreshold !== undefined ? { lfwThreshold: resolved.lfwThreshold } : {}),
        ...(resolved.name !== undefined ? { modelName: resolved.name } : {}),
      });
    } catch (err) {
      await pool.close();
      throw err;
    }
  }

  /** Embedder.load({ fuse: [...] }): loads the members and wraps them (see EmbedderLoadOptions.fuse). */
  private static async loadFused(o: EmbedderLoadOptions): Promise<Embedder> {
    for (const k of MODEL_KEYS) {
      if (o[k] !== undefined) throw outOfRange(`options.${k}`, "nothing beside options.fuse (give it to a member: fuse: [{ model, ... }])", o[k]);
    }
    const list = o.fuse as unknown;
    if (!Array.isArray(list)) throw invalidType('options.fuse', `an array of 2 to ${MAX_FUSE_MEMBERS} member options { model, weight, ... }`, list);
    if (list.length < 2 || list.length > MAX_FUSE_MEMBERS) throw outOfRange('options.fuse', `2 to ${MAX_FUSE_MEMBERS} members`, `${list.length} members`);
    const specs = list.map((m, i) => {
      const c = checkOptions(`options.fuse[${i}]`, m, FUSE_MEMBER_KEYS);
      const weight = c.weight === undefined ? 1 : checkNumber(`options.fuse[${i}].weight`, c.weight, 0, 1e6);
      if (!(weight > 0)) throw outOfRange(`options.fuse[${i}].weight`, 'a positive number', weight);
      const { weight: _w, ...member } = c;
      return { member, weight };
    });
    const inference: Record<string, unknown> = {};
    for (const k of INFERENCE_OPTION_KEYS) if (o[k] !== undefined) inference[k] = o[k];
    const total = specs.reduce((a, x) => a + x.weight, 0);
    const members: FusedMember[] = [];
    try {
      for (const [i, x] of specs.entries()) {
        try {
          members.push({ embedder: await Embedder.load({ ...(x.member as EmbedderLoadOptions), ...inference }), weight: x.weight / total });
        } catch (err) {
          // Name the member: options.model -> options.fuse[i].model.
          if (err instanceof LivefrRangeError && err.parameter.startsWith('options.')) {
            throw renamed(err, `options.fuse[${i}].${err.parameter.slice('options.'.length)}`, err.message.replaceAll(err.parameter, `options.fuse[${i}].${err.parameter.slice('options.'.length)}`));
          }
          throw err;
        }
      }
      const first = members[0]!.embedder;
      const { findFusion } = await import('./models/catalog.js');
      const live = findFusion(members.map((m) => ({ model: m.embedder.modelName === undefined ? undefined : memberKey(m.embedder), weight: m.weight })));
      return new Embedder({
        family: 'arcface', pool: null, inputName: '', outputName: '',
        dim: members.reduce((a, m) => a + m.embedder.dim, 0),
        dynamicBatch: members.every((m) => m.embedder.dynamicBatch),
        align: first.align, cropScale: first.input.cropScale,
        suggestedThreshold: live?.threshold, workers: 1, members,
        ...(live ? { live } : {}),
      });
    } catch (err) {
      await Promise.all(members.map((m) => m.embedder.close()));
      throw err;
    }
  }

  /**
   * Embeds each face of a frame: resolves with faces.length x dim floats,
   * row i the L2-normalised embedding of faces[i]. Faces with 5 landmarks
   * are aligned to the template; faces with none (box-only detectors) are
   * cut as a square around the box centre with side max(width, height)
   * times cropScale.
   */
  async embed(frame: Frame, faces: readonly Face[]): Promise<Float32Array> {
    if (this.closed) throw new StateError('The embedder is closed');
    if (this.members) {
      const parts = await Promise.all(this.members.map((m) => m.embedder.embed(frame, faces)));
      return fuseEmbeddings(parts, this.members.map((m) => m.embedder.dim), this.members.map((m) => m.weight));
    }
    const layout = validateFrame(frame, 'frame');
    const landmarks = this.landmarksFor(faces);
    return this.runFaces(faces.length, async (start, count, buf) => {
      try {
        await alignWith(layout, landmarks.subarray(start * 10, (start + count) * 10), this.align, buf);
      } catch (err) {
        // The native fit names the face within this batch ('landmarks[3]'): name it in the caller's terms.
        const m = err instanceof LivefrRangeError ? /^landmarks\[(\d+)\]$/.exec(err.parameter) : null;
        if (m === null) throw err;
        const i = start + Number(m[1]);
        throw renamed(err, `faces[${i}].landmarks`, `Expected 5 landmark points that do not all coincide for faces[${i}].landmarks (no similarity transform fits them)`);
      }
    });
  }

  /**
   * Embeds faces already aligned and normalised by the caller: `tensor`
   * holds n x 3 x inputSize x inputSize floats (NCHW). The tensor is copied
   * (not transferred); clearing it afterwards is the caller's business.
   */
  async embedAligned(tensor: Float32Array, n: number): Promise<Float32Array> {
    if (this.closed) throw new StateError('The embedder is closed');
    if (this.members) throw new StateError('A fused embedder aligns each face once per member (their crops differ): use embed(), or embedAligned() of each member');
    const count = checkInteger('n', n, 0, 1e6);
    const per = 3 * this.inputSize * this.inputSize;
    if (!(tensor instanceof Float32Array)) throw invalidType('tensor', `a Float32Array of n x ${per} values`, tensor);
    if (tensor.length !== count * per) throw outOfRange('tensor', `a Float32Array of exactly ${count} x ${per} values`, tensor);
    return this.runFaces(count, async (start, c, buf) => {
      buf.set(tensor.subarray(start * per, (start + c) * per));
    });
  }

  /** Stops the inference workers. Later calls throw a StateError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.free.clear();
    if (this.members) await Promise.all(this.members.map((m) => m.embedder.close()));
    await this.pool?.close();
  }

  /** `await using x = await Embedder.load(...)` closes it when the block ends. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- internals --------------------------------------------------------------------------

  /** n x 10 landmark floats; box-only faces get the square-crop points. */
  private landmarksFor(faces: readonly Face[]): Float32Array {
    if (!Array.isArray(faces)) throw invalidType('faces', 'an array of faces { box, landmarks }', faces);
    const out = new Float32Array(faces.length * 10);
    const S = this.inputSize;
    faces.forEach((face, i) => {
      const p = `faces[${i}]`;
      if (!isPlainObject(face)) throw invalidType(p, 'a Face object { box, score, landmarks }', face);
      const lm = (face as unknown as Face).landmarks;
      if (Array.isArray(lm) && lm.length === 5) {
        lm.forEach((pt, k) => {
          if (!Array.isArray(pt) || pt.length !== 2) throw invalidType(`${p}.landmarks[${k}]`, 'an [x, y] point', pt);
          out[i * 10 + 2 * k] = checkNumber(`${p}.landmarks[${k}][0]`, pt[0], -MAX_COORDINATE, MAX_COORDINATE);
          out[i * 10 + 2 * k + 1] = checkNumber(`${p}.landmarks[${k}][1]`, pt[1], -MAX_COORDINATE, MAX_COORDINATE);
        });
        return;
      }
      if (lm !== undefined && !(Array.isArray(lm) && lm.length === 0)) {
        throw outOfRange(`${p}.landmarks`, '5 [x, y] points, or none for a box-only face', lm);
      }
      const box = (face as unknown as Face).box;
      if (!isPlainObject(box)) throw invalidType(`${p}.box`, 'a box { x, y, width, height }', box);
      const x = checkNumber(`${p}.box.x`, box.x, -MAX_COORDINATE, MAX_COORDINATE);
      const y = checkNumber(`${p}.box.y`, box.y, -MAX_COORDINATE, MAX_COORDINATE);
      const w = checkNumber(`${p}.box.width`, box.width, -MAX_COORDINATE, MAX_COORDINATE);
      const h = checkNumber(`${p}.box.height`, box.height, -MAX_COORDINATE, MAX_COORDINATE);
      if (!(w > 0)) throw outOfRange(`${p}.box.width`, 'a positive number', w);
      if (!(h > 0)) throw outOfRange(`${p}.box.height`, 'a positive number', h);
      // The crop square (continuous coordinates) [cx - L/2, cx + L/2]^2 maps onto [0, S]^2:
      // crop pixel u (centre u + 0.5) <- frame pixel index cx - L/2 + (u + 0.5) L / S - 0.5.
      const L = Math.max(w, h) * this.input.cropScale;
      const cx = x + w / 2;
      const cy = y + h / 2;
      const t = this.align.template;
      for (let k = 0; k < 5; k++) {
        out[i * 10 + 2 * k] = cx - L / 2 + ((t[2 * k]! + 0.5) * L) / S - 0.5;
        out[i * 10 + 2 * k + 1] = cy - L / 2 + ((t[2 * k + 1]! + 0.5) * L) / S - 0.5;
      }
    });
    return out;
  }

  /**
   * runBatches over n faces, flip-averaged when configured: items n..2n-1
   * are the faces' mirrored crops (filled like the originals, then mirrored
   * in place), and each face's embedding is the renormalised sum of its two.
   */
  private async runFaces(n: number, fill: (start: number, count: number, buf: Float32Array) => Promise<void>): Promise<Float32Array> {
    if (!this.flip) return this.runBatches(n, fill);
    const S = this.inputSize;
    const per = 3 * S * S;
    const both = await this.runBatches(2 * n, async (start, count, buf) => {
      for (let i = start, off = 0; i < start + count; ) {
        const mirrored = i >= n;
        const end = Math.min(start + count, mirrored ? 2 * n : n);
        const part = buf.subarray(off * per, (off + end - i) * per);
        await fill(mirrored ? i - n : i, end - i, part);
        if (mirrored) mirrorCrops(part, end - i, S);
        off += end - i;
        i = end;
      }
    });
    const d = this.dim;
    const out = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      let ss = 0;
      for (let k = 0; k < d; k++) {
        const v = both[i * d + k]! + both[(n + i) * d + k]!;
        out[i * d + k] = v;
        ss += v * v;
      }
      const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
      for (let k = i * d; k < (i + 1) * d; k++) out[k]! *= inv;
    }
    return out;
  }

  private takeBuffer(count: number): Float32Array {
    const list = this.free.get(count);
    return list?.pop() ?? new Float32Array(count * 3 * this.inputSize * this.inputSize);
  }

  private giveBack(count: number, buf: Float32Array): void {
    buf.fill(0); // privacy: no aligned face outlives the call
    if (this.closed) return;
    let list = this.free.get(count);
    if (!list) this.free.set(count, (list = []));
    if (list.length < 16) list.push(buf);
  }

  /**
   * Fills input buffers batch by batch (fill), runs them, returns normalised
   * rows. At most `lanes` batches are in flight, so memory stays bounded by
   * a few batches however many faces a call has.
   */
  private async runBatches(n: number, fill: (start: number, count: number, buf: Float32Array) => Promise<void>): Promise<Float32Array> {
    const out = new Float32Array(n * this.dim);
    if (n === 0) return out;
    const step = this.dynamicBatch ? Math.min(MAX_BATCH, Math.max(1, Math.floor(MAX_TENSOR_PIXELS / (this.inputSize * this.inputSize)))) : 1;
    let next = 0;
    const batches = Math.ceil(n / step);
    await Promise.all(
      Array.from({ length: Math.min(batches, this.lanes) }, async () => {
        while (next < n) {
          const start = next;
          next += step;
          await this.runOne(start, Math.min(step, n - start), fill, out);
        }
      }),
    );
    return out;
  }

  private async runOne(
    start: number,
    count: number,
    fill: (start: number, count: number, buf: Float32Array) => Promise<void>,
    out: Float32Array,
  ): Promise<void> {
    const S = this.inputSize;
    let buf = this.takeBuffer(count);
    let returned = false;
    try {
      await fill(start, count, buf);
      const r = await this.pool!.run({ [this.inputName]: { data: buf, dims: [count, 3, S, S] } });
      const back = r.feeds[this.inputName]?.data;
      if (back) {
        buf = back;
        this.giveBack(count, back);
        returned = true;
      }
      const emb = r.outputs[this.outputName];
      if (!emb || emb.data.length !== count * this.dim) {
        throw new ModelError(`The embedder returned ${emb?.data.length ?? 0} values for ${count} face(s); expected ${count * this.dim}`);
      }
      for (let i = 0; i < count; i++) {
        const row = emb.data.subarray(i * this.dim, (i + 1) * this.dim);
        let ss = 0;
        for (let k = 0; k < this.dim; k++) ss += row[k]! * row[k]!;
        if (!Number.isFinite(ss)) throw new ModelError('The embedder returned non-finite values');
        const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
        const dst = (start + i) * this.dim;
        for (let k = 0; k < this.dim; k++) out[dst + k] = row[k]! * inv;
      }
    } finally {
      // A buffer that never reached the pool (or was not handed back) is still cleared.
      if (!returned && buf.byteLength > 0) buf.fill(0);
    }
  }
}

