/**
 * The live pipeline: streams in (ffmpeg sources or pushed frames), faces
 * detected, tracked, quality-gated, a few best faces per track embedded and
 * matched, one alert per track and identity out.
 *
 * One scheduler shares the machine. Every decoded frame goes through its
 * stream's tracker; detection runs on as many of them as the machine keeps
 * up with: at most `concurrency` detections at once across all streams, the
 * stream served least recently goes next, and a frame that
 * a newer one overtakes before its detection starts is tracked only (motion
 * prediction carries the faces). Within a stream, the detection of the next
 * frame overlaps the embedding of the previous one. Counters say which
 * frames were detected, tracked only, or dropped. Memory is bounded: every
 * stream has a fixed pool of frame buffers, one waiting frame (realtime),
 * at most two frames in work, and a fixed number of embeddings per live
 * track.
 *
 * Privacy: nothing about a face that matched nobody leaves the pipeline;
 * when its track ends, its embeddings are overwritten and its region in
 * the stream's idle frame buffers too; only counters are kept.
 */
import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import type { Detector, DetectOptions, DetectRunInfo } from '../detector.js';
import type { Embedder } from '../embedder.js';
import type { LandmarkStage } from '../detectors/landmark-stage.js';
import { StateError, invalidType, outOfRange } from '../errors.js';
import { validateFrame, type Frame, type FrameLayout } from '../frame.js';
import type { Box, Face } from '../types.js';
import { checkBoolean, checkInteger, checkNumber, checkOptions, isPlainObject } from '../validate.js';
import type { Watchlist } from '../watchlist/index.js';
import { faceCrop } from './crop.js';
import { StreamError } from './errors.js';
import { EVALUATION_HOOK, type EvaluationHook, type TrackSummary } from './evaluation.js';
import { FUSION_RULES, TrackEvidence, type FusionRule } from './evidence.js';
import { FramePool, type PooledFrame } from './frame-pool.js';
import { MotionMap, normaliseMotionOptions, type MotionOptions } from './motion.js';
import { normaliseQualityOptions, qualityOf, sharpness, type QualityOptions } from './quality.js';
import { VideoSource, type Gap, type VideoSourceOptions } from './source.js';
import { Tracker, type Track, type TrackerOptions } from './tracker.js';
import type { Alert, PipelineGovernor, StreamState, StreamStatus } from './types.js';

export interface PipelineOptions {
  /** The watchlist faces are matched against (required). */
  watchlist: Watchlist;
  /** A loaded detector (default: `Detector.load()` with the default model, closed with the pipeline). */
  detector?: Detector;
  /** A loaded embedder (default: `Embedder.load()`, closed with the pipeline). */
  embedder?: Embedder;
  /**
   * A landmark stage (`loadLandmarkStage()`) run only on the faces chosen
   * for embedding, for a detector loaded without one (`landmarkStage:
   * 'none'`): a crowd's other faces do not pay for it. Pose then counts in
   * the quality gate of those faces only. The default models work this way
   * (mtcnn-onet); the pipeline closes a stage it loaded itself, never one
   * it was given.
   */
  landmarks?: LandmarkStage;
  /** Alert threshold on the fused score (default: the watchlist's own, which `livefr enroll` sets from the model's measured operating point). */
  threshold?: number;
  /** Allows a threshold below the watchlist's calibrated one (more false alerts). */
  force?: boolean;
  /** How a track's evidence becomes one score per identity (default 'max', chosen by bench/pipeline-fusion; docs/pipeline.md compares them). */
  fusion?: FusionRule;
  /**
   * Embeddings a track keeps (default 4): its best few faces. A later face
   * is embedded when it is due (reembedEvery) while the track holds fewer,
   * and once it holds them all, only a face 10% better than every one, or
   * 1.25x larger than the largest (it replaces the worst).
   */
  maxEmbeddingsPerTrack?: number;
  /** Faces below this quality (0-1) are not embedded (default 0.25). */
  minQuality?: number;
  /**
   * A track is embedded again after this many detections, or twice as many
   * frames when detection runs on fewer frames, even without a better face
   * (default 8; 4x as many when its face has not moved since its last
   * embedding: the same view).
   */
  reembedEvery?: number;
  /**
   * Faces embedded per detected frame at most (default 8): in a crowd the
   * first faces of new tracks go first (the oldest track first), then better
   * faces of known tracks; the rest wait for a later frame, so one frame's
   * cost stays bounded.
   */
  maxEmbeddingsPerFrame?: number;
  /** Detection is meant for every n-th frame of each stream (default 1); the frames between are tracked only, and under load the scheduler tracks more frames only. */
  detectEvery?: number;
  /**
   * Detections in work at once across streams (default 1: a frame's tiles
   * already run on every detector worker, and a second frame at once gave
   * no more frames per second, only older results; docs/pipeline.md).
   * Embedding and matching of other frames overlap it regardless.
   */
  concurrency?: number;
  /**
   * Options passed to every detect() call (a stream's own `detect` adds to
   * them). With the default detector, loaded by the pipeline itself, the
   * plan defaults to `{ smallestFace: 48 }` (docs/pipeline.md: its cost
   * and recall against detect()'s own 32).
   */
  detect?: DetectOptions;
  tracker?: TrackerOptions;
  quality?: QualityOptions;
  /**
   * Motion-gated detection (default on; options tune it, `false` turns it
   * off): a detection runs the whole-frame pass plus the plan's tiles
   * (mosaic windows with `detect: { mosaic: true }`) where the picture
   * changed since they were last searched or where a new, lost or moving
   * track is expected, and the whole plan at least every `refreshSeconds`
   * (lib/pipeline/motion.ts and
   * docs/pipeline.md say what it costs and saves). Off, every detected frame
   * runs the whole plan, as it does with a detector object that has
   * `detect()` but not `detectWithInfo()` (the gate needs to know where
   * detection looked).
   */
  motion?: boolean | MotionOptions;
  /** Default for file sources: play at native rate (default true). */
  realtime?: boolean;
  /** Deployment checks (lib/governance); see PipelineGovernor. */
  governor?: PipelineGovernor;
}

export interface StreamOptions extends Omit<VideoSourceOptions, 'realtime'> {
  /** File sources: play at native rate (default: the pipeline's `realtime`, true). Network sources are always live. */
  realtime?: boolean;
  /** Overrides the pipeline's detectEvery for this stream. */
  detectEvery?: number;
  /** detect() options for this stream, over the pipeline's (e.g. `{ smallestFace: 64 }` for a camera whose faces are larger: fewer tiles). */
  detect?: DetectOptions;
}

/** A source the application feeds with `pipeline.push()`. */
export interface PushSource {
  push: true;
}

const OPTION_KEYS = [
  'watchlist', 'detector', 'embedder', 'landmarks', 'threshold', 'force', 'fusion', 'maxEmbeddingsPerTrack', 'maxEmbeddingsPerFrame', 'minQuality', 'reembedEvery',
  'detectEvery', 'concurrency', 'detect', 'tracker', 'quality', 'motion', 'realtime', 'governor',
] as const;
const STREAM_KEYS = ['realtime', 'loop', 'size', 'poolSize', 'ffmpeg', 'stallTimeoutMs', 'backoffMs', 'maxBackoffMs', 'maxReconnects', 'decodeThreads', 'deblock', 'detectEvery', 'detect'] as const;

interface Owns {
  detector: boolean;
  embedder: boolean;
  landmarks: boolean;
}

interface FaceRef {
  face: Face;
}

interface StreamCtx {
  id: string;
  source: string;
  video: VideoSource | null;
  pushPool: FramePool | null;
  pushT0: number | null;
  pushFrames: number;
  realtime: boolean;
  detectEvery: number;
  tracker: Tracker<FaceRef>;
  /** Cell means for motion-gated detection (null when the gate is off; made at the first frame). */
  motion: MotionMap | null;
  evidence: Map<number, TrackEvidence>;
  confirmed: Set<number>;
  /** detect() options of this stream (the pipeline's plus its own). */
  detect: DetectOptions;
  /** Frames waiting for detection: a live stream keeps only the newest; offline, every frame (bounded by the pool). */
  queue: PooledFrame[];
  /** When the stream's last detection started: the least recently served stream goes next. */
  servedAt: number;
  /** A detection of this stream is running. */
  detecting: boolean;
  /** Frames from the start of their detection to the end of their embedding and matching (at most 2: one detecting, one after). */
  held: number;
  /** The stream's tracker order: each detected frame's work after detection and the motion-only steps, one after another. */
  chain: Promise<void>;
  /** The newest frame tracked only, and the newest handed to the chain. */
  advanceTo: number;
  appendedTo: number;
  /** The last step of the chain when it is a motion-only step not yet run (later frames extend it). */
  advanceStep: { to: number; ran: boolean } | null;
  sourceEnded: boolean;
  endError: StreamError | null;
  finished: boolean;
  /** Removed or closing: a push stream may finish. */
  removing: boolean;
  /** Confirmed tracks that have ended. */
  finishedTracks: number;
  /** The last frame's inference failed (errors are reported once per run of failures). */
  failing: boolean;
  done: Promise<void>;
  resolveDone: () => void;
  state: StreamState;
  counts: { frames: number; detected: number; tracked: number; dropped: number; skipped: number; faces: number; embeddings: number; alerts: number; gaps: number };
  lastError: string | null;
  inTimes: Float64Array;
  inHead: number;
  procTimes: Float64Array;
  procHead: number;
  detTimes: Float64Array;
  detHead: number;
}

const WINDOW_MS = 2000;

/**
 * An alert is raised on a face embedded in the alert's frame whose own
 * score for the identity is at least the threshold minus this margin.
 */
export const VERIFY_MARGIN = 0.1;

/**
 * The detection plan when the pipeline loads the default detector itself:
 * tiles for 48-px faces rather than detect()'s 32 (10 model passes per
 * 1080p frame instead of 13; docs/pipeline.md gives the recall of each).
 */
export const DEFAULT_MODELS_PLAN: DetectOptions = { smallestFace: 48 };

function rate(times: Float64Array, now: number): number {
  let n = 0;
  let oldest = now;
  for (const t of times) {
    if (t > 0 && now - t <= WINDOW_MS) {
      n++;
      if (t < oldest) oldest = t;
    }
  }
  if (n < 2) return 0;
  return (n - 1) / Math.max(0.001, (now - oldest) / 1000);
}

function mark(times: Float64Array, head: number, now: number): number {
  times[head] = now;
  return (head + 1) % times.length;
}

/** A detection's faces, and where it looked when it ran on part of the frame. */
interface Detected {
  faces: Face[];
  seen: ((box: Box) => boolean) | undefined;
}

/**
 * Whether a detection run on part of the frame looked where `box` is: a face
 * large enough for the whole-frame pass, a box centred outside the frame
 * (leaving it), or one centred in a tile that ran.
 */
function seenBy(info: DetectRunInfo, width: number, height: number): (box: Box) => boolean {
  return (b) => {
    if (info.wholeFrameFace > 0 && Math.max(b.width, b.height) >= info.wholeFrameFace) return true;
    const cx = b.x + b.width / 2;
    const cy = b.y + b.height / 2;
    if (cx < 0 || cy < 0 || cx >= width || cy >= height) return true;
    return info.covered.some((r) => cx >= r.x && cx < r.x + r.width && cy >= r.y && cy < r.y + r.height);
  };
}

/** Whether a face box moved (centre by half its size) or changed size (by 20%) since `from`. */
function moved(from: Face['box'], to: Face['box']): boolean {
  const s = Math.max(from.width, from.height, 1);
  const d = Math.hypot(from.x + from.width / 2 - (to.x + to.width / 2), from.y + from.height / 2 - (to.y + to.height / 2));
  const r = Math.max(to.width, to.height, 1) / s;
  return d > 0.5 * s || r > 1.2 || r < 1 / 1.2;
}

/**
 * A face that moves at least this many box sizes per frame between a track's
 * first and last detection counts as moving (0.5 face widths a second at
 * 25 fps: a walker crosses a 1080p view at 2-5; a seated face jitters by
 * less than 0.1).
 */
export const MOVING_SPEED = 0.02;

/** Frames a still face's first embedding may wait behind moving and new faces (2 s at 25 fps). */
export const STILL_WAIT_FRAMES = 50;

/** 2 for a track whose face moves, 1 for one seen once (motion not known yet), 0 for a still one. */
export function motionOf(t: Pick<Track, 'firstFrame' | 'lastSeen' | 'firstBox' | 'last'>): number {
  const frames = t.lastSeen - t.firstFrame;
  if (frames <= 0) return 1;
  const a = t.firstBox;
  const b = t.last.box;
  const s = Math.max(a.width, a.height, b.width, b.height, 1);
  const d = Math.hypot(a.x + a.width / 2 - (b.x + b.width / 2), a.y + a.height / 2 - (b.y + b.height / 2));
  return d / s / frames >= MOVING_SPEED ? 2 : 0;
}

/** Copies a validated frame into a tight buffer of the same format (push API). */
function packInto(l: FrameLayout, dst: Buffer): void {
  const W = l.width;
  const H = l.height;
  const copyRows = (srcOff: number, srcStride: number, rowBytes: number, rows: number, dstOff: number) => {
    for (let r = 0; r < rows; r++) dst.set(l.data.subarray(srcOff + r * srcStride, srcOff + r * srcStride + rowBytes), dstOff + r * rowBytes);
  };
  if (l.format === 'nv12' || l.format === 'i420') {
    const cw = Math.ceil(W / 2);
    const ch = Math.ceil(H / 2);
    copyRows(0, l.stride, W, H, 0);
    if (l.format === 'nv12') copyRows(l.stride * H, l.chromaStride, 2 * cw, ch, W * H);
    else {
      copyRows(l.stride * H, l.chromaStride, cw, ch, W * H);
      copyRows(l.stride * H + l.chromaStride * ch, l.chromaStride, cw, ch, W * H + cw * ch);
    }
    return;
  }
  const rowBytes = l.byteLength - l.stride * (H - 1);
  copyRows(0, l.stride, rowBytes, H, 0);
}

export class Pipeline extends EventEmitter {
  readonly threshold: number;
  readonly fusion: FusionRule;
  readonly watchlist: Watchlist;
  private detector!: Detector;
  private embedder!: Embedder;
  private owns: Owns = { detector: false, embedder: false, landmarks: false };
  private readonly landmarks: LandmarkStage | null;
  private readonly o: {
    force: boolean;
    maxEmbeddings: number;
    perFrame: number;
    minQuality: number;
    reembedEvery: number;
    detectEvery: number;
    concurrency: number;
    detect: DetectOptions;
    tracker: TrackerOptions;
    quality: Required<QualityOptions>;
    motion: Required<MotionOptions> | null;
    realtime: boolean;
  };
  private readonly governor: PipelineGovernor | undefined;
  private readonly streams = new Map<string, StreamCtx>();
  /** Detections running, across streams. */
  private inFlight = 0;
  /** Frames in work (detecting or after), across streams. */
  private held = 0;
  private closing: Promise<void> | null = null;
  private closed = false;
  private fatal: Error | null = null;
  private iterators = new Set<{ queue: Alert[]; wake: (() => void) | null }>();
  private idle: Array<() => void> = [];
  private readonly evaluate: EvaluationHook | undefined;
  private readonly evalFrames = new Map<string, Record<FusionRule, Record<string, number>>>();

  /** Use createPipeline(). */
  constructor(options: PipelineOptions, internal: { detector: Detector; embedder: Embedder; landmarks: LandmarkStage | null; owns: Owns; threshold: number }) {
    super();
    this.watchlist = options.watchlist;
    this.detector = internal.detector;
    this.embedder = internal.embedder;
    this.owns = internal.owns;
    this.landmarks = internal.landmarks;
    this.threshold = internal.threshold;
    this.fusion = options.fusion ?? 'max';
    this.governor = options.governor;
    const o = options;
    this.o = {
      force: o.force ?? false,
      maxEmbeddings: o.maxEmbeddingsPerTrack ?? 4,
      perFrame: o.maxEmbeddingsPerFrame ?? 8,
      minQuality: o.minQuality ?? 0.25,
      reembedEvery: o.reembedEvery ?? 8,
      detectEvery: o.detectEvery ?? 1,
      concurrency: o.concurrency ?? 1,
      detect: { ...(internal.owns.detector ? DEFAULT_MODELS_PLAN : {}), ...(o.detect ?? {}) },
      tracker: o.tracker ?? {},
      quality: normaliseQualityOptions(o.quality),
      motion: o.motion === false ? null : normaliseMotionOptions(o.motion === true || o.motion === undefined ? undefined : o.motion),
      realtime: o.realtime ?? true,
    };
    new Tracker(this.o.tracker); // validates the tracker options now
    const hook = (options as unknown as Record<symbol, unknown>)[EVALUATION_HOOK];
    if (typeof hook === 'function') {
      this.evaluate = hook as EvaluationHook;
      process.stderr.write('livefr pipeline: evaluation hook on: per-track scores of every face leave the pipeline (test data only, never a deployment); no alerts are raised\n');
    }
  }

  // ------------------------------------------------------------------ streams --

  /**
   * Adds a stream: a file path or a network URL (rtsp://, http(s)://,
   * tcp://, udp://, ...) decoded by ffmpeg, or `{ push: true }` for frames
   * given to `push()`. Errors of the stream are 'error' events carrying its
   * id; they never affect the other streams.
   */
  addStream(id: string, source: string | PushSource, options?: StreamOptions): void {
    this.checkOpen();
    if (typeof id !== 'string' || id.length === 0 || id.length > 200) throw invalidType('id', 'a non-empty stream id string', id);
    if (this.streams.has(id)) throw outOfRange('id', 'an id not already in use', id);
    const isPush = isPlainObject(source) && (source as Record<string, unknown>).push === true;
    if (!isPush && (typeof source !== 'string' || source.length === 0)) {
      throw invalidType('source', "a file path, a stream URL or { push: true }", source);
    }
    const o = checkOptions('options', options, STREAM_KEYS);
    const detectEvery = o.detectEvery === undefined ? this.o.detectEvery : checkInteger('options.detectEvery', o.detectEvery, 1, 1000);
    if (o.detect !== undefined && !isPlainObject(o.detect)) throw invalidType('options.detect', 'detect() options', o.detect);
    const realtime = o.realtime === undefined ? this.o.realtime : checkBoolean('options.realtime', o.realtime);
    const videoOptions = this.videoOptions(o);
    this.governor?.admit({ threshold: this.threshold, watchlist: this.watchlist, streamId: id, now: new Date() });
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const tracker = new Tracker<FaceRef>(this.o.tracker);
    const ctx: StreamCtx = {
      id,
      source: isPush ? 'push' : (source as string),
      video: null,
      pushPool: null,
      pushT0: null,
      pushFrames: 0,
      realtime,
      detectEvery,
      tracker,
      motion: null,
      evidence: new Map(),
      confirmed: new Set(),
      detect: { minScore: tracker.options.lowScore, ...this.o.detect, ...((o.detect as DetectOptions | undefined) ?? {}) },
      queue: [],
      servedAt: 0,
      detecting: false,
      held: 0,
      chain: Promise.resolve(),
      advanceTo: -1,
      appendedTo: -1,
      advanceStep: null,
      sourceEnded: false,
      endError: null,
      finished: false,
      removing: false,
      finishedTracks: 0,
      failing: false,
      done,
      resolveDone,
      state: isPush ? 'running' : 'starting',
      counts: { frames: 0, detected: 0, tracked: 0, dropped: 0, skipped: 0, faces: 0, embeddings: 0, alerts: 0, gaps: 0 },
      lastError: null,
      inTimes: new Float64Array(256),
      inHead: 0,
      procTimes: new Float64Array(256),
      procHead: 0,
      detTimes: new Float64Array(256),
      detHead: 0,
    };
    this.streams.set(id, ctx);
    if (isPush) return;
    const video = new VideoSource(source as string, { ...videoOptions, realtime });
    ctx.video = video;
    video.on('format', () => (ctx.state = 'running'));
    video.on('frame', (f: PooledFrame) => this.onFrame(ctx, f));
    video.on('drop', (_n: number, index: number) => {
      // No free buffer for its pixels: the frame still goes through the tracker (motion only).
      ctx.counts.frames++;
      ctx.inHead = mark(ctx.inTimes, ctx.inHead, Date.now());
      if (this.closed || this.closing || ctx.finished) ctx.counts.dropped++;
      else this.trackOnly(ctx, index);
    });
    video.on('gap', (gap: Gap) => {
      ctx.counts.gaps++;
      ctx.state = 'running';
      this.emit('gap', { streamId: id, ...gap });
    });
    video.on('error', (err: StreamError) => {
      if (video.network) ctx.state = 'reconnecting';
      this.streamError(ctx, err);
    });
    video.on('end', (err: StreamError | null) => {
      ctx.sourceEnded = true;
      ctx.endError = err;
      this.maybeFinish(ctx);
    });
    video.start();
  }

  private videoOptions(o: Record<string, unknown>): VideoSourceOptions {
    const v: VideoSourceOptions = {};
    if (o.loop !== undefined) v.loop = checkBoolean('options.loop', o.loop);
    if (o.size !== undefined) {
      if (!Array.isArray(o.size) || o.size.length !== 2) throw invalidType('options.size', 'an array [width, height]', o.size);
      v.size = [checkInteger('options.size[0]', o.size[0], 16, 16384), checkInteger('options.size[1]', o.size[1], 16, 16384)];
      if (v.size[0] % 2) throw outOfRange('options.size[0]', 'an even width (4:2:0 frames)', v.size[0]);
    }
    if (o.poolSize !== undefined) v.poolSize = checkInteger('options.poolSize', o.poolSize, 2, 64);
    if (o.ffmpeg !== undefined) {
      if (typeof o.ffmpeg !== 'string' || !o.ffmpeg) throw invalidType('options.ffmpeg', 'a path to an ffmpeg executable', o.ffmpeg);
      v.ffmpeg = o.ffmpeg;
    }
    if (o.stallTimeoutMs !== undefined) v.stallTimeoutMs = checkInteger('options.stallTimeoutMs', o.stallTimeoutMs, 100, 3_600_000);
    if (o.backoffMs !== undefined) v.backoffMs = checkInteger('options.backoffMs', o.backoffMs, 10, 600_000);
    if (o.maxBackoffMs !== undefined) v.maxBackoffMs = checkInteger('options.maxBackoffMs', o.maxBackoffMs, 10, 3_600_000);
    if (o.maxReconnects !== undefined) v.maxReconnects = checkInteger('options.maxReconnects', o.maxReconnects, 0, Number.MAX_SAFE_INTEGER);
    if (o.decodeThreads !== undefined) v.decodeThreads = checkInteger('options.decodeThreads', o.decodeThreads, 1, 64);
    if (o.deblock !== undefined) v.deblock = checkBoolean('options.deblock', o.deblock);
    return v;
  }

  /**
   * Gives a frame to a `{ push: true }` stream. The pixels are copied into
   * the stream's pool (the caller may reuse its buffer at once). Returns
   * true when the frame was taken for detection, false when it was tracked
   * only (detectEvery, or no free buffer) or dropped.
   */
  push(streamId: string, frame: Frame, timestampMs: number): boolean {
    this.checkOpen();
    const ctx = this.streams.get(streamId);
    if (!ctx) throw outOfRange('streamId', 'the id of a stream added with addStream()', streamId);
    if (ctx.video || ctx.finished) throw outOfRange('streamId', 'a stream added with { push: true } and not removed', streamId);
    const l = validateFrame(frame, 'frame');
    const ts = checkNumber('timestampMs', timestampMs);
    let pool = ctx.pushPool;
    if (!pool || pool.width !== l.width || pool.height !== l.height || pool.format !== l.format) {
      if (pool && (ctx.held > 0 || ctx.queue.length)) {
        ctx.counts.frames++;
        ctx.counts.dropped++;
        return false; // the size changed while older frames are in work: drop until they are done
      }
      pool?.wipe();
      pool = ctx.pushPool = new FramePool(4, l.format, l.width, l.height);
    }
    if (ctx.pushT0 === null) ctx.pushT0 = ts;
    const slot = pool.acquire();
    if (!slot) {
      ctx.counts.frames++;
      this.trackOnly(ctx, ctx.pushFrames++);
      return false;
    }
    packInto(l, slot.data);
    slot.index = ctx.pushFrames++;
    slot.time = (ts - ctx.pushT0) / 1000;
    return this.onFrame(ctx, slot);
  }

  /** Stops a stream: its decoder ends, work in flight finishes, its tracks end (without alerts). */
  async removeStream(id: string): Promise<void> {
    const ctx = this.streams.get(id);
    if (!ctx) throw outOfRange('id', 'the id of a stream added with addStream()', id);
    ctx.video?.stop();
    this.dropQueued(ctx);
    ctx.sourceEnded = true;
    ctx.removing = true;
    this.maybeFinish(ctx);
    await ctx.done;
    this.streams.delete(id);
  }

  /** Status of every stream (or one). Counters only. */
  status(): StreamStatus[];
  status(id: string): StreamStatus;
  status(id?: string): StreamStatus | StreamStatus[] {
    if (id !== undefined) {
      const ctx = this.streams.get(id);
      if (!ctx) throw outOfRange('id', 'the id of a stream added with addStream()', id);
      return this.statusOf(ctx);
    }
    return [...this.streams.values()].map((c) => this.statusOf(c));
  }

  private statusOf(c: StreamCtx): StreamStatus {
    const now = Date.now();
    const fmt = c.video?.format ?? (c.pushPool ? { width: c.pushPool.width, height: c.pushPool.height } : null);
    return {
      id: c.id,
      source: c.source,
      state: c.state,
      width: fmt?.width ?? null,
      height: fmt?.height ?? null,
      fpsIn: rate(c.inTimes, now),
      fpsProcessed: rate(c.procTimes, now),
      fpsDetected: rate(c.detTimes, now),
      frames: c.counts.frames,
      processed: c.counts.detected + c.counts.tracked,
      detected: c.counts.detected,
      tracked: c.counts.tracked,
      dropped: c.counts.dropped,
      skipped: c.counts.skipped,
      faces: c.counts.faces,
      embeddings: c.counts.embeddings,
      alerts: c.counts.alerts,
      gaps: c.counts.gaps,
      tracks: c.confirmed.size + c.finishedTracks,
      liveTracks: c.tracker.tracks().length,
      reconnects: c.video?.reconnects ?? 0,
      lastError: c.lastError,
    };
  }

  /** Resolves when every stream has ended (file sources reached their end; push and network streams only when removed). */
  async ended(): Promise<void> {
    await Promise.all([...this.streams.values()].map((c) => c.done));
  }

  // ------------------------------------------------------------------ alerts --

  /** Alerts as an async iterator, from now until the pipeline closes (then it ends, or rejects with the error that stopped it). */
  alerts(): AsyncIterableIterator<Alert> {
    const sub = { queue: [] as Alert[], wake: null as (() => void) | null };
    this.iterators.add(sub);
    const self = this;
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      async next(): Promise<IteratorResult<Alert>> {
        for (;;) {
          const a = sub.queue.shift();
          if (a) return { value: a, done: false };
          if (self.fatal) throw self.fatal;
          if (self.closed || !self.iterators.has(sub)) return { value: undefined, done: true };
          await new Promise<void>((r) => (sub.wake = r));
          sub.wake = null;
        }
      },
      async return(): Promise<IteratorResult<Alert>> {
        self.iterators.delete(sub);
        sub.queue.length = 0;
        return { value: undefined, done: true };
      },
    };
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Alert> {
    return this.alerts();
  }

  // ------------------------------------------------------------------ scheduling --

  private onFrame(ctx: StreamCtx, f: PooledFrame): boolean {
    ctx.counts.frames++;
    ctx.inHead = mark(ctx.inTimes, ctx.inHead, Date.now());
    if (this.closed || this.closing || ctx.finished) {
      ctx.counts.dropped++;
      this.release(ctx, f);
      return false;
    }
    if (f.index % ctx.detectEvery !== 0) {
      ctx.counts.skipped++;
      this.trackOnly(ctx, f.index);
      this.release(ctx, f);
      return false;
    }
    const live = ctx.realtime || ctx.video?.network === true || ctx.video === null;
    if (live && ctx.queue.length) {
      // The newest frame wins: the one still waiting for detection is tracked only.
      for (const old of ctx.queue.splice(0)) {
        this.trackOnly(ctx, old.index);
        this.release(ctx, old);
      }
    }
    ctx.queue.push(f);
    this.schedule();
    return true;
  }

  private release(ctx: StreamCtx, f: PooledFrame): void {
    if (ctx.video) ctx.video.release(f);
    else ctx.pushPool?.release(f);
  }

  /** Frames still waiting for detection when a stream stops: released, counted as dropped. */
  private dropQueued(ctx: StreamCtx): void {
    for (const f of ctx.queue.splice(0)) {
      ctx.counts.dropped++;
      this.release(ctx, f);
    }
  }

  /**
   * A frame without detection: it goes through the tracker by motion
   * prediction, after every earlier frame of the stream (a frame still
   * waiting for detection, or in detection, comes first).
   */
  private trackOnly(ctx: StreamCtx, index: number): void {
    ctx.counts.tracked++;
    ctx.procHead = mark(ctx.procTimes, ctx.procHead, Date.now());
    if (index > ctx.advanceTo) ctx.advanceTo = index;
    this.flushAdvance(ctx);
  }

  private flushAdvance(ctx: StreamCtx): void {
    const to = ctx.advanceTo;
    if (to <= ctx.appendedTo) return;
    if (ctx.queue.length && ctx.queue[0]!.index < to) return; // that frame's detection goes first; flushed when it starts
    ctx.appendedTo = to;
    const last = ctx.advanceStep;
    if (last && !last.ran) {
      last.to = to; // the chain's last step: extend it (bounded: one motion step between two detections)
      return;
    }
    const step = { to, ran: false };
    ctx.advanceStep = step;
    ctx.chain = ctx.chain.then(() => {
      step.ran = true;
      if (ctx.advanceStep === step) ctx.advanceStep = null;
      if (ctx.finished || step.to <= ctx.tracker.currentFrame) return;
      try {
        for (const t of ctx.tracker.advance(step.to)) this.endTrack(ctx, t);
      } catch (err) {
        // Never leave the chain rejected: the stream's later frames hang on it.
        this.streamError(ctx, new StreamError('ERR_LIVEFR_STREAM_INFERENCE', `Tracking frame ${step.to} of stream ${ctx.id} failed: ${(err as Error)?.message ?? err}`, { cause: err }));
      }
    });
  }

  private schedule(): void {
    while (this.inFlight < this.o.concurrency) {
      let next: StreamCtx | null = null;
      for (const s of this.streams.values()) {
        if (s.detecting || s.held >= 2 || s.queue.length === 0) continue;
        if (!next || s.servedAt < next.servedAt) next = s;
      }
      if (!next) return;
      const f = next.queue.shift()!;
      next.servedAt = performance.now();
      this.startDetection(next, f);
    }
  }

  /**
   * Starts a frame's detection now and queues the rest of its work (tracker
   * update, quality, embedding, matching, decisions) on the stream's chain,
   * so the next frame's detection may start while this one embeds.
   */
  private startDetection(ctx: StreamCtx, f: PooledFrame): void {
    ctx.detecting = true;
    ctx.held++;
    this.held++;
    this.inFlight++;
    const frame: Frame = { data: f.data, width: f.width, height: f.height, format: f.format };
    // The gate needs to know where detection looked: a detector without detectWithInfo runs the whole plan.
    const gate = typeof this.detector.detectWithInfo === 'function' ? this.motionGate(ctx, f, frame) : null;
    const detection = (async (): Promise<Detected> => {
      if (!gate) return { faces: await this.detector.detect(frame, ctx.detect), seen: undefined };
      try {
        const r = await this.detector.detectWithInfo(frame, gate.regions ? { ...ctx.detect, regions: gate.regions } : ctx.detect);
        // Recorded before the next detection of the stream can start (it samples the map again).
        ctx.motion?.searched(gate.cur, r.info.covered, gate.regions === null, f.time);
        return { faces: r.faces, seen: gate.regions ? seenBy(r.info, f.width, f.height) : undefined };
      } finally {
        gate.cur.fill(0);
      }
    })().finally(() => {
      ctx.detecting = false;
      this.inFlight--;
      this.schedule();
    });
    detection.catch(() => {}); // handled on the chain
    ctx.advanceStep = null;
    ctx.chain = ctx.chain.then(() => this.afterDetection(ctx, f, frame, detection));
    this.flushAdvance(ctx);
  }

  /**
   * Motion-gated detection: the frame's cell means and the areas to search
   * (null: the whole plan), or null when the gate is off.
   */
  private motionGate(ctx: StreamCtx, f: PooledFrame, frame: Frame): { cur: Float32Array; regions: Box[] | null } | null {
    const mo = this.o.motion;
    if (!mo) return null;
    if (!ctx.motion || ctx.motion.width !== f.width || ctx.motion.height !== f.height) {
      ctx.motion?.wipe();
      ctx.motion = new MotionMap(f.width, f.height, mo);
    }
    const cur = ctx.motion.sample(validateFrame(frame));
    const changed = ctx.motion.changed(cur, f.time, 2 * mo.cell);
    if (!changed) return { cur, regions: null };
    // Where a track is expected that detection must follow: new ones (to confirm them), lost ones (to find
    // them again) and moving ones (a walker who stops changes no cell but must be seen to stop).
    const regions: Box[] = changed;
    for (const t of ctx.tracker.tracks()) {
      if (t.state === 'confirmed' && motionOf(t) !== 2) continue;
      const g = 0.75 * Math.max(t.box.width, t.box.height);
      regions.push({ x: t.box.x - g, y: t.box.y - g, width: t.box.width + 2 * g, height: t.box.height + 2 * g });
    }
    return { cur, regions };
  }

  private async afterDetection(ctx: StreamCtx, f: PooledFrame, frame: Frame, detection: Promise<Detected>): Promise<void> {
    try {
      const { faces, seen } = await detection;
      if (!ctx.finished) {
        await this.processFrame(ctx, f, frame, faces, seen);
        ctx.counts.detected++;
        ctx.detHead = mark(ctx.detTimes, ctx.detHead, Date.now());
        ctx.procHead = mark(ctx.procTimes, ctx.procHead, Date.now());
      }
      ctx.failing = false;
    } catch (err) {
      ctx.counts.dropped++;
      // One error per run of failures (a dead inference worker fails every frame until it is replaced).
      if (!ctx.failing) {
        ctx.failing = true;
        this.streamError(ctx, new StreamError('ERR_LIVEFR_STREAM_INFERENCE', `Frame ${f.index} of stream ${ctx.id} was not processed: ${(err as Error)?.message ?? err}`, { cause: err }));
      }
    } finally {
      this.release(ctx, f);
      ctx.held--;
      this.held--;
      this.maybeFinish(ctx);
      this.schedule();
      if (this.held === 0) for (const r of this.idle.splice(0)) r();
    }
  }

  private streamError(ctx: StreamCtx, err: StreamError): void {
    err.streamId = ctx.id;
    ctx.lastError = err.message;
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  // ------------------------------------------------------------------ one frame --

  private async processFrame(ctx: StreamCtx, f: PooledFrame, frame: Frame, faces: Face[], seen?: (box: Box) => boolean): Promise<void> {
    const update = ctx.tracker.update(
      f.index,
      faces.map((face) => ({ box: face.box, score: face.score, payload: { face } })),
      seen,
    );
    // Quality of every matched face, one native call.
    const matched = update.matched;
    const sharp = matched.length ? sharpness(frame, matched.map((m) => m.detection.box)) : new Float64Array(0);
    let scanned = 0;
    let toEmbed: { track: Track<FaceRef>; face: Face; quality: number; sharp: number; ev: TrackEvidence }[] = [];
    for (const [i, m] of matched.entries()) {
      const face = m.detection.payload!.face;
      const q = qualityOf(face, sharp[i]!, this.o.quality).score;
      if (q > 0) scanned++;
      if (m.track.state === 'confirmed') ctx.confirmed.add(m.track.id);
      let ev = ctx.evidence.get(m.track.id);
      if (ev) ev.sinceEmbed++;
      if (q < this.o.minQuality) continue;
      // A would-be alert is verified on the track's next face even when the detector was less sure of it (the
      // track's own low-score detection, ByteTrack's second pass); other faces are embedded from confident ones.
      const verifying = ev !== undefined && ev.verify && ev.alerted.size === 0 && ev.verifications < this.o.maxEmbeddings;
      if (m.detection.score < ctx.tracker.options.highScore && !verifying) continue;
      if (!ev) ctx.evidence.set(m.track.id, (ev = new TrackEvidence(this.embedder.dim, this.o.maxEmbeddings)));
      if (ev.alerted.size > 0) continue;
      if (verifying) {
        toEmbed.push({ track: m.track, face, quality: q, sharp: sharp[i]!, ev });
        continue;
      }
      // Due again: a better face (10% more quality, or GROWN_SIDE times the side of the largest embedded: more
      // pixels of the same person, past the size where the quality score stops growing; also once the track
      // holds its few best: it replaces the worst), or after reembedEvery detections or, for a face that moved,
      // twice as many frames, whichever comes first (at a low detection cadence, frames keep a walker's views
      // coming); 4x as many detections for a face that has not moved since its last embedding (the same view).
      const better = q > ev.bestQuality * 1.1 || ev.grown(Math.max(face.box.width, face.box.height));
      if (ev.full && !better) continue;
      const still = ev.lastBox !== null && !moved(ev.lastBox, face.box);
      const every = (still ? 4 : 1) * this.o.reembedEvery;
      if (ev.count === 0 || better || ev.sinceEmbed >= every || (!still && f.index - ev.embeddedAt >= 2 * every)) {
        toEmbed.push({ track: m.track, face, quality: q, sharp: sharp[i]!, ev });
      }
    }
    ctx.counts.faces += scanned;
    if (scanned) this.governor?.onFacesScanned?.(ctx.id, scanned);
    toEmbed = this.chooseEmbeddings(toEmbed, f.index);
    if (this.landmarks && toEmbed.length) {
      // Landmarks for the chosen faces only (alignment and pose); a face whose pose fails the gate waits.
      const refined = await this.landmarks.refine(frame, toEmbed.map((e) => e.face));
      if (refined.length !== toEmbed.length) throw new StateError(`The landmark stage returned ${refined.length} faces for ${toEmbed.length}`);
      toEmbed = toEmbed
        .map((e, i) => ({ e: { ...e, face: refined[i]! }, q: qualityOf(refined[i]!, e.sharp, this.o.quality).score }))
        .filter((x) => x.q >= this.o.minQuality)
        .map((x) => x.e);
    }

    /** This frame's own match candidates per embedded track. */
    const own = new Map<number, readonly { id: string; score: number }[]>();
    if (toEmbed.length) {
      const emb = await this.embedder.embed(frame, toEmbed.map((e) => e.face));
      try {
        ctx.counts.embeddings += toEmbed.length;
        const results = await this.watchlist.match(emb, { k: 3, threshold: this.threshold, force: this.o.force });
        const dim = this.embedder.dim;
        toEmbed.forEach((e, i) => {
          if (e.ev.verify) e.ev.verifications++;
          e.ev.lastBox = { ...e.face.box };
          e.ev.add(emb.subarray(i * dim, (i + 1) * dim), results[i]!.candidates, e.quality, f.index, Math.max(e.face.box.width, e.face.box.height));
          own.set(e.track.id, results[i]!.candidates);
        });
        if (this.fusion === 'centroid' || this.evaluate) {
          const means = new Float32Array(toEmbed.length * dim);
          toEmbed.forEach((e, i) => {
            const m = e.ev.mean();
            means.set(m, i * dim);
            m.fill(0);
          });
          const r = await this.watchlist.match(means, { k: 3, threshold: this.threshold, force: this.o.force });
          means.fill(0);
          toEmbed.forEach((e, i) => (e.ev.centroid = r[i]!.candidates));
        }
      } finally {
        emb.fill(0);
      }
    }
    if (this.evaluate) {
      this.recordEvaluation(ctx, f, matched);
      for (const t of update.ended) this.endTrack(ctx, t);
      return;
    }
    // Decisions: confirmed tracks matched in this frame, on the face embedded in this frame: an identity
    // whose fused score reaches the threshold alerts when this face's own score for it is within
    // VERIFY_MARGIN of the threshold; otherwise the track's next face is embedded to verify it.
    for (const m of matched) {
      const ev = ctx.evidence.get(m.track.id);
      if (!ev || ev.count === 0) continue;
      const decisions = ev.decide(this.fusion, this.threshold);
      if (decisions.length === 0) continue;
      const mine = own.get(m.track.id);
      if (m.track.state !== 'confirmed' || !mine) {
        ev.verify = true;
        continue;
      }
      for (const d of decisions) {
        const score = mine.find((c) => c.id === d.id)?.score;
        if (score === undefined || score < this.threshold - VERIFY_MARGIN) {
          ev.verify = true;
          continue;
        }
        ev.alerted.add(d.id);
        ev.verify = false;
        await this.raise(ctx, f, frame, m.track, m.detection.box, d.id, d.score);
      }
    }
    for (const t of update.ended) this.endTrack(ctx, t);
  }

  /**
   * The faces of a frame that are embedded now, at most `maxEmbeddingsPerFrame`, in this order:
   * 1. verifications of would-be alerts;
   * 2. first faces of tracks that move (a walker leaves the view; a seated face or a poster stays, and can wait);
   * 3. first faces of still tracks that have waited STILL_WAIT_FRAMES (no face waits forever in a busy scene);
   * 4. first faces of tracks seen once (motion not known yet);
   * 5. better or later faces of moving tracks;
   * 6. first faces of still tracks; 7. later faces of still tracks.
   * A still track whose face moved since its last embedding counts as moving.
   * Among first faces the oldest track goes first (a small face that appeared while a crowd waits is not
   * overtaken by every larger face found after it), then the best face; among later faces, the largest quality
   * gain. Still faces take at most a quarter of the frame's embeddings: they stay in view and are embedded over
   * the next frames, while a crowd's first embeddings would otherwise hold back every frame of the stream (and
   * the machine) at its start.
   */
  private chooseEmbeddings<E extends { track: Track<FaceRef>; face: Face; quality: number; ev: TrackEvidence }>(candidates: E[], frame: number): E[] {
    // A still track whose face has moved since its last embedding shows another view, or another face (a
    // walker passing in front of a seated one takes its track while their boxes overlap): it ranks as moving.
    const motion = new Map(candidates.map((e) => [e, e.ev.lastBox && moved(e.ev.lastBox, e.face.box) ? 2 : motionOf(e.track)]));
    const rank = (e: E): number => {
      if (e.ev.verify) return 6;
      const m = motion.get(e)!;
      const first = e.ev.count === 0;
      if (m === 2) return first ? 5 : 2;
      if (m === 1) return first ? 3 : 2;
      if (!first) return 0;
      return frame - e.track.firstFrame >= STILL_WAIT_FRAMES ? 4 : 1;
    };
    const ranks = new Map(candidates.map((e) => [e, rank(e)]));
    const sorted = [...candidates].sort((a, b) => {
      const d = ranks.get(b)! - ranks.get(a)!;
      if (d !== 0) return d;
      if (a.ev.count === 0 && a.track.firstFrame !== b.track.firstFrame) return a.track.firstFrame - b.track.firstFrame;
      return a.ev.count > 0 ? b.quality - b.ev.bestQuality - (a.quality - a.ev.bestQuality) : b.quality - a.quality;
    });
    const cap = Math.max(1, Math.floor(this.o.perFrame / 4));
    const out: E[] = [];
    let still = 0;
    for (const e of sorted) {
      if (out.length >= this.o.perFrame) break;
      if (!e.ev.verify && motion.get(e) === 0 && ++still > cap) continue;
      out.push(e);
    }
    return out;
  }

  private async raise(ctx: StreamCtx, f: PooledFrame, frame: Frame, track: Track<FaceRef>, box: Face['box'], id: string, score: number): Promise<void> {
    const crop = await faceCrop(frame, box);
    const alert: Alert = {
      streamId: ctx.id,
      trackId: track.id,
      frame: f.index,
      time: f.time,
      box: { x: box.x, y: box.y, width: box.width, height: box.height },
      watchlistId: id,
      score,
      threshold: this.threshold,
      crop,
    };
    let extra: Record<string, unknown> | void = undefined;
    if (this.governor) {
      try {
        extra = this.governor.onAlert(alert);
      } catch (err) {
        crop.fill(0);
        this.stopWith(err as Error);
        return;
      }
    }
    const out = extra ? Object.assign(alert, extra) : alert;
    ctx.counts.alerts++;
    this.emit('alert', out);
    for (const it of this.iterators) {
      it.queue.push(out);
      it.wake?.();
    }
  }

  /** Evaluation mode: the frame at which each rule would first have alerted, per track and identity. */
  private recordEvaluation(ctx: StreamCtx, f: PooledFrame, matched: { track: Track<FaceRef> }[]): void {
    for (const m of matched) {
      if (m.track.state !== 'confirmed') continue;
      const ev = ctx.evidence.get(m.track.id);
      if (!ev || ev.count === 0) continue;
      const key = `${ctx.id}\u0000${m.track.id}`;
      let rec = this.evalFrames.get(key);
      if (!rec) this.evalFrames.set(key, (rec = Object.fromEntries(FUSION_RULES.map((r) => [r, {}])) as Record<FusionRule, Record<string, number>>));
      for (const rule of FUSION_RULES) {
        for (const d of ev.decide(rule, this.threshold)) rec[rule][d.id] ??= f.index;
      }
    }
  }

  private endTrack(ctx: StreamCtx, t: Track<FaceRef>): void {
    const ev = ctx.evidence.get(t.id);
    if (this.evaluate) {
      const key = `${ctx.id}\u0000${t.id}`;
      const summary: TrackSummary = {
        streamId: ctx.id,
        trackId: t.id,
        firstFrame: t.firstFrame,
        lastFrame: t.lastSeen,
        box: { ...t.last.box },
        embeddings: ev?.count ?? 0,
        fused: Object.fromEntries(FUSION_RULES.map((r) => [r, ev ? Object.fromEntries(ev.fused(r)) : {}])) as TrackSummary['fused'],
        alertFrames: this.evalFrames.get(key) ?? (Object.fromEntries(FUSION_RULES.map((r) => [r, {}])) as TrackSummary['alertFrames']),
      };
      this.evalFrames.delete(key);
      this.evaluate(summary);
    }
    ev?.wipe();
    ctx.evidence.delete(t.id);
    if (ctx.confirmed.delete(t.id)) ctx.finishedTracks++;
    const pool = ctx.video?.pool ?? ctx.pushPool;
    pool?.scrub(t.last.box);
    pool?.scrub(t.box);
  }

  private maybeFinish(ctx: StreamCtx): void {
    if (ctx.finished || !ctx.sourceEnded || ctx.held > 0 || ctx.queue.length) return;
    if (!ctx.video && !ctx.removing) return; // a push stream ends only when removed or closed
    ctx.finished = true;
    for (const t of ctx.tracker.flush()) this.endTrack(ctx, t);
    (ctx.video?.pool ?? ctx.pushPool)?.wipe();
    ctx.motion?.wipe();
    ctx.state = ctx.endError ? 'failed' : 'ended';
    if (ctx.endError) ctx.lastError = ctx.endError.message;
    this.emit('end', { streamId: ctx.id, error: ctx.endError, status: this.statusOf(ctx) });
    ctx.resolveDone();
  }

  private stopWith(err: Error): void {
    if (this.fatal) return;
    this.fatal = err;
    if (this.listenerCount('error') > 0) this.emit('error', err);
    void this.close();
  }

  // ------------------------------------------------------------------ closing --

  private checkOpen(): void {
    if (this.closed || this.closing) throw new StateError('The pipeline is closed');
    if (this.fatal) throw new StateError(`The pipeline stopped: ${this.fatal.message}`);
  }

  /** Stops every stream, waits for work in flight, overwrites every buffer, ends the alert iterators. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      for (const ctx of this.streams.values()) {
        ctx.video?.stop();
        this.dropQueued(ctx);
        ctx.sourceEnded = true;
      }
      if (this.held > 0) await new Promise<void>((r) => this.idle.push(r));
      for (const ctx of this.streams.values()) {
        ctx.removing = true;
        this.maybeFinish(ctx);
      }
      this.closed = true;
      for (const it of this.iterators) it.wake?.();
      try {
        this.governor?.onClose?.();
      } finally {
        if (this.owns.detector) await this.detector.close();
        if (this.owns.embedder) await this.embedder.close();
        if (this.owns.landmarks) await this.landmarks?.close();
        this.emit('close');
      }
    })();
    return this.closing;
  }

  /** `await using pipeline = await createPipeline(...)` closes it when the block ends. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** What the pipeline still holds, for tests that check nothing is retained (frame pools, track evidence, the motion gate's cell means). */
  retained(): { frames: readonly Buffer[]; embeddings: Float32Array[]; cells: Float32Array[] } {
    const frames: Buffer[] = [];
    const embeddings: Float32Array[] = [];
    const cells: Float32Array[] = [];
    for (const c of this.streams.values()) {
      const pool = c.video?.pool ?? c.pushPool;
      if (pool) frames.push(...pool.buffers());
      for (const ev of c.evidence.values()) embeddings.push(ev.embeddings);
      if (c.motion) cells.push(c.motion.retained());
    }
    return { frames, embeddings, cells };
  }
}


/**
 * The default detector as the pipeline runs it: one worker per core (up to
 * 4), each with one ONNX Runtime thread, so the tiles of a frame run in
 * parallel on separate workers (measured: half the CPU time per frame of
 * one worker with two threads, whose idle threads spin); and, unless
 * `landmarks: false`, its landmark stage loaded on its own, for
 * `createPipeline({ landmarks })` to run on the faces it embeds only. Use
 * it with `detect: DEFAULT_MODELS_PLAN`. The caller closes both.
 */
export async function loadDefaultDetector(options: { landmarks?: boolean } = {}): Promise<{ detector: Detector; landmarks: LandmarkStage | null }> {
  const { Detector } = await import('../detector.js');
  const { DEFAULTS } = await import('../models/catalog.js');
  const inference = { workers: Math.max(1, Math.min(4, availableParallelism())), intraOpNumThreads: 1 };
  const separate = DEFAULTS.landmarks !== undefined && options.landmarks !== false;
  const detector = await Detector.load({ ...inference, ...(separate ? { landmarkStage: 'none' } : {}) });
  if (!separate) return { detector, landmarks: null };
  try {
    const { loadLandmarkStage } = await import('../detectors/landmark-stage.js');
    return { detector, landmarks: await loadLandmarkStage(DEFAULTS.landmarks!, inference) };
  } catch (err) {
    await detector.close();
    throw err;
  }
}

/**
 * Creates a pipeline. Without `detector` / `embedder` the default models are
 * loaded (inference workers sized to the machine's cores) and closed with it.
 */
export async function createPipeline(options: PipelineOptions): Promise<Pipeline> {
  if (!isPlainObject(options)) throw invalidType('options', 'an options object { watchlist, detector?, embedder?, ... }', options);
  const o = checkOptions('options', options, OPTION_KEYS);
  const wl = o.watchlist as Watchlist | undefined;
  if (!wl || typeof (wl as { match?: unknown }).match !== 'function') throw invalidType('options.watchlist', 'a Watchlist', wl);
  const threshold = o.threshold === undefined ? wl.threshold : checkNumber('options.threshold', o.threshold, -1, 1);
  const force = o.force === undefined ? false : checkBoolean('options.force', o.force);
  const cal = wl.calibration;
  if (cal && threshold < cal.threshold && !force) {
    throw outOfRange('options.threshold', `>= the watchlist's calibrated threshold ${cal.threshold} (or force: true, which raises more false alerts)`, threshold);
  }
  if (o.fusion !== undefined && !(FUSION_RULES as readonly unknown[]).includes(o.fusion)) {
    throw outOfRange('options.fusion', `one of ${FUSION_RULES.map((r) => `'${r}'`).join(', ')}`, o.fusion);
  }
  if (o.maxEmbeddingsPerTrack !== undefined) checkInteger('options.maxEmbeddingsPerTrack', o.maxEmbeddingsPerTrack, 1, 64);
  if (o.maxEmbeddingsPerFrame !== undefined) checkInteger('options.maxEmbeddingsPerFrame', o.maxEmbeddingsPerFrame, 1, 1024);
  if (o.minQuality !== undefined) checkNumber('options.minQuality', o.minQuality, 0, 1);
  if (o.reembedEvery !== undefined) checkInteger('options.reembedEvery', o.reembedEvery, 1, 10000);
  if (o.detectEvery !== undefined) checkInteger('options.detectEvery', o.detectEvery, 1, 1000);
  if (o.concurrency !== undefined) checkInteger('options.concurrency', o.concurrency, 1, 64);
  if (o.realtime !== undefined) checkBoolean('options.realtime', o.realtime);
  if (o.detect !== undefined && !isPlainObject(o.detect)) throw invalidType('options.detect', 'detect() options', o.detect);
  const gov = o.governor as PipelineGovernor | undefined;
  if (gov !== undefined && (!isPlainObject(gov) && typeof gov !== 'object' || typeof gov.admit !== 'function' || typeof gov.onAlert !== 'function')) {
    throw invalidType('options.governor', 'a PipelineGovernor { admit(), onAlert(), onFacesScanned?(), onClose?() }', gov);
  }
  normaliseQualityOptions(o.quality);
  if (o.motion !== undefined && typeof o.motion !== 'boolean') normaliseMotionOptions(o.motion);
  gov?.admit({ threshold, watchlist: wl, now: new Date() });
  const cores = Math.max(1, availableParallelism());
  let detector = o.detector as Detector | undefined;
  let embedder = o.embedder as Embedder | undefined;
  let landmarks = (o.landmarks as LandmarkStage | undefined) ?? null;
  if (landmarks !== null && (typeof landmarks !== 'object' || typeof (landmarks as { refine?: unknown }).refine !== 'function')) {
    throw invalidType('options.landmarks', 'a landmark stage (loadLandmarkStage())', landmarks);
  }
  const owns: Owns = { detector: !detector, embedder: !embedder, landmarks: false };
  try {
    if (!detector) {
      const d = await loadDefaultDetector({ landmarks: landmarks === null });
      detector = d.detector;
      if (d.landmarks) {
        landmarks = d.landmarks;
        owns.landmarks = true;
      }
    }
    if (!embedder) {
      const { Embedder } = await import('../embedder.js');
      // Two single-thread workers (bench/pipeline, 4 streams: 2.5-2.6 detections/s per stream against 1.3-1.8 with one).
      embedder = await Embedder.load({ workers: Math.max(1, Math.min(2, cores)), intraOpNumThreads: 1 });
    }
  } catch (err) {
    if (owns.detector) await detector?.close();
    if (owns.landmarks) await landmarks?.close();
    throw err;
  }
  if (embedder.dim !== wl.dim) {
    if (owns.detector) await detector.close();
    if (owns.landmarks) await landmarks?.close();
    if (owns.embedder) await embedder.close();
    throw outOfRange('options.embedder', `an embedder of the watchlist's dimension ${wl.dim}`, `${embedder.dim}-d`);
  }
  return new Pipeline(o as unknown as PipelineOptions, { detector, embedder, landmarks, owns, threshold });
}
