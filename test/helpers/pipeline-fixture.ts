/**
 * Shared set-up of the pipeline tests: a walking-faces video built from
 * lfw-dev (half the walkers enrolled, half not), YuNet + MobileFaceNet-128
 * from ../shared, a watchlist of the enrolled walkers (two other photos
 * each) whose threshold is calibrated here on non-mated lfw-dev faces, and
 * the ground truth to label alerts with.
 *
 * Protocol of the threshold: 300 lfw-dev people who are not in the video
 * (one photo each) are matched against the watchlist; the threshold is the
 * highest of their scores plus 0.02, i.e. an observed FPIR of 0 in 300
 * (recorded as targetFPIR 1/300 on the watchlist).
 */
import { spawnSync } from 'node:child_process';
import { Detector, Embedder, Watchlist, loadImage } from '../../dist/index.js';
import type { Alert } from '../../dist/pipeline/index.js';
import { buildWalkVideo, lfwPeople, walkerAt } from './walk-video.mjs';
import { hasShared, sharedData, sharedModel } from './shared.js';

export const hasFfmpeg = spawnSync('sh', ['-c', 'command -v ffmpeg'], { stdio: 'ignore' }).status === 0;
export const canRun = hasShared && hasFfmpeg;
export const SKIP_PIPELINE = hasShared ? 'needs ffmpeg on PATH (node scripts/setup.mjs installs it as root); absent, so skipped' : 'needs ../shared; absent, so skipped';

export interface Walker {
  id: string;
  file: string;
  enrolled: boolean;
  start: number;
  end: number;
  leftToRight: boolean;
  lane: number;
  minFace: number;
  maxFace: number;
}

export interface WalkVideo {
  file: string;
  width: number;
  height: number;
  fps: number;
  frames: number;
  walkers: Walker[];
}

/** The walkers: the first `n` lfw-dev people (by name) with at least 3 photos; even positions enrolled. */
export function walkers(n: number, offset = 0, enrolled: (k: number) => boolean = (k) => k % 2 === 0) {
  const people = lfwPeople(sharedData('lfw-dev', 'images'), 3).slice(offset, offset + n);
  return people.map((p: { name: string; files: string[] }, k: number) => ({
    id: p.name,
    file: p.files[0]!,
    enrollFiles: p.files.slice(1, 3),
    enrolled: enrolled(k),
    lane: 0.1 + (0.72 * k) / Math.max(1, n - 1),
  }));
}

export async function walkVideo(list: ReturnType<typeof walkers>, options: { seconds?: number; scene?: string; width?: number; height?: number } = {}): Promise<WalkVideo> {
  return (await buildWalkVideo({
    scene: sharedData('scenes', options.scene ?? 'bbt1.jpg'),
    seconds: options.seconds ?? 8,
    width: options.width ?? 1280,
    height: options.height ?? 720,
    walkers: list.map(({ id, file, enrolled, lane }) => ({ id, file, enrolled, lane })),
  })) as WalkVideo;
}

export async function loadModels(): Promise<{ detector: Detector; embedder: Embedder }> {
  const detector = await Detector.load({ family: 'yunet', model: sharedModel('yunet.onnx') });
  const embedder = await Embedder.load({ model: sharedModel('mobilefacenet-128.onnx'), mean: 127.5, std: 128 });
  return { detector, embedder };
}

async function embedFirstFace(detector: Detector, embedder: Embedder, file: string): Promise<Float32Array | null> {
  const img = await loadImage(file);
  const faces = await detector.detect(img);
  if (!faces.length) return null;
  return embedder.embed(img, [faces[0]!]);
}

/** The watchlist of the enrolled walkers, threshold calibrated as the header says. */
export async function enrolledWatchlist(detector: Detector, embedder: Embedder, list: ReturnType<typeof walkers>, exclude: string[] = []): Promise<Watchlist> {
  const wl = new Watchlist({ dim: embedder.dim });
  for (const p of list) {
    if (!p.enrolled) continue;
    for (const f of p.enrollFiles) {
      const e = await embedFirstFace(detector, embedder, f);
      if (e) await wl.add(p.id, e, { reason: 'test' });
    }
  }
  const skip = new Set([...list.map((p) => p.id), ...exclude]);
  const others = lfwPeople(sharedData('lfw-dev', 'images'), 1).filter((p: { name: string }) => !skip.has(p.name));
  // Every 9th person: spread over the alphabet, not the first few.
  const probes = others.filter((_: unknown, i: number) => i % 9 === 0).slice(0, 300);
  let worst = -1;
  for (const p of probes) {
    const e = await embedFirstFace(detector, embedder, p.files[0]!);
    if (!e) continue;
    const [r] = await wl.match(e, { k: 1 });
    if (r?.best && r.best.score > worst) worst = r.best.score;
  }
  wl.setThreshold(Math.round((worst + 0.02) * 1000) / 1000, { calibration: { targetFPIR: 1 / probes.length, watchlistSize: wl.size, method: 'max non-mated lfw-dev score + 0.02 (test fixture)' } });
  return wl;
}

/** The walker an alert's box belongs to at the alert's frame, or null (a face of the scene photo). */
export function walkerOf(alert: Pick<Alert, 'box' | 'frame'>, video: WalkVideo, frame = alert.frame): Walker | null {
  const cx = alert.box.x + alert.box.width / 2;
  const cy = alert.box.y + alert.box.height / 2;
  let best: Walker | null = null;
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
