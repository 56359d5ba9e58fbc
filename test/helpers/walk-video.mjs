// Builds a test video from real faces: LFW people "walking" across a scene
// photo (faces pasted with a feathered oval mask, growing as they come
// closer, several at once), encoded to H.264 by ffmpeg. Returns the video's
// path and the ground truth (who is where, from which frame). Plain ESM so
// the tests (vitest) and the benchmarks (bench/*.mjs) share it.
//
// Videos are cached in the OS temp folder by a hash of their parameters;
// nothing is written into the repository.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { seededRandom } from '../../dist/util/random.js';

/** LFW people with at least `min` images, sorted by name (deterministic, not hand-picked). */
export function lfwPeople(lfwImages, min) {
  return readdirSync(lfwImages)
    .sort()
    .map((name) => ({ name, files: readdirSync(path.join(lfwImages, name)).sort().map((f) => path.join(lfwImages, name, f)) }))
    .filter((p) => p.files.length >= min);
}

/** A seeded PRNG (mulberry32, the library's own). */
export const rng = seededRandom;

// The deep-funnelled LFW face sits in the centre of the 250x250 image: the
// oval below (about 1.35x the face box) keeps face and some hair.
const CROP = { left: 55, top: 45, width: 140, height: 165 };

async function faceSprite(file) {
  const { data, info } = await sharp(file).extract(CROP).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** Resizes a sprite to width w (height in proportion) with a feathered oval alpha. */
async function scaled(sprite, w) {
  const h = Math.round((w * sprite.height) / sprite.width);
  const { data } = await sharp(sprite.data, { raw: { width: sprite.width, height: sprite.height, channels: 3 } })
    .resize(w, h, { kernel: 'lanczos3' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const alpha = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const dx = (x + 0.5 - w / 2) / (w / 2);
      const dy = (y + 0.5 - h / 2) / (h / 2);
      const r = Math.sqrt(dx * dx + dy * dy);
      alpha[y * w + x] = r < 0.85 ? 1 : r > 1 ? 0 : (1 - r) / 0.15;
    }
  }
  return { data, width: w, height: h, alpha };
}

function paste(frame, W, H, s, x0, y0) {
  for (let y = 0; y < s.height; y++) {
    const fy = y0 + y;
    if (fy < 0 || fy >= H) continue;
    for (let x = 0; x < s.width; x++) {
      const fx = x0 + x;
      if (fx < 0 || fx >= W) continue;
      const a = s.alpha[y * s.width + x];
      if (a === 0) continue;
      const o = (fy * W + fx) * 3;
      const i = (y * s.width + x) * 3;
      for (let c = 0; c < 3; c++) frame[o + c] = Math.round(frame[o + c] * (1 - a) + s.data[i + c] * a);
    }
  }
}

/**
 * Plans walkers: each crosses the frame from one side to the other (or part
 * of it), its face growing from `minFace` to `maxFace` px wide.
 */
export function planWalk({ width, height, fps, seconds, walkers, minFace = 28, maxFace = 90, seed = 1 }) {
  const r = rng(seed);
  const total = Math.round(seconds * fps);
  return walkers.map((w, k) => {
    const start = w.start ?? Math.floor((k * total) / (walkers.length + 1) * 0.6);
    const duration = w.frames ?? Math.round(total * (0.45 + 0.2 * r()));
    const end = Math.min(total - 1, start + duration - 1);
    const leftToRight = w.leftToRight ?? k % 2 === 0;
    const lane = w.lane ?? 0.15 + 0.6 * ((k * 0.37 + r() * 0.2) % 1);
    return { ...w, start, end, leftToRight, lane, minFace: w.minFace ?? minFace, maxFace: w.maxFace ?? maxFace };
  });
}

/** Where walker `p` is at frame f (or null): face centre, face width. */
export function walkerAt(p, f, width, height) {
  if (f < p.start || f > p.end) return null;
  const t = p.end === p.start ? 1 : (f - p.start) / (p.end - p.start);
  const faceW = Math.round(p.minFace + (p.maxFace - p.minFace) * t);
  const margin = 0.08 * width;
  const x = p.leftToRight ? margin + t * (width - 2 * margin) : width - margin - t * (width - 2 * margin);
  const y = height * p.lane + t * 0.08 * height;
  return { cx: x, cy: y, faceW };
}

function run(cmd, args, input) {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
    c.on('error', reject);
    c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}: ${err}`))));
    input(c.stdin).then(() => c.stdin.end(), reject);
  });
}

/**
 * Builds (or reuses) the video. `walkers`: [{ file, id, enrolled }] plus
 * optional placement. Returns { file, width, height, fps, frames, walkers }
 * with each walker's first and last frame.
 */
export async function buildWalkVideo(options) {
  const { scene, width = 1280, height = 720, fps = 25, seconds = 8, crf = 23, ffmpeg = process.env.LIVEFR_FFMPEG ?? 'ffmpeg' } = options;
  const plan = planWalk({ ...options, width, height, fps, seconds });
  const key = createHash('sha256')
    .update(JSON.stringify({ v: 3, scene, width, height, fps, seconds, crf, plan: plan.map((p) => ({ ...p, file: p.file })) }))
    .digest('hex')
    .slice(0, 16);
  const dir = path.join(os.tmpdir(), 'livefr-test-videos');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `walk-${key}.mp4`);
  const meta = { file, width, height, fps, frames: Math.round(seconds * fps), walkers: plan };
  if (existsSync(file) && existsSync(`${file}.json`)) return { ...meta, ...JSON.parse(readFileSync(`${file}.json`, 'utf8')), file };

  const bg = await sharp(scene).resize(width, height, { fit: 'cover' }).removeAlpha().raw().toBuffer();
  const sprites = await Promise.all(plan.map((p) => faceSprite(p.file)));
  const tmp = `${file}.${process.pid}.tmp.mp4`;
  const frame = Buffer.alloc(width * height * 3);
  await run(
    ffmpeg,
    ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', String(fps), '-i', 'pipe:0',
      '-c:v', 'libx264', '-preset', 'veryfast', '-crf', String(crf), '-pix_fmt', 'yuv420p', '-g', String(2 * fps), '-f', 'mp4', tmp],
    async (stdin) => {
      for (let f = 0; f < meta.frames; f++) {
        bg.copy(frame);
        for (const [k, p] of plan.entries()) {
          const at = walkerAt(p, f, width, height);
          if (!at) continue;
          const s = await scaled(sprites[k], Math.round((at.faceW * CROP.width) / 100));
          paste(frame, width, height, s, Math.round(at.cx - s.width / 2), Math.round(at.cy - s.height / 2));
        }
        if (!stdin.write(Buffer.from(frame))) await new Promise((r) => stdin.once('drain', r));
      }
    },
  );
  renameSync(tmp, file);
  writeFileSync(`${file}.json`, JSON.stringify({ walkers: plan }));
  return meta;
}

/**
 * Enrols the enrolled walkers (two other photos each) and calibrates the
 * threshold on non-mated lfw-dev faces: 300 people not in `exclude` (every
 * 9th by name), one photo each, matched against the watchlist; threshold =
 * their highest score + 0.02 (observed FPIR 0 in 300, recorded as targetFPIR
 * 1/300). `lib` is livefr's module (dist/index.js).
 */
export async function enrolAndCalibrate(lib, detector, embedder, lfwImages, list, exclude = []) {
  const first = async (file) => {
    const img = await lib.loadImage(file);
    const faces = await detector.detect(img);
    return faces.length ? embedder.embed(img, [faces[0]]) : null;
  };
  const wl = new lib.Watchlist({ dim: embedder.dim });
  for (const p of list) {
    if (!p.enrolled) continue;
    for (const f of p.enrollFiles) {
      const e = await first(f);
      if (e) await wl.add(p.id, e, { reason: 'test' });
    }
  }
  const skip = new Set([...list.map((p) => p.id), ...exclude]);
  const probes = lfwPeople(lfwImages, 1).filter((p) => !skip.has(p.name)).filter((_, i) => i % 9 === 0).slice(0, 300);
  let worst = -1;
  for (const p of probes) {
    const e = await first(p.files[0]);
    if (!e) continue;
    const [r] = await wl.match(e, { k: 1 });
    if (r?.best && r.best.score > worst) worst = r.best.score;
  }
  wl.setThreshold(Math.round((worst + 0.02) * 1000) / 1000, {
    calibration: { targetFPIR: 1 / probes.length, watchlistSize: wl.size, method: 'max non-mated lfw-dev score + 0.02 (test fixture)' },
  });
  return wl;
}

/** Walkers: the first `n` lfw-dev people (by name, from `offset`) with at least 3 photos, in lanes. */
export function walkerList(lfwImages, n, offset = 0, enrolled = (k) => k % 2 === 0) {
  return lfwPeople(lfwImages, 3).slice(offset, offset + n).map((p, k) => ({
    id: p.name,
    file: p.files[0],
    enrollFiles: p.files.slice(1, 3),
    enrolled: enrolled(k),
    lane: 0.1 + (0.72 * k) / Math.max(1, n - 1),
  }));
}

/** The walker an alert's box belongs to at frame `frame`, or null (a face of the scene photo). */
export function walkerOfBox(box, frame, video) {
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  let best = null;
  let bestD = Infinity;
  for (const w of video.walkers) {
    const at = walkerAt(w, frame, video.width, video.height);
    if (!at) continue;
    const d = Math.hypot(at.cx - cx, at.cy - cy);
    if (d < at.faceW * 0.75 && d < bestD) {
      best = w;
      bestD = d;
    }
  }
  return best;
}
