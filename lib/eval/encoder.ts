/**
 * Image -> one face embedding, for evaluation: detect, keep the face whose
 * box centre is nearest the expected position (the image centre for
 * LFW-style crops, the paste position for scene degradations), embed it and
 * L2-normalise. An image where no face is found is a detection failure:
 * it is kept (embedding null) and scored as described in verify.ts /
 * identify.ts, never dropped.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Detector } from '../detector.js';
import { Embedder, type EmbedderLoadOptions } from '../embedder.js';
import { invalidType, outOfRange } from '../errors.js';
import type { Frame } from '../frame.js';
import type { Face } from '../types.js';
import { checkInteger, checkNumber, checkOptions } from '../validate.js';
import { sha256, type CachedEncoding } from './cache.js';

export interface EncoderConfig {
  /** Detector family (yunet, scrfd, retinaface, ultraface, ...); optional for registry models. */
  detector?: string;
  /** Detector ONNX path or registry name (default: the registry's default). */
  detectorModel?: string;
  /** Detection score threshold (default: the family's). */
  minScore?: number;
  /** Embedder ONNX path or registry name (default: the registry's default). */
  embedderModel?: string;
  /** Embedder input normalisation: (pixel - mean) / std, per channel. */
  embedderMean?: [number, number, number];
  embedderStd?: [number, number, number];
  embedderOrder?: 'rgb' | 'bgr';
  /** Worker threads per model (default 1). */
  workers?: number;
}

const CONFIG_KEYS = ['detector', 'detectorModel', 'minScore', 'embedderModel', 'embedderMean', 'embedderStd', 'embedderOrder', 'workers'] as const;

/** Checks an EncoderConfig (typed errors naming the field). */
export function defaultEncoderConfig(config: EncoderConfig = {}): EncoderConfig {
  const o = checkOptions('config', config, CONFIG_KEYS);
  const out: EncoderConfig = {};
  for (const k of ['detector', 'detectorModel', 'embedderModel'] as const) {
    if (o[k] !== undefined) {
      if (typeof o[k] !== 'string' || o[k] === '') throw invalidType(`config.${k}`, 'a non-empty string', o[k]);
      out[k] = o[k] as string;
    }
  }
  if (o.minScore !== undefined) out.minScore = checkNumber('config.minScore', o.minScore, 0, 1);
  for (const k of ['embedderMean', 'embedderStd'] as const) {
    if (o[k] !== undefined) {
      const v = o[k];
      if (!Array.isArray(v) || v.length !== 3 || v.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
        throw invalidType(`config.${k}`, 'three finite numbers', v);
      }
      out[k] = v as [number, number, number];
    }
  }
  if (o.embedderOrder !== undefined) {
    if (o.embedderOrder !== 'rgb' && o.embedderOrder !== 'bgr') throw outOfRange('config.embedderOrder', "'rgb' or 'bgr'", o.embedderOrder);
    out.embedderOrder = o.embedderOrder;
  }
  if (o.workers !== undefined) out.workers = checkInteger('config.workers', o.workers, 1, 16);
  return out;
}

function modelKey(model: string | undefined): string {
  if (model === undefined) return 'default';
  if (existsSync(model)) return `${path.basename(model)}:${sha256(readFileSync(model))}`;
  return `name:${model}`;
}

/** A stable key for everything that changes embeddings (models by content hash). */
export function encoderKey(config: EncoderConfig): string {
  return sha256(
    JSON.stringify({
      v: 1,
      detector: config.detector ?? null,
      detectorModel: modelKey(config.detectorModel),
      minScore: config.minScore ?? null,
      embedderModel: modelKey(config.embedderModel),
      mean: config.embedderMean ?? null,
      std: config.embedderStd ?? null,
      order: config.embedderOrder ?? null,
    }),
  );
}

function nearest(faces: Face[], centre: [number, number]): Face | null {
  let best: Face | null = null;
  let bestD = Infinity;
  for (const f of faces) {
    const d = Math.hypot(f.box.x + f.box.width / 2 - centre[0], f.box.y + f.box.height / 2 - centre[1]);
    if (d < bestD) {
      bestD = d;
      best = f;
    }
  }
  return best;
}

export class FaceEncoder {
  private constructor(
    private readonly detector: Detector,
    private readonly embedder: Embedder,
    readonly key: string,
    private readonly minScore: number | undefined,
  ) {}

  get dim(): number {
    return this.embedder.dim;
  }

  static async load(config: EncoderConfig): Promise<FaceEncoder> {
    const c = defaultEncoderConfig(config);
    const inference = { workers: c.workers ?? 1, intraOpNumThreads: 1 };
    const detOpts: Record<string, unknown> = { ...inference };
    if (c.detector) detOpts.family = c.detector;
    if (c.detectorModel) detOpts.model = c.detectorModel;
    const embOpts: Record<string, unknown> = { ...inference };
    if (c.embedderModel) {
      embOpts.family = 'arcface';
      embOpts.model = c.embedderModel;
    }
    if (c.embedderMean) embOpts.mean = c.embedderMean;
    if (c.embedderStd) embOpts.std = c.embedderStd;
    if (c.embedderOrder) embOpts.channelOrder = c.embedderOrder;
    const detector = await Detector.load(detOpts as Parameters<typeof Detector.load>[0]);
    try {
      const embedder = await Embedder.load(embOpts as EmbedderLoadOptions);
      return new FaceEncoder(detector, embedder, encoderKey(c), c.minScore);
    } catch (err) {
      await detector.close();
      throw err;
    }
  }

  /** Detects faces, keeps the one nearest `centre` (default: the frame centre) and embeds it. */
  async encode(frame: Frame, centre?: [number, number]): Promise<CachedEncoding> {
    const faces = await this.detector.detect(frame, this.minScore === undefined ? {} : { minScore: this.minScore });
    const face = nearest(faces, centre ?? [frame.width / 2, frame.height / 2]);
    if (!face) return { embedding: null, face: null };
    const e = await this.embedder.embed(frame, [face]);
    const v = Float32Array.from(e.subarray(0, this.dim));
    let n = 0;
    for (const x of v) n += x * x;
    n = Math.sqrt(n) || 1;
    for (let i = 0; i < v.length; i++) v[i]! /= n;
    return { embedding: v, face };
  }

  async close(): Promise<void> {
    await Promise.all([this.detector.close(), this.embedder.close()]);
  }
}
