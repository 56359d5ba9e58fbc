/**
 * One embedding per image of a data set (or a subset), through the on-disk
 * cache, reporting progress to `onProgress`. Degraded runs first need the clean detection
 * of each image (for the scale), which comes from the clean cache.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { invalidType } from '../errors.js';
import { checkInteger, checkOptions } from '../validate.js';
import { loadImage } from '../frame.js';
import type { Face } from '../types.js';
import { ProgressCounter, type ProgressCallback } from '../util/progress.js';
import { EmbeddingCache, sha256, type CachedEncoding } from './cache.js';
import type { Dataset } from './dataset.js';
import { degradationLabel, degradeImage, type Degradation } from './degrade.js';
import { FaceEncoder, type EncoderConfig } from './encoder.js';

export interface Embeddings {
  dim: number;
  /** Image paths, in data set order. */
  images: string[];
  /** Person id per image. */
  ids: string[];
  /** n x dim, L2-normalised; zeros where no face was found. */
  vectors: Float32Array;
  /** 1 when a face was found. */
  found: Uint8Array;
  faces: (Face | null)[];
  /** Row of each image path. */
  row: Map<string, number>;
  degradation: string;
  /** Images whose face was not found. */
  detectionFailures: number;
  /** Cache hits / computed this run. */
  cacheHits: number;
  computed: number;
}

export interface EmbedOptions {
  /** Probe degradation (default none). */
  degradation?: Degradation | null;
  /** Only these images (default all). */
  images?: string[];
  /** Cache folder; null disables the disk cache. Default '.livefr-cache'. */
  cacheDir?: string | null;
  /** Called after each image (label 'embedding' or 'embedding <degradation>'). */
  onProgress?: ProgressCallback;
  /** An encoder already loaded with `config` (else one is loaded and closed). */
  encoder?: FaceEncoder;
  /** Images in flight at once (default 4). */
  concurrency?: number;
}

export const DEFAULT_CACHE_DIR = '.livefr-cache';

async function mapLimit<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  });
  await Promise.all(workers);
}

/** Embeds the images of `ds` (see EmbedOptions). */
export async function embedDataset(ds: Dataset, config: EncoderConfig, options: EmbedOptions = {}): Promise<Embeddings> {
  checkOptions('options', options, ['degradation', 'images', 'cacheDir', 'onProgress', 'encoder', 'concurrency']);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw invalidType('options.onProgress', 'a function (event) => void', options.onProgress);
  if (!ds || !Array.isArray(ds.people) || !(ds.personOf instanceof Map)) throw invalidType('ds', 'a Dataset from openDataset()', ds);
  if (options.images !== undefined && !Array.isArray(options.images)) throw invalidType('options.images', 'an array of image paths', options.images);
  if (options.concurrency !== undefined) checkInteger('options.concurrency', options.concurrency, 1, 64);
  const images = options.images ?? ds.people.flatMap((p) => p.images);
  const cacheDir = options.cacheDir === undefined ? DEFAULT_CACHE_DIR : options.cacheDir;
  const encoder = options.encoder ?? (await FaceEncoder.load(config));
  try {
    const dim = encoder.dim;
    const label = degradationLabel(options.degradation);
    const clean = EmbeddingCache.open(cacheDir, encoder.key, dim);
    const cache = label ? EmbeddingCache.open(cacheDir, sha256(`${encoder.key}|${label}`), dim) : clean;
    const out: Embeddings = {
      dim,
      images,
      ids: images.map((im) => ds.personOf.get(im) ?? path.basename(path.dirname(im))),
      vectors: new Float32Array(images.length * dim),
      found: new Uint8Array(images.length),
      faces: new Array(images.length).fill(null),
      row: new Map(images.map((im, i) => [im, i])),
      degradation: label,
      detectionFailures: 0,
      cacheHits: 0,
      computed: 0,
    };
    const progress = new ProgressCounter(`embedding${label ? ' ' + label : ''}`, images.length, options.onProgress);
    await mapLimit(images, options.concurrency ?? 4, async (file, i) => {
      const bytes = await readFile(file);
      const hash = sha256(bytes);
      let enc = cache.get(hash);
      if (enc) out.cacheHits++;
      else {
        enc = await computeOne(encoder, clean, bytes, hash, options.degradation ?? null);
        cache.set(hash, enc);
        out.computed++;
      }
      if (enc.embedding) {
        out.vectors.set(enc.embedding, i * dim);
        out.found[i] = 1;
      } else out.detectionFailures++;
      out.faces[i] = enc.face;
      progress.tick();
    });
    progress.finish();
    return out;
  } finally {
    if (!options.encoder) await encoder.close();
  }
}

async function computeOne(encoder: FaceEncoder, clean: EmbeddingCache, bytes: Uint8Array, hash: string, d: Degradation | null): Promise<CachedEncoding> {
  if (!d) return encoder.encode(await loadImage(bytes));
  let base = clean.get(hash);
  if (!base) {
    base = await encoder.encode(await loadImage(bytes));
    clean.set(hash, base);
  }
  // No clean face: the scale is unknown, so the degraded probe is a failure too.
  if (!base.face) return { embedding: null, face: null };
  const { frame, centre } = await degradeImage(bytes, base.face, d, hash);
  return encoder.encode(frame, centre);
}
