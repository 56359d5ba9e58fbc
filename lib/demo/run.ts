/**
 * The demo: enrol a small watchlist from face pictures that ship in npm
 * packages, then detect, embed and match every face of a scene, and draw
 * the result. Only watchlist matches are reported; every other face is an
 * anonymous box in the picture and nothing else (no score, no position, no
 * crop is printed or stored for it).
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Detector } from '../detector.js';
import { Embedder } from '../embedder.js';
import { DEFAULTS, findSpec } from '../models/catalog.js';
import { ModelError } from '../errors.js';
import type { Frame } from '../frame.js';
import type { Box, Face } from '../types.js';
import { Watchlist } from '../watchlist/index.js';
import { DEMO_PEOPLE, DEMO_SCENE, FALLBACK_SCENE, assetPath, type DemoPerson } from './assets.js';
import { writeAnnotated, type Mark } from './annotate.js';

export interface DemoOptions {
  /** Annotated picture (default out/demo.jpg under the working directory). */
  out?: string;
  /** Alert threshold on cosine similarity (default: the embedder's calibrated one). */
  threshold?: number;
  /** Also run on ../shared/data (cast watchlist on the bbt scenes) when present. */
  shared?: string | null;
  /** 'grid' (Human's face-grid screenshot), 'collage' (face-api's samples) or 'auto' (grid when installed). */
  scene?: 'auto' | 'grid' | 'collage';
  /** Registry names or .onnx paths (default: the registry's defaults). */
  detector?: string;
  /** Detector family, for a model without a manifest naming it. */
  detectorFamily?: string;
  embedder?: string;
  log?: (line: string) => void;
}

export interface StageTimes {
  decode: number;
  detect: number;
  embed: number;
  match: number;
}

export interface DemoAlert {
  id: string;
  score: number;
  box: Box;
}

export interface DemoSceneResult {
  scene: string;
  faces: number;
  alerts: DemoAlert[];
  times: StageTimes;
  out: string;
}

export interface DemoResult {
  detector: string;
  embedder: string;
  threshold: number;
  enrolled: string[];
  scenes: DemoSceneResult[];
}

interface Models {
  detector: Detector;
  embedder: Embedder;
}

async function decode(file: string, region?: Box, pad = 0): Promise<Frame> {
  const { default: sharp } = await import('sharp');
  let img = sharp(file).rotate();
  if (region) img = img.extract({ left: region.x, top: region.y, width: region.width, height: region.height });
  if (pad > 0 && region) {
    const px = Math.round(region.width * pad);
    const py = Math.round(region.height * pad);
    img = sharp(await img.toBuffer()).extend({ top: py, bottom: py, left: px, right: px, background: { r: 0, g: 0, b: 0 } });
  }
  const { data, info } = await img.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, format: 'rgb' };
}

function nearest(faces: Face[], [x, y]: [number, number]): Face | undefined {
  let best: Face | undefined;
  let bestD = Infinity;
  for (const f of faces) {
    const cx = f.box.x + f.box.width / 2;
    const cy = f.box.y + f.box.height / 2;
    const d = Math.hypot(cx - x, cy - y);
    if (d < bestD && d < Math.max(f.box.width, f.box.height)) {
      best = f;
      bestD = d;
    }
  }
  return best;
}

/** Enrols one face per person; returns the ids enrolled. */
async function enrol(models: Models, watchlist: Watchlist, people: readonly DemoPerson[], log: (s: string) => void): Promise<string[]> {
  const done: string[] = [];
  for (const p of people) {
    const file = assetPath(p.package, p.file);
    if (!file) {
      log(`  ${p.id}: skipped (${p.package}/${p.file} is not installed)`);
      continue;
    }
    const frame = await decode(file, p.region, p.pad);
    const faces = await models.detector.detect(frame);
    // Coordinates of `near` are in file pixels; map them into the (cropped, padded) frame.
    const ox = p.region ? p.region.x - Math.round(p.region.width * (p.pad ?? 0)) : 0;
    const oy = p.region ? p.region.y - Math.round(p.region.height * (p.pad ?? 0)) : 0;
    const face = nearest(faces, [p.near[0] - ox, p.near[1] - oy]);
    if (!face) {
      log(`  ${p.id}: skipped (no face found near the expected place in ${p.package}/${p.file})`);
      continue;
    }
    await watchlist.add(p.id, await models.embedder.embed(frame, [face]));
    log(`  ${p.id}: enrolled from ${p.package}/${p.file} (face of ${Math.round(face.box.width)} px)`);
    done.push(p.id);
  }
  return done;
}

async function runScene(
  models: Models,
  watchlist: Watchlist,
  threshold: number,
  name: string,
  frame: Frame,
  out: string,
  decodeMs: number,
): Promise<DemoSceneResult> {
  let t = performance.now();
  const faces = await models.detector.detect(frame);
  const detectMs = performance.now() - t;
  t = performance.now();
  const embeddings = faces.length > 0 ? await models.embedder.embed(frame, faces) : new Float32Array(0);
  const embedMs = performance.now() - t;
  t = performance.now();
  const matches = faces.length > 0 ? await watchlist.match(embeddings, { threshold, k: 1 }) : [];
  const matchMs = performance.now() - t;
  const alerts: DemoAlert[] = [];
  const marks: Mark[] = faces.map((f, i) => {
    const m = matches[i];
    if (m?.alert && m.best) {
      alerts.push({ id: m.best.id, score: m.best.score, box: f.box });
      return { box: f.box, label: `${m.best.id} ${m.best.score.toFixed(2)}` };
    }
    return { box: f.box };
  });
  await writeAnnotated(frame, marks, out);
  return { scene: name, faces: faces.length, alerts, times: { decode: decodeMs, detect: detectMs, embed: embedMs, match: matchMs }, out };
}

/** The embedder's live-like operating point (catalog), else its lfw-dev threshold at FAR 1e-3, else the Watchlist's placeholder 0.5. */
function defaultThreshold(name: string): number {
  const spec = findSpec(name);
  return spec?.live?.threshold ?? spec?.threshold ?? 0.5;
}

/** Cast watchlist (one image per person) on the bbt group photos, from ../shared/data. */
async function sharedScenes(models: Models, threshold: number, shared: string, outDir: string, log: (s: string) => void): Promise<DemoSceneResult[]> {
  const cast = path.join(shared, 'data', 'cast');
  const scenes = path.join(shared, 'data', 'scenes');
  if (!existsSync(cast) || !existsSync(scenes)) return [];
  log(`../shared found at ${shared}: also enrolling its cast (one image each) and matching the bbt scenes`);
  const wl = new Watchlist({ dim: models.embedder.dim });
  const ids: string[] = [];
  for (const person of readdirSync(cast).sort()) {
    const files = readdirSync(path.join(cast, person)).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort();
    if (files.length === 0) continue;
    const frame = await decode(path.join(cast, person, files[0]!), undefined, 0);
    // The cast crops are tight: pad them so the detector sees a whole head.
    const padded = await padFrame(frame, 0.5);
    const faces = await models.detector.detect(padded);
    const face = faces.sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height)[0];
    if (!face) continue;
    await wl.add(person, await models.embedder.embed(padded, [face]));
    ids.push(person);
  }
  log(`  enrolled ${ids.length}: ${ids.join(', ')}`);
  const results: DemoSceneResult[] = [];
  for (const f of readdirSync(scenes).filter((n) => /^bbt\d+\.jpg$/.test(n)).sort()) {
    let t = performance.now();
    const frame = await decode(path.join(scenes, f));
    const d = performance.now() - t;
    results.push(await runScene(models, wl, threshold, `shared/${f}`, frame, path.join(outDir, `demo-${f}`), d));
  }
  return results;
}

/** FALLBACK_SCENE: the face-api samples mirrored, shrunk to 640 px wide, tiled 3x2 on 1920x1080. */
async function collage(): Promise<Frame> {
  const { default: sharp } = await import('sharp');
  const parts: { input: Buffer; left: number; top: number }[] = [];
  for (let i = 0; i < FALLBACK_SCENE.files.length; i++) {
    const file = assetPath(FALLBACK_SCENE.package, FALLBACK_SCENE.files[i]!);
    if (!file) continue;
    const input = await sharp(file).flop().resize(640, 540, { fit: 'inside' }).jpeg({ quality: 80 }).toBuffer();
    parts.push({ input, left: (i % 3) * 640, top: Math.floor(i / 3) * 540 });
  }
  const png = await sharp({ create: { width: 1920, height: 1080, channels: 3, background: { r: 40, g: 40, b: 40 } } })
    .composite(parts)
    .png()
    .toBuffer();
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, format: 'rgb' };
}

async function padFrame(frame: Frame, pad: number): Promise<Frame> {
  const { default: sharp } = await import('sharp');
  const px = Math.round(frame.width * pad);
  const py = Math.round(frame.height * pad);
  const { data, info } = await sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } })
    .extend({ top: py, bottom: py, left: px, right: px, background: { r: 0, g: 0, b: 0 } })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, format: 'rgb' };
}

export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const log = options.log ?? ((s: string) => process.stdout.write(s + '\n'));
  const out = path.resolve(options.out ?? path.join('out', 'demo.jpg'));
  const sceneFile = options.scene === 'collage' ? null : assetPath(DEMO_SCENE.package, DEMO_SCENE.file);
  if (options.scene === 'grid' && !sceneFile) throw new ModelError(`The demo scene ${DEMO_SCENE.package}/${DEMO_SCENE.file} is neither bundled (assets/) nor installed: in a clone, run \`node scripts/setup.mjs\``);
  if (!sceneFile && !assetPath(FALLBACK_SCENE.package, FALLBACK_SCENE.files[0]!)) {
    throw new ModelError(`The demo pictures (${DEMO_SCENE.package}, ${FALLBACK_SCENE.package}) are neither bundled (assets/) nor installed: in a clone, run \`node scripts/setup.mjs\``);
  }
  // A family alone picks that family's registry model (Detector.load says when there is none).
  const detectorModel = options.detector ?? (options.detectorFamily === undefined ? DEFAULTS.detector : undefined);
  const detectorName = detectorModel ?? options.detectorFamily!;
  const embedderName = options.embedder ?? DEFAULTS.embedder;
  const detector = await Detector.load({
    ...(detectorModel !== undefined ? { model: detectorModel } : {}),
    ...(options.detectorFamily !== undefined ? { family: options.detectorFamily } : {}),
  });
  let embedder: Embedder;
  try {
    embedder = await Embedder.load({ model: embedderName });
  } catch (err) {
    await detector.close();
    throw err;
  }
  try {
    const models = { detector, embedder };
    const threshold = options.threshold ?? defaultThreshold(embedderName);
    log(`models: detector ${detectorName}, embedder ${embedderName} (${embedder.dim}-d), alert threshold ${threshold} (cosine)`);
    log('watchlist (pictures from npm packages, MIT):');
    const watchlist = new Watchlist({ dim: embedder.dim });
    const enrolled = await enrol(models, watchlist, DEMO_PEOPLE, log);
    let t = performance.now();
    let frame: Frame;
    let sceneName: string;
    if (sceneFile) {
      log(`scene: ${DEMO_SCENE.description}, from ${DEMO_SCENE.package}/${DEMO_SCENE.file}`);
      frame = await decode(sceneFile, DEMO_SCENE.region);
      sceneName = DEMO_SCENE.name;
    } else {
      log(`scene: ${FALLBACK_SCENE.description}${options.scene === 'collage' ? '' : ` (${DEMO_SCENE.package} is not installed)`}`);
      frame = await collage();
      sceneName = FALLBACK_SCENE.name;
    }
    const decodeMs = performance.now() - t;
    // Warm-up run (first inference allocates), not counted in the stage times.
    await detector.detect(frame);
    const scenes = [await runScene(models, watchlist, threshold, sceneName, frame, out, decodeMs)];
    if (options.shared) scenes.push(...(await sharedScenes(models, threshold, options.shared, path.dirname(out), log)));
    return { detector: detectorName, embedder: embedderName, threshold, enrolled, scenes };
  } finally {
    await Promise.all([detector.close(), embedder.close()]);
  }
}
