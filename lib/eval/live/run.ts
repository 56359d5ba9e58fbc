/**
 * Runs a detector (+ optional landmark stage) and an embedder over a
 * live-like set (set.ts) as a deployment would: enrol each watchlist person
 * from their clean image, then detect on every whole frame (with the
 * detector's tiling plan), embed every detected face and search it against
 * the watchlist (exact inner product, as the flat FAISS index).
 *
 * Per-frame results (faces, embeddings, detection time) are cached as JSON
 * lines under `<cacheDir>/live/<set key>/<config key>.jsonl`, so figures for
 * another FPIR or score rule take seconds.
 */
import { ProgressCounter, type ProgressCallback } from '../../util/progress.js';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Detector } from '../../detector.js';
import { MtcnnDetector } from '../../detectors/mtcnn.js';
import { loadLandmarkStage, type LandmarkStage, type LandmarkStageName } from '../../detectors/landmark-stage.js';
import { Embedder } from '../../embedder.js';
import { StateError, invalidType } from '../../errors.js';
import { loadImage, type Frame } from '../../frame.js';
import type { Face } from '../../types.js';
import { checkOptions } from '../../validate.js';
import { frameBytes } from './render.js';
import { FOOTPRINT, type LiveSet } from './set.js';
import { liveFigures, type LiveFigures, type LiveRecords } from './metrics.js';

export interface LiveConfig {
  /** Detector family (optional for registry models). */
  detector?: string;
  /** Detector .onnx path or registry name (default: the registry's default). */
  detectorModel?: string;
  minScore?: number;
  /** Tiling (Detector.detect options). */
  tile?: 'auto' | boolean;
  smallestFace?: number;
  maxTiles?: number;
  /** Landmark stage on the detector's boxes: 'none' = the detector's own points; default: the registry default's stage for the default detector, else none. */
  landmarks?: LandmarkStageName | 'none';
  landmarkModel?: string;
  /** Embedder .onnx path or registry name (default: the registry's default). */
  embedderModel?: string;
  embedderMean?: [number, number, number];
  embedderStd?: [number, number, number];
  embedderOrder?: 'rgb' | 'bgr';
  /** Flip-averaged embeddings (Embedder.load flip: the aligned crop and its mirror image). */
  flip?: boolean;
  /** Alignment warp sampling and sharpening (Embedder.load options). */
  interpolation?: 'bilinear' | 'bicubic' | 'area';
  sharpen?: number;
}

const CONFIG_KEYS = [
  'detector', 'detectorModel', 'minScore', 'tile', 'smallestFace', 'maxTiles', 'landmarks', 'landmarkModel',
  'embedderModel', 'embedderMean', 'embedderStd', 'embedderOrder', 'flip', 'interpolation', 'sharpen',
] as const;

export interface LiveFace {
  box: Face['box'];
  score: number;
  landmarks: Face['landmarks'];
  /** Index of the pasted face it was assigned to in its frame, else -1 (scene face or false detection); -2: a duplicate on a pasted face (not searched). */
  pasted: number;
}

export interface LiveRunOptions {
  /** Cache folder (default '.livefr-cache'); null: no disk cache. */
  cacheDir?: string | null;
  /** Called after each enrolment image and each frame (label 'live-like set'). */
  onProgress?: ProgressCallback;
  /** FPIR targets (default 1e-2, 1e-3, 1e-4). */
  fpirs?: number[];
  /** Only read the cache: a frame or enrolment not cached is an error instead of being computed (tuning scripts). */
  cacheOnly?: boolean;
}

export interface LiveRun {
  set: LiveSet;
  config: LiveConfig;
  dim: number;
  /** Watchlist templates (rows) and their person. */
  templates: Float32Array;
  templateIds: string[];
  /** Every detected face of every frame, its frame and embedding row. */
  faces: (LiveFace & { frame: number })[];
  embeddings: Float32Array;
  /** Detection (+ landmark stage) time per frame, ms. */
  detectMs: number[];
  embedMs: number[];
}

export interface LiveResult {
  figures: LiveFigures;
  records: LiveRecords;
  run: LiveRun;
  timing: { detectMsMedian: number; embedMsPerFace: number; frames: number };
}

function b64(v: Float32Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}
function unb64(s: string): Float32Array {
  const b = Buffer.from(s, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** MTCNN behind the Detector calls the runner makes (smallestFace -> minFace). */
class MtcnnAsDetector {
  readonly landmarks = true;
  private constructor(private readonly m: MtcnnDetector) {}
  static async load(inf: { workers: number; intraOpNumThreads: number }): Promise<MtcnnAsDetector> {
    return new MtcnnAsDetector(await MtcnnDetector.load(inf));
  }
  detect(frame: Frame, o?: { smallestFace?: number; minScore?: number }): Promise<Face[]> {
    return this.m.detect(frame, { minFace: Math.max(12, o?.smallestFace ?? 24) });
  }
  close(): Promise<void> {
    return this.m.close();
  }
}

/** Loaded models of a LiveConfig. */
export class LiveEncoder {
  private constructor(
    readonly detector: Pick<Detector, 'detect' | 'close' | 'landmarks'>,
    readonly stage: LandmarkStage | null,
    readonly embedder: Embedder,
    readonly config: LiveConfig,
  ) {}

  static async load(config: LiveConfig): Promise<LiveEncoder> {
    const c = checkOptions('config', config, CONFIG_KEYS) as LiveConfig;
    const inf = { workers: 1, intraOpNumThreads: 1 };
    const det = c.detector === 'mtcnn'
      ? await MtcnnAsDetector.load(inf)
      : await Detector.load({ ...inf, ...(c.detector ? { family: c.detector } : {}), ...(c.detectorModel ? { model: c.detectorModel } : {}), ...(c.landmarks && !c.landmarkModel ? { landmarkStage: c.landmarks } : {}) });
    let stage: LandmarkStage | null = null;
    try {
      // A stage with its own model file (or on MTCNN) runs here; registry stages run inside the Detector.
      if (c.landmarks && c.landmarks !== 'none' && (c.landmarkModel || c.detector === 'mtcnn')) stage = await loadLandmarkStage(c.landmarks, { ...inf, ...(c.landmarkModel ? { model: c.landmarkModel } : {}) });
      const emb = await Embedder.load({
        ...inf,
        ...(c.embedderModel ? { family: 'arcface' as const, model: c.embedderModel } : {}),
        ...(c.embedderMean ? { mean: c.embedderMean } : {}),
        ...(c.embedderStd ? { std: c.embedderStd } : {}),
        ...(c.embedderOrder ? { channelOrder: c.embedderOrder } : {}),
        ...(c.interpolation ? { interpolation: c.interpolation } : {}),
        ...(c.sharpen !== undefined ? { sharpen: c.sharpen } : {}),
        ...(c.flip ? { flip: true } : {}),
      });
      return new LiveEncoder(det, stage, emb, c);
    } catch (err) {
      await det.close();
      await stage?.close();
      throw err;
    }
  }

  get dim(): number {
    return this.embedder.dim;
  }

  /** Detects (whole frame, tiling per the config) and runs the landmark stage. */
  async detect(frame: Frame, tiled = true): Promise<Face[]> {
    const c = this.config;
    const o: Record<string, unknown> = {};
    if (c.minScore !== undefined) o.minScore = c.minScore;
    if (tiled) {
      if (c.tile !== undefined) o.tile = c.tile;
      if (c.smallestFace !== undefined) o.smallestFace = c.smallestFace;
      if (c.maxTiles !== undefined) o.maxTiles = c.maxTiles;
    }
    let faces = await this.detector.detect(frame, o);
    if (this.stage && faces.length) faces = await this.stage.refine(frame, faces);
    return faces.filter((f) => f.landmarks.length === 5 || !this.detector.landmarks);
  }

  /** L2-normalised embeddings of the faces (flip-averaged by the Embedder when configured). */
  embed(frame: Frame, faces: Face[]): Promise<Float32Array> {
    return this.embedder.embed(frame, faces);
  }

  async close(): Promise<void> {
    await Promise.all([this.detector.close(), this.stage?.close(), this.embedder.close()]);
  }
}

async function modelId(v: string | undefined, task: 'detector' | 'embedder' | 'landmarks'): Promise<string> {
  if (v === undefined) {
    const { defaultModelName } = await import('../../models/registry.js');
    try {
      v = defaultModelName(task);
    } catch {
      return 'none';
    }
  }
  const { resolveModel } = await import('../../models/registry.js');
  const r = await resolveModel(v, { task, progress: false });
  return r.manifest ? r.manifest.model.sha256 : createHash('sha256').update(r.bytes).digest('hex');
}

/** The landmark stage a config runs (the default detector brings the default stage); undefined: the detector's own points. */
async function effectiveStage(c: LiveConfig): Promise<string | undefined> {
  if (c.landmarks === 'none') return undefined;
  if (c.landmarks) return c.landmarks;
  if (c.detector || c.detectorModel) return undefined;
  const { DEFAULTS } = await import('../../models/catalog.js');
  return DEFAULTS.landmarks;
}

/** JSON with sorted keys, so equal configs give equal keys whatever their key order. */
function canonical(o: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

/** A key for everything that changes a run's faces or embeddings. */
export async function liveConfigKey(c: LiveConfig): Promise<string> {
  const det = await modelId(c.detectorModel, 'detector');
  const emb = await modelId(c.embedderModel, 'embedder');
  const stage = await effectiveStage(c);
  const lm = stage ? await modelId(c.landmarkModel ?? stage, 'landmarks') : 'none';
  return createHash('sha256')
    // v 2 for flip: the Embedder mirrors the aligned crop (v 1 mirrored the frame and its landmarks).
    .update(canonical({ v: c.flip ? 2 : 1, ...c, ...(stage ? { landmarks: stage } : {}), detectorModel: det, embedderModel: emb, landmarkModel: lm }))
    .digest('hex');
}

/** A key for what changes a run's detected faces (detector, tiling, landmark stage). */
export async function liveDetectorKey(c: LiveConfig): Promise<string> {
  const det = await modelId(c.detectorModel, 'detector');
  const landmarks = await effectiveStage(c);
  const lm = landmarks ? await modelId(c.landmarkModel ?? landmarks, 'landmarks') : 'none';
  const { detector, minScore, tile, smallestFace, maxTiles } = c;
  return createHash('sha256')
    .update(JSON.stringify({ v: 1, detector, minScore, tile, smallestFace, maxTiles, landmarks, detectorModel: det, landmarkModel: lm }))
    .digest('hex');
}

/** Assigns detections to pasted faces: the nearest detection whose centre is within 0.6 W and width within [0.5 W, 2.5 W]. */
export function assignDetections(faces: Face[], pasted: { cx: number; cy: number; width: number }[]): number[] {
  const out = new Array<number>(faces.length).fill(-1);
  const centre = (f: Face) => [f.box.x + f.box.width / 2, f.box.y + f.box.height / 2] as const;
  pasted.forEach((p, pi) => {
    let best = -1;
    let bestD = Infinity;
    faces.forEach((f, fi) => {
      const [x, y] = centre(f);
      const d = Math.hypot(x - p.cx, y - p.cy);
      const w = Math.max(f.box.width, f.box.height);
      if (d <= 0.6 * p.width && w >= 0.5 * p.width && w <= 2.5 * p.width && d < bestD && out[fi] === -1) {
        best = fi;
        bestD = d;
      }
    });
    if (best >= 0) out[best] = pi;
  });
  // Other detections on a pasted face (duplicates, parts of it) are not searches.
  faces.forEach((f, fi) => {
    if (out[fi] !== -1) return;
    const [x, y] = centre(f);
    if (pasted.some((p) => Math.abs(x - p.cx) < (FOOTPRINT * p.width) / 2 && Math.abs(y - p.cy) < (FOOTPRINT * p.width) / 2 && Math.hypot(x - p.cx, y - p.cy) < p.width)) out[fi] = -2;
  });
  return out;
}

interface CachedFrame {
  t: 'frame' | 'enrol';
  i: number;
  ms: number;
  ems: number;
  faces: LiveFace[];
  e: string;
}

/** Runs a config over a set (see the module comment). */
export async function runLive(set: LiveSet, config: LiveConfig, options: LiveRunOptions = {}): Promise<LiveResult> {
  const o = checkOptions('options', options, ['cacheDir', 'onProgress', 'fpirs', 'cacheOnly'] as const);
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw invalidType('options.onProgress', 'a function (event) => void', o.onProgress);
  if (!set || !Array.isArray(set.frames)) throw invalidType('set', 'a LiveSet from buildLiveSet()', set);
  const cacheDir = o.cacheDir === undefined ? '.livefr-cache' : (o.cacheDir as string | null);
  const key = await liveConfigKey(config);
  const cached = new Map<string, CachedFrame>();
  let file: string | null = null;
  if (cacheDir !== null) {
    const dir = path.join(cacheDir, 'live', set.key.slice(0, 24));
    mkdirSync(dir, { recursive: true });
    file = path.join(dir, `${key.slice(0, 24)}.jsonl`);
    if (existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!line) continue;
        try {
          const r = JSON.parse(line) as CachedFrame;
          cached.set(`${r.t}:${r.i}`, r);
        } catch {
          // a truncated last line (interrupted run) is recomputed
        }
      }
    }
  }
  // Detections alone are cached per detector configuration, so another embedder reuses them.
  const detCache = new Map<number, { i: number; ms: number; faces: Face[] }>();
  let detFile: string | null = null;
  if (file) {
    detFile = path.join(path.dirname(file), `${(await liveDetectorKey(config)).slice(0, 24)}.det.jsonl`);
    if (existsSync(detFile)) {
      for (const line of readFileSync(detFile, 'utf8').split('\n')) {
        try {
          if (line) {
            const r = JSON.parse(line) as { i: number; ms: number; faces: Face[] };
            detCache.set(r.i, r);
          }
        } catch {
          // truncated last line
        }
      }
    }
  }
  let enc: LiveEncoder | null = null;
  const encoder = async () => (enc ??= await LiveEncoder.load(config));
  const get = async (t: 'frame' | 'enrol', i: number, compute: (e: LiveEncoder) => Promise<CachedFrame>): Promise<CachedFrame> => {
    const k = `${t}:${i}`;
    const hit = cached.get(k);
    if (hit) return hit;
    if (o.cacheOnly) throw new StateError(`runLive: ${k} of this configuration is not cached (options.cacheOnly); run scripts/measure-live.mjs first`);
    const r = await compute(await encoder());
    cached.set(k, r);
    if (file) appendFileSync(file, JSON.stringify(r) + '\n');
    return r;
  };
  const total = set.watchlist.length + set.frames.length;
  const progress = new ProgressCounter('live-like set', total, o.onProgress as ProgressCallback | undefined);
  try {
    // Enrolment: the clean image, the face nearest its centre.
    const tpl: Float32Array[] = [];
    const tplIds: string[] = [];
    let dim = 0;
    for (let i = 0; i < set.watchlist.length; i++) {
      const w = set.watchlist[i]!;
      const r = await get('enrol', i, async (e) => {
        const frame = await loadImage(w.image);
        const faces = await e.detect(frame, false);
        const c = [frame.width / 2, frame.height / 2];
        const near = faces.slice().sort((a, b) => Math.hypot(a.box.x + a.box.width / 2 - c[0]!, a.box.y + a.box.height / 2 - c[1]!) - Math.hypot(b.box.x + b.box.width / 2 - c[0]!, b.box.y + b.box.height / 2 - c[1]!))[0];
        const emb = near ? await e.embed(frame, [near]) : new Float32Array(0);
        return { t: 'enrol', i, ms: 0, ems: 0, faces: near ? [{ ...near, pasted: -1 }] : [], e: b64(emb) };
      });
      const v = unb64(r.e);
      if (v.length) {
        dim = v.length;
        tpl.push(v);
        tplIds.push(w.person);
      }
      progress.tick();
    }
    const templates = new Float32Array(tpl.length * dim);
    tpl.forEach((v, i) => templates.set(v, i * dim));
    const faces: (LiveFace & { frame: number })[] = [];
    const embs: Float32Array[] = [];
    const detectMs: number[] = [];
    const embedMs: number[] = [];
    for (const fr of set.frames) {
      const r = await get('frame', fr.index, async (e) => {
        const frame = await loadImage(await frameBytes(set, fr, cacheDir));
        let det = detCache.get(fr.index);
        if (!det) {
          const t0 = performance.now();
          det = { i: fr.index, ms: 0, faces: await e.detect(frame) };
          det.ms = performance.now() - t0;
          detCache.set(fr.index, det);
          if (detFile) appendFileSync(detFile, JSON.stringify(det) + '\n');
        }
        const found = det.faces;
        const t1 = performance.now();
        const assigned = assignDetections(found, fr.faces);
        const searched = found.filter((_, i) => assigned[i] !== -2);
        const emb = await e.embed(frame, searched);
        const t2 = performance.now();
        frame.data.fill(0);
        return {
          t: 'frame', i: fr.index, ms: det.ms, ems: searched.length ? (t2 - t1) / searched.length : 0,
          faces: found.map((f, i) => ({ ...f, pasted: assigned[i]! })).filter((f) => f.pasted !== -2), e: b64(emb),
        };
      });
      const v = unb64(r.e);
      if (r.faces.length) dim = v.length / r.faces.length;
      r.faces.forEach((f) => faces.push({ ...f, frame: fr.index }));
      embs.push(v);
      detectMs.push(r.ms);
      if (r.faces.length) embedMs.push(r.ems);
      progress.tick();
    }
    progress.finish();
    const embeddings = new Float32Array(faces.length * dim);
    let off = 0;
    for (const v of embs) {
      embeddings.set(v, off);
      off += v.length;
    }
    const run: LiveRun = { set, config, dim, templates, templateIds: tplIds, faces, embeddings, detectMs, embedMs };
    const records = liveRecords(run, topOne(run));
    const med = (a: number[]) => (a.length ? a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)]! : NaN);
    return {
      figures: liveFigures(records, (o.fpirs as number[] | undefined) ?? [1e-2, 1e-3, 1e-4]),
      records,
      run,
      timing: { detectMsMedian: med(detectMs), embedMsPerFace: med(embedMs), frames: set.frames.length },
    };
  } finally {
    await (enc as LiveEncoder | null)?.close();
  }
}

/** Scores of every face against every template: faces x templates, row-major. */
export function scoreMatrix(run: Pick<LiveRun, 'embeddings' | 'templates' | 'dim'>): Float32Array {
  const { embeddings: E, templates: T, dim } = run;
  const n = E.length / dim;
  const m = T.length / dim;
  const out = new Float32Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let k = 0; k < dim; k++) s += E[i * dim + k]! * T[j * dim + k]!;
      out[i * m + j] = s;
    }
  }
  return out;
}

/** Top-1 template and score of each face, from a score matrix (default: the raw cosine scores). */
export function topOne(run: LiveRun, scores: Float32Array = scoreMatrix(run)): { template: Int32Array; score: Float32Array } {
  const m = run.templateIds.length;
  const n = run.faces.length;
  const template = new Int32Array(n).fill(-1);
  const score = new Float32Array(n).fill(-Infinity);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const s = scores[i * m + j]!;
      if (s > score[i]!) {
        score[i] = s;
        template[i] = j;
      }
    }
  }
  return { template, score };
}

/** The protocol's records from a run and a top-1 per face. */
export function liveRecords(run: LiveRun, top: { template: Int32Array; score: Float32Array }): LiveRecords {
  const hitByPasted = new Map<string, number>();
  run.faces.forEach((f, i) => {
    if (f.pasted >= 0) hitByPasted.set(`${f.frame}:${f.pasted}`, i);
  });
  const pasted: LiveRecords['pasted'] = [];
  const mated: LiveRecords['mated'] = [];
  for (const fr of run.set.frames) {
    fr.faces.forEach((p, pi) => {
      const fi = hitByPasted.get(`${fr.index}:${pi}`);
      pasted.push({ width: p.width, mated: p.mated, detected: fi !== undefined });
      if (!p.mated) return;
      if (fi === undefined) mated.push({ width: p.width, score: -Infinity, hit: false });
      else {
        const t = top.template[fi]!;
        mated.push({ width: p.width, score: top.score[fi]!, hit: t >= 0 && run.templateIds[t] === p.person });
      }
    });
  }
  const matedFace = (f: LiveFace & { frame: number }) => f.pasted >= 0 && run.set.frames[f.frame]!.faces[f.pasted]!.mated;
  const nonMated: number[] = [];
  run.faces.forEach((f, i) => {
    if (!matedFace(f)) nonMated.push(top.score[i]!);
  });
  return { pasted, mated, nonMated };
}
