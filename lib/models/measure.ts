/**
 * The measurement protocol used to choose the default models
 * (scripts/measure-models.mjs) and to check them (test/21.defaults.test.ts).
 *
 * Verification on LFW-style pairs.txt: accuracy per fold with the threshold
 * chosen on the other folds; TAR at FAR with every different-person pair of
 * the images as impostors (so small FARs rest on many false accepts);
 * small-face recall on a synthetic 1920x1080 frame of pasted LFW faces.
 * The pairs, the k-fold protocol and the TAR/FAR figures are the
 * evaluation toolkit's (lib/eval): one LFW protocol, one set of numbers.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { FileFormatError } from '../errors.js';
import { openDataset } from '../eval/dataset.js';
import { kFoldAccuracy as evalKFold, tarAtFar as evalTarAtFar } from '../eval/metrics/index.js';
import type { Frame } from '../frame.js';
import { loadImage } from '../frame.js';
import { asLandmarks, type Face } from '../types.js';

export interface LfwPair {
  fold: number;
  same: boolean;
  a: string;
  b: string;
}

/**
 * The pairs of `<dir>/pairs.txt`, read by the evaluation toolkit's parser
 * (lib/eval/dataset.ts). `limit` keeps that many pairs per fold (half matched).
 */
export async function readLfwPairs(dir: string, limit = 0): Promise<{ pairs: LfwPair[]; folds: number }> {
  const ds = await openDataset(dir, 'lfwDir');
  if (!ds.pairs) throw new FileFormatError(`${dir}: no pairs.txt`);
  const perHalf = ds.pairs.length / ds.folds / 2;
  const pairs: LfwPair[] = [];
  ds.pairs.forEach((p, i) => {
    const k = i % (2 * perHalf);
    if (!limit || k % perHalf < limit / 2) pairs.push({ fold: p.fold, same: p.genuine, a: p.a, b: p.b });
  });
  return { pairs, folds: ds.folds };
}

export interface KFold {
  /** Accuracy on each fold, threshold chosen on the other folds. */
  accuracies: number[];
  thresholds: number[];
  mean: number;
  /** Sample standard deviation of the fold accuracies (as lib/eval reports it). */
  std: number;
  correct: number;
  total: number;
}

/** k-fold accuracy through lib/eval/metrics.ts kFoldAccuracy (the evaluation toolkit's protocol and tie-breaking). */
export function kFoldAccuracy(scores: ArrayLike<number>, pairs: readonly LfwPair[]): KFold {
  const k = evalKFold(scores, pairs.map((p) => p.same), pairs.map((p) => p.fold));
  return {
    accuracies: k.folds.map((f) => f.accuracy),
    thresholds: k.folds.map((f) => f.threshold),
    mean: k.accuracy,
    std: k.std,
    correct: k.folds.reduce((a, f) => a + f.correct, 0),
    total: k.folds.reduce((a, f) => a + f.pairs, 0),
  };
}

export interface TarAtFarFigure {
  far: number;
  /** null when the impostors are too few for this FAR (lib/eval refuses it). */
  threshold: number | null;
  tar: number | null;
  /** True accepts / genuine pairs. */
  accepted: number | null;
  genuine: number;
  /** False accepts / impostor pairs at that threshold. */
  falseAccepts: number | null;
  impostors: number;
}

/**
 * TAR at each FAR through lib/eval/metrics.ts tarAtFar. `E` holds n
 * L2-normalised embeddings of `dim`; the impostors are every pair (i < j)
 * with people[i] !== people[j], so small FARs rest on many false accepts.
 */
export function tarAtFar(E: Float32Array, dim: number, people: readonly string[], genuine: ArrayLike<number>, fars: readonly number[]): TarAtFarFigure[] {
  const n = people.length;
  const imp = new Float32Array((n * (n - 1)) / 2);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const a = i * dim;
    for (let j = i + 1; j < n; j++) {
      if (people[i] === people[j]) continue;
      const b = j * dim;
      let s = 0;
      for (let k = 0; k < dim; k++) s += E[a + k]! * E[b + k]!;
      imp[m++] = s;
    }
  }
  return evalTarAtFar(genuine, imp.subarray(0, m), fars).map((f) => ({
    far: f.target,
    threshold: f.threshold,
    tar: f.tar,
    accepted: f.misses === null ? null : f.positives - f.misses,
    genuine: f.positives,
    falseAccepts: f.falseEvents,
    impostors: f.negatives,
  }));
}

/** The face whose box centre is nearest the frame centre. */
export function nearestCentre(faces: readonly Face[], width: number, height: number): Face | undefined {
  let best: Face | undefined;
  let bd = Infinity;
  for (const f of faces) {
    const d = Math.hypot(f.box.x + f.box.width / 2 - width / 2, f.box.y + f.box.height / 2 - height / 2);
    if (d < bd) {
      bd = d;
      best = f;
    }
  }
  return best;
}

interface DetectorLike {
  detect(frame: Frame, options?: Record<string, unknown>): Promise<Face[]>;
}
interface EmbedderLike {
  readonly dim: number;
  embed(frame: Frame, faces: Face[]): Promise<Float32Array>;
}

/**
 * The centre face of each image. Images where no face with 5 landmarks is
 * found get the mean face of the others (LFW images are centred); their
 * count is returned.
 */
export async function centreFaces(
  detector: DetectorLike,
  images: readonly string[],
  onProgress?: (done: number) => void,
): Promise<{ faces: Map<string, Face>; missed: number }> {
  const faces = new Map<string, Face>();
  let missed = 0;
  for (let i = 0; i < images.length; i++) {
    const frame = await loadImage(images[i]!);
    const face = nearestCentre(await detector.detect(frame, { tile: false }), frame.width, frame.height);
    if (face && face.landmarks.length === 5) faces.set(images[i]!, face);
    else missed++;
    onProgress?.(i + 1);
  }
  const found = [...faces.values()];
  if (found.length === 0) return { faces, missed };
  const mean = (get: (f: Face) => number) => found.reduce((a, f) => a + get(f), 0) / found.length;
  const fallback: Face = {
    box: { x: mean((f) => f.box.x), y: mean((f) => f.box.y), width: mean((f) => f.box.width), height: mean((f) => f.box.height) },
    score: 0,
    landmarks: asLandmarks([0, 1, 2, 3, 4].map((k) => [mean((f) => f.landmarks[k]![0]), mean((f) => f.landmarks[k]![1])] as [number, number])),
  };
  for (const file of images) if (!faces.has(file)) faces.set(file, fallback);
  return { faces, missed };
}

/** Embeds one face per image (L2-normalised rows) and the per-call latencies. */
export async function embedFaces(
  embedder: EmbedderLike,
  images: readonly string[],
  faces: Map<string, Face>,
  onProgress?: (done: number) => void,
): Promise<{ E: Float32Array; dim: number; ms: number[] }> {
  const dim = embedder.dim;
  const E = new Float32Array(images.length * dim);
  const ms: number[] = [];
  for (let i = 0; i < images.length; i++) {
    const frame = await loadImage(images[i]!);
    const t0 = performance.now();
    const v = await embedder.embed(frame, [faces.get(images[i]!)!]);
    ms.push(performance.now() - t0);
    let nrm = 0;
    for (let k = 0; k < dim; k++) nrm += v[k]! * v[k]!;
    nrm = Math.sqrt(nrm) || 1;
    for (let k = 0; k < dim; k++) E[i * dim + k] = v[k]! / nrm;
    onProgress?.(i + 1);
  }
  return { E, dim, ms };
}

export interface VerificationResult {
  images: number;
  missed: number;
  pairs: number;
  accuracy: KFold;
  tar: TarAtFarFigure[];
  msPerFace: number;
}

/** The full verification protocol on an LFW-style folder with one detector (landmarks) and one embedder. */
export async function measureVerification(
  lfwDir: string,
  detector: DetectorLike,
  embedder: EmbedderLike,
  options: { limit?: number; faces?: Map<string, Face>; missed?: number; onProgress?: (stage: string, done: number, total: number) => void } = {},
): Promise<VerificationResult & { faces: Map<string, Face> }> {
  const { pairs } = await readLfwPairs(lfwDir, options.limit ?? 0);
  const images = [...new Set(pairs.flatMap((p) => [p.a, p.b]))].sort();
  const people = images.map((f) => path.basename(path.dirname(f)));
  let faces = options.faces;
  let missed = options.missed ?? 0;
  if (!faces) ({ faces, missed } = await centreFaces(detector, images, (d) => options.onProgress?.('landmarks', d, images.length)));
  const { E, dim, ms } = await embedFaces(embedder, images, faces, (d) => options.onProgress?.('embed', d, images.length));
  const index = new Map(images.map((f, i) => [f, i]));
  const scores = pairs.map((p) => {
    const a = index.get(p.a)! * dim;
    const b = index.get(p.b)! * dim;
    let s = 0;
    for (let k = 0; k < dim; k++) s += E[a + k]! * E[b + k]!;
    return s;
  });
  const accuracy = kFoldAccuracy(scores, pairs);
  const genuine = scores.filter((_, i) => pairs[i]!.same);
  const tar = tarAtFar(E, dim, people, genuine, [1e-2, 1e-3, 1e-4]);
  const sorted = ms.slice(Math.min(5, ms.length - 1)).sort((a, b) => a - b);
  return { images: images.length, missed, pairs: pairs.length, accuracy, tar, msPerFace: sorted[sorted.length >> 1]!, faces };
}

// ---- small faces ---------------------------------------------------------------------

export interface SmallFaceTruth {
  cx: number;
  cy: number;
  size: number;
}

/**
 * 60 LFW faces (the first image of every 40th person) scaled so the face is
 * 32, 40 or 48 px (20 each), pasted on a mid-grey 1920x1080 frame in a 10x6
 * grid. In the 250 px deep-funnelled images the face box is about 105 px.
 */
export async function smallFaceFrame(lfwDir: string): Promise<{ frame: Frame; truth: SmallFaceTruth[] }> {
  const { default: sharp } = await import('sharp');
  const dir = path.join(lfwDir, 'images');
  const people = readdirSync(dir).sort().filter((_, i) => i % 40 === 0).slice(0, 60);
  const W = 1920;
  const H = 1080;
  const truth: SmallFaceTruth[] = [];
  const composites: { input: Buffer; left: number; top: number }[] = [];
  for (let i = 0; i < people.length; i++) {
    const size = [32, 40, 48][i % 3]!;
    const side = Math.round((250 * size) / 105);
    const cx = Math.round(((i % 10) + 0.5) * (W / 10));
    const cy = Math.round((Math.floor(i / 10) + 0.5) * (H / 6));
    const file = path.join(dir, people[i]!, `${people[i]}_0001.jpg`);
    composites.push({ input: await sharp(file).resize(side, side).toBuffer(), left: cx - (side >> 1), top: cy - (side >> 1) });
    truth.push({ cx, cy, size });
  }
  // Composite to PNG first: sharp composites in RGBA, so flatten it back to 3 channels.
  const png = await sharp({ create: { width: W, height: H, channels: 3, background: { r: 128, g: 128, b: 128 } } })
    .composite(composites)
    .png()
    .toBuffer();
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== W || info.height !== H) throw new Error(`small-face frame: got ${info.width}x${info.height}x${info.channels}`);
  return { frame: { data, width: W, height: H, format: 'rgb' }, truth };
}

export interface SmallFaceScore {
  found: number;
  of: number;
  bySize: Record<number, { found: number; of: number }>;
  falseDetections: number;
}

/** A detection finds a truth face when its centre is within 0.6 face sizes and its size within 0.4..2.5x. */
export function scoreSmallFaces(faces: readonly Face[], truth: readonly SmallFaceTruth[]): SmallFaceScore {
  const hit = new Array<boolean>(truth.length).fill(false);
  let fp = 0;
  for (const f of faces) {
    const fx = f.box.x + f.box.width / 2;
    const fy = f.box.y + f.box.height / 2;
    const fs = Math.max(f.box.width, f.box.height);
    const j = truth.findIndex((t, k) => !hit[k] && Math.hypot(fx - t.cx, fy - t.cy) < 0.6 * t.size && fs > 0.4 * t.size && fs < 2.5 * t.size);
    if (j >= 0) hit[j] = true;
    else fp++;
  }
  const bySize: SmallFaceScore['bySize'] = {};
  for (const s of [...new Set(truth.map((t) => t.size))].sort((a, b) => a - b)) {
    const idx = truth.map((t, k) => (t.size === s ? k : -1)).filter((k) => k >= 0);
    bySize[s] = { found: idx.filter((k) => hit[k]).length, of: idx.length };
  }
  return { found: hit.filter(Boolean).length, of: truth.length, bySize, falseDetections: fp };
}
