/**
 * The live-like set: what a camera watching a crowd sees, built
 * deterministically from any LFW-layout folder (`images/<id>/*.jpg`, one
 * roughly centred face per image) and a folder of crowd photos.
 *
 * - People with at least two images are shuffled with the seed; the first
 *   `watchlistSize` form the watchlist, each enrolled with their first image
 *   (clean, as an operator would enrol a custody photo).
 * - Mated probes: up to `probesPerPerson` other images of each watchlist
 *   person. Non-mated pasted probes: up to `nonMatedPerPerson` images of
 *   every other person (the passers-by one can name).
 * - Every probe is cut around its face (a feathered ellipse), scaled so the
 *   face is W px wide (W cycles through `widths`, balanced over mated and
 *   non-mated), blurred (Gaussian sigma drawn from `blur`) and pasted at a
 *   free spot of a 1920x1080 scene made from a crowd photo (a random 16:9
 *   crop, zoom and mirror); `facesPerFrame` probes per frame. The whole frame
 *   is then JPEG-encoded at a quality drawn from `jpeg`.
 * - The crowd photos' own faces are more passers-by: detection runs on the
 *   whole frame, as a deployment would, and every detected face that is not
 *   a pasted mated face is a non-mated search.
 *
 * The face width of a source image is `faceFraction` x its width (LFW's
 * deep-funnelled 250 px crops hold a face of about 110 px: 0.44), a fixed
 * geometric convention, so the set does not depend on any detector.
 *
 * Everything is drawn from one seeded generator: the same folders, options
 * and seed give the same set, byte for byte (`LiveSet.key` says which).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { invalidType, outOfRange } from '../../errors.js';
import { seededRandom } from '../../util/random.js';
import { checkInteger, checkNumber, checkOptions } from '../../validate.js';
import type { Dataset } from '../dataset.js';

export interface LiveSetOptions {
  /** People on the watchlist (default 300). */
  watchlistSize?: number;
  /** Mated probe images per watchlist person, at most (default 3). */
  probesPerPerson?: number;
  /** Pasted images per person not on the watchlist, at most (default 2). */
  nonMatedPerPerson?: number;
  /** Face widths in frame pixels (default [32, 40, 48, 64]). */
  widths?: number[];
  /** Pasted faces per frame (default 10). */
  facesPerFrame?: number;
  /** Frame size (default [1920, 1080]). */
  frameSize?: [number, number];
  /** Gaussian blur sigma range in frame pixels, drawn per face (default [0.4, 1.0]). */
  blur?: [number, number];
  /** JPEG quality range, drawn per frame (default [60, 85]). */
  jpeg?: [number, number];
  /** Face width over image width in the source crops (default 0.44, LFW deep-funnelled). */
  faceFraction?: number;
  /** Seed of every draw (default 1). */
  seed?: number;
  /** Build only the first N frames (tests; default all). */
  maxFrames?: number;
}

export const LIVE_SET_KEYS = [
  'watchlistSize', 'probesPerPerson', 'nonMatedPerPerson', 'widths', 'facesPerFrame', 'frameSize', 'blur', 'jpeg', 'faceFraction', 'seed', 'maxFrames',
] as const;

export interface ResolvedLiveSetOptions {
  watchlistSize: number;
  probesPerPerson: number;
  nonMatedPerPerson: number;
  widths: number[];
  facesPerFrame: number;
  frameSize: [number, number];
  blur: [number, number];
  jpeg: [number, number];
  faceFraction: number;
  seed: number;
  maxFrames: number;
}

export interface PastedFace {
  /** Source image path. */
  image: string;
  person: string;
  /** On the watchlist. */
  mated: boolean;
  /** Face width in frame pixels. */
  width: number;
  /** Face centre in frame pixels. */
  cx: number;
  cy: number;
  /** Gaussian sigma, frame pixels. */
  blur: number;
}

export interface LiveFrame {
  index: number;
  /** Crowd photo path. */
  scene: string;
  /** Region of the crowd photo (its pixels) scaled to the frame. */
  crop: { x: number; y: number; width: number; height: number };
  mirror: boolean;
  jpeg: number;
  faces: PastedFace[];
}

export interface LiveSet {
  /** sha256 of everything the full set depends on (options, file names, seed); a `maxFrames` subset has its full set's key (it is a prefix of it). */
  key: string;
  options: ResolvedLiveSetOptions;
  /** Watchlist people and their enrolment image. */
  watchlist: { person: string; image: string }[];
  frames: LiveFrame[];
  counts: { people: number; eligible: number; matedPasted: number; nonMatedPasted: number; frames: number; scenes: number };
}

const IMAGE_EXT = /\.(jpe?g|png|webp)$/i;

function checkRange(param: string, v: unknown, lo: number, hi: number): [number, number] {
  if (!Array.isArray(v) || v.length !== 2) throw invalidType(param, 'an array [min, max]', v);
  const a = checkNumber(`${param}[0]`, v[0], lo, hi);
  const b = checkNumber(`${param}[1]`, v[1], lo, hi);
  if (b < a) throw outOfRange(param, '[min, max] with min <= max', v);
  return [a, b];
}

/** Checks LiveSetOptions and fills in the defaults. */
export function resolveLiveSetOptions(options: LiveSetOptions = {}): ResolvedLiveSetOptions {
  const o = checkOptions('options', options, LIVE_SET_KEYS);
  const widths = o.widths === undefined ? [32, 40, 48, 64] : o.widths;
  if (!Array.isArray(widths) || widths.length === 0) throw invalidType('options.widths', 'a non-empty array of face widths', widths);
  widths.forEach((w, i) => checkInteger(`options.widths[${i}]`, w, 8, 256));
  const fs = o.frameSize === undefined ? [1920, 1080] : o.frameSize;
  if (!Array.isArray(fs) || fs.length !== 2) throw invalidType('options.frameSize', 'an array [width, height]', fs);
  const frameSize: [number, number] = [checkInteger('options.frameSize[0]', fs[0], 320, 8192), checkInteger('options.frameSize[1]', fs[1], 240, 8192)];
  return {
    watchlistSize: o.watchlistSize === undefined ? 300 : checkInteger('options.watchlistSize', o.watchlistSize, 1),
    probesPerPerson: o.probesPerPerson === undefined ? 3 : checkInteger('options.probesPerPerson', o.probesPerPerson, 1, 1000),
    nonMatedPerPerson: o.nonMatedPerPerson === undefined ? 2 : checkInteger('options.nonMatedPerPerson', o.nonMatedPerPerson, 0, 1000),
    widths: [...(widths as number[])],
    facesPerFrame: o.facesPerFrame === undefined ? 10 : checkInteger('options.facesPerFrame', o.facesPerFrame, 1, 100),
    frameSize,
    blur: o.blur === undefined ? [0.4, 1.0] : checkRange('options.blur', o.blur, 0, 20),
    jpeg: o.jpeg === undefined ? [60, 85] : checkRange('options.jpeg', o.jpeg, 1, 100),
    faceFraction: o.faceFraction === undefined ? 0.44 : checkNumber('options.faceFraction', o.faceFraction, 0.05, 1),
    seed: o.seed === undefined ? 1 : checkInteger('options.seed', o.seed, 0, 2 ** 32 - 1),
    maxFrames: o.maxFrames === undefined ? 0 : checkInteger('options.maxFrames', o.maxFrames, 1),
  };
}

/** Crowd photos of a folder, sorted. */
export function listScenes(dir: string, param = 'scenes'): string[] {
  if (typeof dir !== 'string' || dir.length === 0) throw invalidType(param, 'a folder of crowd photos', dir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw outOfRange(param, 'an existing folder of crowd photos', dir);
  const files = readdirSync(dir).filter((f) => IMAGE_EXT.test(f)).sort().map((f) => path.join(path.resolve(dir), f));
  if (files.length === 0) throw outOfRange(param, 'a folder with at least one .jpg/.png/.webp photo', dir);
  return files;
}

function shuffle<T>(items: T[], rnd: () => number): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const uniform = (rnd: () => number, [a, b]: [number, number]) => a + (b - a) * rnd();

/**
 * Paste footprint: the square, centred on the face, that is cut from the
 * source and blended in (side = FOOTPRINT x face width).
 */
export const FOOTPRINT = 2;

/** Places `widths.length` faces at free spots of the frame (no two footprints overlap). */
function place(widths: number[], [W, H]: [number, number], rnd: () => number): [number, number][] {
  const out: [number, number][] = [];
  const half = widths.map((w) => (FOOTPRINT * w) / 2);
  for (let i = 0; i < widths.length; i++) {
    const h = half[i]!;
    let spot: [number, number] | null = null;
    for (let attempt = 0; attempt < 500 && !spot; attempt++) {
      const x = h + rnd() * (W - 2 * h);
      const y = h + rnd() * (H - 2 * h);
      if (out.every(([px, py], j) => Math.max(Math.abs(px - x), Math.abs(py - y)) >= h + half[j]! + 2)) spot = [x, y];
    }
    // A crowded frame (too many or too large faces) keeps the last try: overlap is better than a silent drop.
    out.push(spot ?? [h + rnd() * (W - 2 * h), h + rnd() * (H - 2 * h)]);
  }
  return out;
}

/** Builds the live-like set (the plan; rendering is render.ts). */
export async function buildLiveSet(ds: Dataset, scenes: string[], options: LiveSetOptions = {}): Promise<LiveSet> {
  if (!ds || !Array.isArray(ds.people)) throw invalidType('ds', 'a Dataset from openDataset()', ds);
  if (!Array.isArray(scenes) || scenes.length === 0) throw invalidType('scenes', 'a non-empty array of crowd photo paths', scenes);
  const o = resolveLiveSetOptions(options);
  const rnd = seededRandom(o.seed);
  const people = ds.people.slice().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const eligible = people.filter((p) => p.images.length >= 2);
  if (o.watchlistSize >= eligible.length) {
    throw outOfRange('options.watchlistSize', `fewer than the ${eligible.length} people with two or more images`, o.watchlistSize);
  }
  const watch = shuffle(eligible, rnd).slice(0, o.watchlistSize);
  const onList = new Set(watch.map((p) => p.id));
  const mated = watch.flatMap((p) => shuffle(p.images.slice(1), rnd).slice(0, o.probesPerPerson).map((image) => ({ image, person: p.id, mated: true })));
  const nonMated = people
    .filter((p) => !onList.has(p.id))
    .flatMap((p) => shuffle(p.images, rnd).slice(0, o.nonMatedPerPerson).map((image) => ({ image, person: p.id, mated: false })));
  // Widths balanced within each kind, then everything shuffled into frames.
  const withWidth = [...shuffle(mated, rnd), ...shuffle(nonMated, rnd)].map((p, i) => ({
    ...p,
    width: o.widths[(p.mated ? i : i - mated.length) % o.widths.length]!,
  }));
  const order = shuffle(withWidth, rnd);
  const { default: sharp } = await import('sharp');
  const sizes = new Map<string, [number, number]>();
  for (const s of scenes) {
    const m = await sharp(s).metadata();
    if (!m.width || !m.height) throw outOfRange('scenes', 'readable images', s);
    sizes.set(s, m.autoOrient ? [m.autoOrient.width, m.autoOrient.height] : [m.width, m.height]);
  }
  const sceneOrder = shuffle(scenes, rnd);
  const [W, H] = o.frameSize;
  const frames: LiveFrame[] = [];
  const nFrames = Math.ceil(order.length / o.facesPerFrame);
  // The whole plan is drawn even when only the first frames are kept, so a
  // subset is a prefix of the full set and shares its key (and cache).
  for (let f = 0; f < nFrames; f++) {
    const scene = sceneOrder[f % sceneOrder.length]!;
    const [sw, sh] = sizes.get(scene)!;
    // The largest crop of the frame's aspect, zoomed in by up to 1.3x, at a random spot.
    const aspect = W / H;
    let cw = Math.min(sw, sh * aspect);
    const zoom = 1 + 0.3 * rnd();
    cw = Math.max(16, cw / zoom);
    const ch = cw / aspect;
    const crop = {
      x: Math.floor(rnd() * (sw - cw + 1)),
      y: Math.floor(rnd() * (sh - ch + 1)),
      width: Math.round(cw),
      height: Math.round(ch),
    };
    crop.width = Math.min(crop.width, sw - crop.x);
    crop.height = Math.min(crop.height, sh - crop.y);
    const mirror = rnd() < 0.5;
    const jpeg = Math.round(uniform(rnd, o.jpeg));
    const chunk = order.slice(f * o.facesPerFrame, (f + 1) * o.facesPerFrame);
    const spots = place(chunk.map((c) => c.width), o.frameSize, rnd);
    const faces = chunk.map((c, i) => ({
      image: c.image,
      person: c.person,
      mated: c.mated,
      width: c.width,
      cx: Math.round(spots[i]![0] * 10) / 10,
      cy: Math.round(spots[i]![1] * 10) / 10,
      blur: Math.round(uniform(rnd, o.blur) * 1000) / 1000,
    }));
    frames.push({ index: f, scene, crop, mirror, jpeg, faces });
  }
  const rel = (p: string) => path.relative(ds.root, p);
  const key = createHash('sha256')
    .update(JSON.stringify({ v: 1, o: { ...o, maxFrames: 0 }, scenes: scenes.map((s) => path.basename(s)), frames: frames.map((fr) => ({ ...fr, scene: path.basename(fr.scene), faces: fr.faces.map((x) => ({ ...x, image: rel(x.image) })) })) }))
    .digest('hex');
  if (o.maxFrames > 0) frames.splice(o.maxFrames);
  const pasted = frames.flatMap((fr) => fr.faces);
  return {
    key,
    options: o,
    watchlist: watch.map((p) => ({ person: p.id, image: p.images[0]! })),
    frames,
    counts: {
      people: people.length,
      eligible: eligible.length,
      matedPasted: pasted.filter((p) => p.mated).length,
      nonMatedPasted: pasted.filter((p) => !p.mated).length,
      frames: frames.length,
      scenes: scenes.length,
    },
  };
}
