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
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as lib from '../../dist/index.js';
import { Detector, Embedder, type Watchlist } from '../../dist/index.js';
import type { Alert } from '../../dist/pipeline/index.js';
import { buildWalkVideo, enrolAndCalibrate, walkerList, walkerOfBox } from './walk-video.mjs';
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
  return walkerList(sharedData('lfw-dev', 'images'), n, offset, enrolled) as { id: string; file: string; enrollFiles: string[]; enrolled: boolean; lane: number }[];
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

/**
 * The watchlist of the enrolled walkers, threshold calibrated as the header
 * says; cached in the OS temp folder (keyed by the people and the models),
 * since every pipeline test file needs the same one.
 */
export async function enrolledWatchlist(detector: Detector, embedder: Embedder, list: ReturnType<typeof walkers>, exclude: string[] = []): Promise<Watchlist> {
  const key = createHash('sha256')
    .update(JSON.stringify({ v: 1, list: list.map((p) => [p.id, p.enrolled, p.enrollFiles]), exclude, det: statSync(sharedModel('yunet.onnx')).size, emb: statSync(sharedModel('mobilefacenet-128.onnx')).size, dim: embedder.dim }))
    .digest('hex')
    .slice(0, 16);
  const dir = path.join(os.tmpdir(), 'livefr-test-videos');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `watchlist-${key}.lfr`);
  if (existsSync(file)) {
    try {
      return await lib.Watchlist.load(file);
    } catch {
      // a damaged cache entry: build it again
    }
  }
  const wl = (await enrolAndCalibrate(lib, detector, embedder, sharedData('lfw-dev', 'images'), list, exclude)) as Watchlist;
  await wl.save(file);
  return wl;
}

/** The walker an alert's box belongs to at the alert's frame, or null (a face of the scene photo). */
export function walkerOf(alert: Pick<Alert, 'box' | 'frame'>, video: WalkVideo, frame = alert.frame): Walker | null {
  return walkerOfBox(alert.box, frame, video) as Walker | null;
}
