/**
 * The measurement protocol used to choose the default models
 * (scripts/measure-models.mjs) and to check them (test/21.defaults.test.ts).
 *
 * Verification on LFW-style pairs.txt: accuracy per fold with the threshold
 * chosen on the other folds; TAR at FAR with every different-person pair of
 * the images as impostors (so small FARs rest on many false accepts);
 * small-face recall on a synthetic 1920x1080 frame of pasted LFW faces.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Frame } from '../frame.js';
import { loadImage } from '../frame.js';
import type { Face } from '../types.js';

export interface LfwPair {
  fold: number;
  same: boolean;
  a: string;
  b: string;
}

/** Reads `<dir>/pairs.txt` (first line: folds and pairs per half-fold). `limit` keeps that many pairs per fold (half matched). */
export function readLfwPairs(dir: string, limit = 0): { pairs: LfwPair[]; folds: number } {
  const lines = readFileSync(path.join(dir, 'pairs.txt'), 'utf8').trim().split('\n');
  const [folds, per] = lines[0]!.trim().split(/\s+/).map(Number) as [number, number];
  const img = (name: string, i: string) => path.join(dir, 'images', name, `${name}_${i.padStart(4, '0')}.jpg`);
  const pairs: LfwPair[] = [];
  let li = 1;
  for (let f = 0; f < folds; f++) {
    for (let k = 0; k < 2 * per; k++, li++) {
      const p = lines[li]!.trim().split('\t');
      const pair: LfwPair =
        p.length === 3
          ? { fold: f, same: true, a: img(p[0]!, p[1]!), b: img(p[0]!, p[2]!) }
          : { fold: f, same: false, a: img(p[0]!, p[1]!), b: img(p[2]!, p[3]!) };
      if (!limit || k % per < limit / 2) pairs.push(pair);
    }
  }
  return { pairs, folds };
}

export interface KFold {
  /** Accuracy on each fold, threshold chosen on the other folds. */
  accuracies: number[];
  thresholds: number[];
  mean: number;
  std: number;
  correct: number;
  total: number;
}

/** The threshold (accept when score >= t) that maximises accuracy on `items`. */
function bestThreshold(items: [number, boolean][]): number {
  const s = [...items].sort((a, b) => a[0] - b[0]);
  let correct = s.filter((x) => x[1]).length; // t below everything: all accepted
  let best = correct;
  let bestT = s[0]![0] - 1e-6;
  for (let i = 0; i < s.length; i++) {
    correct += s[i]![1] ? -1 : 1;
    if (i + 1 < s.length && s[i + 1]![0] === s[i]![0]) continue;
    const t = i + 1 < s.length ? (s[i]![0] + s[i + 1]![0]) / 2 : s[i]![0] + 1e-6;
    if (correct > best) {
      best = correct;
      bestT = t;
    }
  }
  return bestT;
}

export function kFoldAccuracy(scores: ArrayLike<number>, pairs: readonly LfwPair[], folds: number): KFold {
  const accuracies: number[] = [];
  const thresholds: number[] = [];
  let correct = 0;
  let total = 0;
  for (let f = 0; f < folds; f++) {
    const train: [number, boolean][] = [];
    for (let i = 0; i < pairs.length; i++) if (pairs[i]!.fold !== f) train.push([scores[i]!, pairs[i]!.same]);
    const t = bestThreshold(train);
    let ok = 0;
    let n = 0;
    for (let i = 0; i < pairs.length; i++) {
      if (pairs[i]!.fold !== f) continue;
      n++;
      if (scores[i]! >= t === pairs[i]!.same) ok++;
    }
    accuracies.push(ok / n);
    thresholds.push(t);
    correct += ok;
    total += n;
  }
  const mean = accuracies.reduce((a, b) => a + b, 0) / folds;
  const std = Math.sqrt(accuracies.reduce((a, b) => a + (b - mean) ** 2, 0) / folds);
  return { accuracies, thresholds, mean, std, correct, total };
}

export interface TarAtFarFigure {
  far: number;
  threshold: number;
  tar: number;
  /** True accepts / genuine pairs. */
  accepted: number;
  genuine: number;
  /** False accepts / impostor pairs at that threshold. */
  falseAccepts: number;
  impostors: number;
}

function lowerBound(a: Float32Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * TAR at each FAR. `E` holds n L2-normalised embeddings of `dim`; impostors
 * are all pairs (i < j) with people[i] !== people[j].
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
  const sorted = imp.subarray(0, m).sort();
  const g = Array.from(genuine);
  return fars.map((far) => {
    const allowed = Math.floor(far * m);
    const threshold = allowed >= m ? -Infinity : Math.fround(sorted[m - allowed - 1]! + 1e-6);
    const falseAccepts = m - lowerBound(sorted, threshold);
    const accepted = g.filter((s) => s >= threshold).length;
    return { far, threshold, tar: accepted / g.length, accepted, genuine: g.length, falseAccepts, impostors: m };
  });
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
    landmarks: [0, 1, 2, 3, 4].map((k) => [mean((f) => f.landmarks[k]![0]), mean((f) => f.landmarks[k]![1])] as [number, number]),
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
  const { pairs, folds } = readLfwPairs(lfwDir, options.limit ?? 0);
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
  const accuracy = kFoldAccuracy(scores, pairs, folds);
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
