/**
 * Video sources: one ffmpeg child process per stream decodes a file, an
 * RTSP/HTTP/TCP/UDP stream, into raw I420 frames on its stdout (the
 * decoder's own planar 4:2:0, so ffmpeg converts nothing: NV12 cost 1.16x
 * the decode CPU for 1080p H.264, bench/decode.bench.mjs; the native core
 * reads both); the bytes
 * are read straight into a fixed pool of frame buffers (frame-pool.ts):
 * ffmpeg's stdout is a pipe the native core creates (1 MiB of kernel
 * buffer), read with net.Socket's `onread` into the frame buffer being
 * filled, so no memory is allocated per read (Node's own child pipes make a
 * new 64 KiB buffer for every read: about 50 per 1080p frame, hundreds of MB
 * a second with a few streams, which kept V8's collector busy on a share of
 * the cores).
 *
 * - Files play at their native frame rate by default (`-re`, like a camera);
 *   `realtime: false` decodes as fast as the pipeline consumes, with
 *   backpressure instead of drops (offline work).
 * - Network streams that drop, end or stall are reconnected with
 *   exponential backoff; the gap is reported when frames flow again.
 * - A frame that arrives while every pool buffer is held is read into a
 *   scratch buffer and counted as dropped: the newest frames win and nothing
 *   queues without bound.
 *
 * ffmpeg: `options.ffmpeg`, else $LIVEFR_FFMPEG, else `ffmpeg` on PATH
 * (Debian's ffmpeg 5.1, installed by scripts/setup.mjs; docs/pipeline.md
 * says why that one).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { closeSync } from 'node:fs';
import { Socket, type OnReadOpts, type SocketConstructorOpts } from 'node:net';
import { io } from '../native/index.js';
import { FramePool, type PooledFrame } from './frame-pool.js';
import { StreamError } from './errors.js';

export interface VideoSourceOptions {
  /** Play files at their native frame rate (default true); false: as fast as consumed. */
  realtime?: boolean;
  /** Loop a file source forever (default false; for soaks and benchmarks). */
  loop?: boolean;
  /** Scale frames to this size in ffmpeg (default: the source's size). */
  size?: [number, number];
  /** Frame buffers in the pool (default 4). */
  poolSize?: number;
  /** ffmpeg executable (default: $LIVEFR_FFMPEG or `ffmpeg` on PATH). */
  ffmpeg?: string;
  /** No bytes for this long means the stream stalled (default 5000 ms; 4x that until a (re)connected decoder's first bytes, which include ffmpeg's start and probe). */
  stallTimeoutMs?: number;
  /** First reconnect delay (default 250 ms), doubled per failure up to maxBackoffMs. */
  backoffMs?: number;
  /** Longest reconnect delay (default 8000 ms). */
  maxBackoffMs?: number;
  /** Give up after this many reconnects in a row without a frame (default: never). */
  maxReconnects?: number;
  /** ffmpeg decoder threads (default 1: the cores are shared with inference). */
  decodeThreads?: number;
  /**
   * Run the H.264/HEVC in-loop deblocking filter (default true). false skips
   * it (`-skip_loop_filter all`): about 16% less decode CPU for 1080p H.264
   * (bench/decode.bench.mjs), at the cost of blockier frames, which can
   * change what detection finds at low bitrates (docs/pipeline.md).
   */
  deblock?: boolean;
}

export interface SourceFormat {
  width: number;
  height: number;
  fps: number;
}

export interface Gap {
  /** Stream time (s) of the last frame before the gap. */
  from: number;
  /** Stream time (s) of the first frame after it. */
  to: number;
  /** Seconds without frames. */
  seconds: number;
  reconnects: number;
}

/** The kernel buffer asked for each decoder pipe (Linux's default is 64 KiB): one read takes up to this much. */
const PIPE_BYTES = 1 << 20;
/** Bytes read before a buffer can take them (before the format is known, or while a paused offline source waits). */
const STASH_BYTES = 64 * 1024;

const NETWORK = /^(rtsp|rtsps|rtmp|rtmps|http|https|tcp|udp|srt|rtp):\/\//i;

export function isNetworkUrl(url: string): boolean {
  return NETWORK.test(url);
}

export function ffmpegPath(explicit?: string): string {
  return explicit ?? process.env.LIVEFR_FFMPEG ?? 'ffmpeg';
}

/**
 * Events: 'format' (SourceFormat), 'frame' (PooledFrame: call release()),
 * 'drop' (count), 'gap' (Gap), 'error' (StreamError; only emitted when
 * listened to), 'end' (no more frames: a file ended or the source gave up).
 */
export class VideoSource extends EventEmitter {
  readonly url: string;
  readonly network: boolean;
  readonly options: Required<Omit<VideoSourceOptions, 'size' | 'ffmpeg' | 'maxReconnects'>> & { size?: [number, number]; ffmpeg: string; maxReconnects: number };
  format: SourceFormat | null = null;
  pool: FramePool | null = null;
  /** Frames received (all of them, dropped ones included). */
  frames = 0;
  reconnects = 0;
  private child: ChildProcess | null = null;
  /** The read end of the decoder's stdout pipe. */
  private reader: Socket | null = null;
  /**
   * Where the reader's next read lands: the frame being filled (`current`,
   * at `filled`), the scratch of a dropped frame, or the stash (bytes that
   * are copied into frames by onData: before the format is known, and the
   * first read after an offline pause).
   */
  private target: 'frame' | 'drop' | 'stash' = 'stash';
  private stash: Buffer | null = null;
  /** Offline: no free buffer for the next frame; reading stops until release(). */
  private waiting = false;
  private current: PooledFrame | null = null;
  private scratch: Buffer | null = null;
  private filled = 0;
  private stopped = false;
  private ended = false;
  private failuresInRow = 0;
  private stallTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private stderrTail: string[] = [];
  private stderrBuf = '';
  private lastTime = -1;
  private gapStart: number | null = null;
  private startWall = 0;
  private paused = false;
  private killedForStall = false;
  private indexBase = 0;
  private segmentFrames = 0;

  constructor(url: string, options: VideoSourceOptions = {}) {
    super();
    this.url = url;
    this.network = isNetworkUrl(url);
    this.options = {
      realtime: options.realtime ?? true,
      loop: options.loop ?? false,
      poolSize: options.poolSize ?? 4,
      ffmpeg: ffmpegPath(options.ffmpeg),
      stallTimeoutMs: options.stallTimeoutMs ?? 5000,
      backoffMs: options.backoffMs ?? 250,
      maxBackoffMs: options.maxBackoffMs ?? 8000,
      maxReconnects: options.maxReconnects ?? Infinity,
      decodeThreads: options.decodeThreads ?? 1,
      deblock: options.deblock ?? true,
      ...(options.size ? { size: options.size } : {}),
    };
  }

  start(): void {
    this.spawnDecoder();
  }

  /** Stops reading until resume() (offline mode's backpressure). */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.reader?.pause();
    this.clearStall();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (!this.waiting && !this.backlog) this.reader?.resume();
    this.armStall();
  }

  /** Stops the decoder; no events after this. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.clearStall();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.kill();
    this.reader?.destroy();
    if (this.current) this.pool?.release(this.current);
    this.current = null;
    this.filled = 0;
    this.backlog = null;
  }

  private args(): string[] {
    const a = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info', '-threads', String(this.options.decodeThreads)];
    if (!this.network && this.options.realtime) a.push('-re');
    if (!this.network && this.options.loop) a.push('-stream_loop', '-1');
    // Live sources: probe 1 s / 1 MB rather than ffmpeg's 5 s, so the first frame comes sooner.
    if (this.network) a.push('-analyzeduration', '1000000', '-probesize', '1000000');
    if (/^rtsps?:/i.test(this.url)) a.push('-rtsp_transport', 'tcp');
    if (!this.options.deblock) a.push('-skip_loop_filter', 'all');
    a.push('-i', this.url, '-an', '-sn', '-dn', '-map', '0:v:0');
    const size = this.options.size;
    if (size) a.push('-vf', `scale=${size[0]}:${size[1]}`);
    else if (this.format) a.push('-vf', `scale=${this.format.width}:${this.format.height}`); // a reconnect keeps the pool's size
    a.push('-f', 'rawvideo', '-pix_fmt', 'yuv420p', 'pipe:1');
    return a;
  }

  private spawnDecoder(): void {
    if (this.stopped) return;
    this.stderrTail = [];
    this.stderrBuf = '';
    this.filled = 0;
    this.killedForStall = false;
    this.segmentFrames = 0;
    this.bytesThisSegment = 0;
    this.waiting = false;
    let child: ChildProcess;
    let pipe: { read: number; write: number };
    try {
      pipe = io.createPipe(PIPE_BYTES);
    } catch (err) {
      this.fail(new StreamError('ERR_LIVEFR_STREAM_DECODER', `Cannot start ffmpeg (${this.options.ffmpeg}): ${(err as Error).message}`, { cause: err }), false);
      return;
    }
    try {
      child = spawn(this.options.ffmpeg, this.args(), { stdio: ['ignore', pipe.write, 'pipe'] });
    } catch (err) {
      closeSync(pipe.read);
      this.fail(new StreamError('ERR_LIVEFR_STREAM_DECODER', `Cannot start ffmpeg (${this.options.ffmpeg}): ${(err as Error).message}`, { cause: err }), false);
      return;
    } finally {
      closeSync(pipe.write); // the child has its own copy: its exit ends the pipe
    }
    this.child = child;
    // `onread` on a socket over a descriptor is Node's (since 12.2), though @types/node types it for connect() only.
    const readerOptions: SocketConstructorOpts & { onread: OnReadOpts } = {
      fd: pipe.read,
      readable: true,
      writable: false,
      onread: { buffer: () => this.nextBuffer(), callback: (n: number) => this.onRead(n) },
    };
    const reader = new Socket(readerOptions);
    this.reader = reader;
    // The decoder is done when it has exited and its pipe is drained (the pipe may still hold frames at its exit).
    let exit: [number | null, NodeJS.Signals | null] | null = null;
    let drained = false;
    reader.on('error', () => reader.destroy()); // a read error ends the pipe like EOF; the exit says why
    reader.on('close', () => {
      drained = true;
      if (this.reader === reader) this.reader = null;
      if (exit) this.onExit(child, exit[0], exit[1]);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      const hint = err.code === 'ENOENT' ? ' (install ffmpeg: `node scripts/setup.mjs` as root does, or set LIVEFR_FFMPEG)' : '';
      this.fail(new StreamError('ERR_LIVEFR_STREAM_DECODER', `Cannot start ffmpeg (${this.options.ffmpeg})${hint}: ${err.message}`, { cause: err }), false);
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => this.onStderr(s));
    child.on('close', (code, signal) => {
      exit = [code, signal];
      if (drained) this.onExit(child, code, signal);
    });
    if (this.paused) reader.pause();
    this.armStall();
  }

  private onStderr(s: string): void {
    this.stderrBuf += s;
    let nl: number;
    while ((nl = this.stderrBuf.indexOf('\n')) >= 0) {
      const line = this.stderrBuf.slice(0, nl).trimEnd();
      this.stderrBuf = this.stderrBuf.slice(nl + 1);
      if (!line) continue;
      this.stderrTail.push(line);
      if (this.stderrTail.length > 40) this.stderrTail.shift();
      if (!this.format || this.segmentFrames === 0) this.parseFormat(line);
    }
    if (this.stderrBuf.length > 4096) this.stderrBuf = this.stderrBuf.slice(-1024);
  }

  /** Reads size and rate from ffmpeg's description of its rawvideo output stream. */
  private parseFormat(line: string): void {
    const m = /Stream #\d+:\d+.*: Video: rawvideo .*?, (\d+)x(\d+)/.exec(line);
    if (!m || !this.outputSection) {
      if (/^Output #0, rawvideo/.test(line)) this.outputSection = true;
      if (/Stream #\d+:\d+.*: Video: /.test(line) && !this.outputSection) {
        const r = /([\d.]+) (fps|tbr)/.exec(line);
        if (r) this.inputFps = Number(r[1]);
      }
      return;
    }
    const width = Number(m[1]);
    const height = Number(m[2]);
    const f = /, ([\d.]+) fps/.exec(line);
    const fps = Number(f?.[1] ?? this.inputFps ?? 25) || 25;
    if (this.format) return; // a reconnect: the pool keeps its size (ffmpeg scales to it)
    this.format = { width, height, fps };
    this.pool = new FramePool(this.options.poolSize, 'i420', width, height);
    this.emit('format', this.format);
    const early = this.early;
    if (early && !this.stopped) {
      // Bytes that came before the format line was read (stdout and stderr are separate pipes).
      this.early = null;
      this.onData(early);
      if (!this.backlog && !this.paused && !this.waiting) this.reader?.resume();
    }
  }
  private early: Buffer | null = null;

  /** The reader's next target (called after every read, and once when the reader starts). */
  private nextBuffer(): Uint8Array {
    const pool = this.pool;
    if (pool && !this.waiting && !this.backlog) {
      const need = pool.frameBytes;
      if (this.current) {
        this.target = 'frame';
        return this.current.data.subarray(this.filled, need);
      }
      if (this.scratchActive) {
        this.target = 'drop';
        return (this.scratch ??= Buffer.alloc(need)).subarray(this.filled, need);
      }
    }
    this.target = 'stash';
    return (this.stash ??= Buffer.alloc(STASH_BYTES));
  }

  /** `n` bytes landed in the reader's target. Returns false to stop reading. */
  private onRead(n: number): boolean {
    if (this.stopped) return false;
    const pool = this.pool;
    if (this.target === 'stash' || !pool) {
      const bytes = this.stash!.subarray(0, n);
      if (!pool) {
        // Before the format: kept (copied) until the format line is read, reading stopped meanwhile.
        this.early = this.early ? Buffer.concat([this.early, bytes]) : Buffer.from(bytes);
        this.bytesThisSegment += n;
        return false;
      }
      this.onData(bytes);
      if (this.backlog) this.backlog = Buffer.from(this.backlog); // the stash is the next read's target
    } else {
      this.bytesThisSegment += n;
      this.armStall();
      this.filled += n;
      if (this.filled === pool.frameBytes) {
        this.filled = 0;
        this.deliver();
      }
    }
    return this.prepareNext() && !this.paused && !this.backlog;
  }

  /** Takes a buffer for the next frame when a frame begins; offline without one, reading waits for release(). */
  private prepareNext(): boolean {
    const pool = this.pool;
    if (!pool || this.stopped || this.backlog) return false;
    if (this.filled === 0 && !this.current && !this.scratchActive) {
      this.current = pool.acquire();
      if (!this.current) {
        if (this.offline) {
          this.waiting = true;
          this.clearStall();
          return false;
        }
        this.scratchActive = true;
      }
    }
    return true;
  }
  private outputSection = false;
  private inputFps: number | undefined;

  private onData(chunk: Buffer): void {
    if (this.stopped) return; // data already read when the decoder was stopped
    this.bytesThisSegment += chunk.length;
    this.armStall();
    const pool = this.pool;
    if (!pool) return; // bytes before the format line: cannot happen with ffmpeg's ordering, but never crash on it
    let off = 0;
    const need = pool.frameBytes;
    while (off < chunk.length) {
      if (this.filled === 0 && !this.current && !this.scratchActive) {
        this.current = pool.acquire();
        if (!this.current && this.offline) {
          // Offline: no free buffer means the consumer is behind; wait for a release (backpressure, no drop).
          this.backlog = chunk.subarray(off);
          this.clearStall();
          return;
        }
        this.scratchActive = this.current === null;
      }
      const target = this.current ? this.current.data : (this.scratch ??= Buffer.alloc(need));
      const n = Math.min(need - this.filled, chunk.length - off);
      chunk.copy(target, this.filled, off, off + n);
      this.filled += n;
      off += n;
      if (this.filled === need) {
        this.filled = 0;
        this.deliver();
      }
    }
  }

  /** Hands a frame's buffer back to the pool (offline: lets decoding go on). */
  release(frame: PooledFrame): void {
    this.pool?.release(frame);
    if (this.stopped) return;
    const b = this.backlog;
    if (b) {
      this.backlog = null;
      this.onData(b);
      if (this.backlog) return;
      const exit = this.exitAfterBacklog;
      this.exitAfterBacklog = null;
      if (exit) {
        exit();
        return;
      }
    } else if (this.waiting) {
      // Reading stopped for want of a buffer; the next read lands in the stash (its target since) and is copied.
      this.waiting = false;
    } else return;
    if (!this.prepareNext()) return;
    if (!this.paused && this.reader) {
      this.armStall();
      this.reader.resume();
    }
  }
  private backlog: Buffer | null = null;
  private exitAfterBacklog: (() => void) | null = null;
  private get offline(): boolean {
    return !this.network && !this.options.realtime;
  }
  private scratchActive = false;

  private deliver(): void {
    const index = this.frames++;
    this.segmentFrames++;
    this.failuresInRow = 0;
    const fps = this.format!.fps;
    let time: number;
    if (this.network) {
      if (index === 0) this.startWall = Date.now();
      time = (Date.now() - this.startWall) / 1000;
    } else {
      time = index / fps;
    }
    if (this.gapStart !== null) {
      const gap: Gap = { from: this.gapStart, to: time, seconds: time - this.gapStart, reconnects: this.reconnects };
      this.gapStart = null;
      this.emit('gap', gap);
    }
    this.lastTime = time;
    if (this.scratchActive) {
      this.scratchActive = false;
      this.emit('drop', 1, index, time);
      return;
    }
    const f = this.current;
    this.current = null;
    if (!f) return;
    f.index = index;
    f.time = time;
    this.emit('frame', f);
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    if (this.backlog) {
      // Offline: frames still wait for buffers; finish once they are delivered.
      this.exitAfterBacklog = () => this.onExit(child, code, signal);
      return;
    }
    this.child = null;
    this.clearStall();
    if (this.current) {
      this.pool?.release(this.current);
      this.current = null;
    }
    this.scratchActive = false;
    this.filled = 0;
    if (this.stopped) return;
    const tail = this.stderrTail.filter((l) => !/^\s*(Input|Output|Stream|Metadata|Duration|encoder|major_brand|minor_version|compatible_brands|creation_time|handler_name|vendor_id|title|Stream mapping|Press)/.test(l.trim()));
    const last = tail.slice(-3).join(' | ') || `ffmpeg exited (${signal ?? code})`;
    if (!this.network) {
      if (this.killedForStall) {
        this.fail(new StreamError('ERR_LIVEFR_STREAM_STALLED', `Stream ${this.url} stalled: no data for ${this.stallArmedStarted ? this.options.stallTimeoutMs : 4 * this.options.stallTimeoutMs} ms`), false);
      } else if (code === 0 && this.frames > 0) {
        this.finish();
      } else {
        this.fail(new StreamError('ERR_LIVEFR_STREAM_DECODE', `Cannot decode ${JSON.stringify(this.url)}: ${last}`), false);
      }
      return;
    }
    // A network stream: report, then reconnect with backoff.
    const err = this.killedForStall
      ? new StreamError('ERR_LIVEFR_STREAM_STALLED', `Stream ${this.url} stalled: no data for ${this.options.stallTimeoutMs} ms; reconnecting`)
      : new StreamError(
          this.segmentFrames > 0 ? 'ERR_LIVEFR_STREAM_ENDED' : 'ERR_LIVEFR_STREAM_CONNECT',
          `Stream ${this.url} ${this.segmentFrames > 0 ? 'ended' : 'gave no frames'} (${last}); reconnecting`,
        );
    if (this.gapStart === null) this.gapStart = Math.max(0, this.lastTime);
    this.fail(err, true);
  }

  private fail(err: StreamError, retry: boolean): void {
    if (this.stopped || this.ended) return;
    if (this.listenerCount('error') > 0) this.emit('error', err);
    if (!retry) {
      this.finish(err);
      return;
    }
    this.failuresInRow++;
    if (this.failuresInRow > this.options.maxReconnects) {
      this.finish(new StreamError('ERR_LIVEFR_STREAM_GAVE_UP', `Stream ${this.url}: no frames after ${this.options.maxReconnects} reconnects`));
      return;
    }
    const delay = Math.min(this.options.maxBackoffMs, this.options.backoffMs * 2 ** (this.failuresInRow - 1));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.reconnects++;
      this.spawnDecoder();
    }, delay);
  }

  private finish(err?: StreamError): void {
    if (this.ended) return;
    this.ended = true;
    this.stop();
    this.emit('end', err ?? null);
  }

  private armStall(): void {
    if (this.paused || this.stopped) return;
    const started = this.bytesThisSegment > 0;
    if (this.stallTimer && this.stallArmedStarted === started) this.stallTimer.refresh();
    else {
      this.clearStall();
      this.stallArmedStarted = started;
      this.stallTimer = setTimeout(() => {
        this.stallTimer = null;
        this.killedForStall = true;
        this.kill();
      }, started ? this.options.stallTimeoutMs : 4 * this.options.stallTimeoutMs);
    }
  }
  private bytesThisSegment = 0;
  private stallArmedStarted = false;

  private clearStall(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = null;
  }

  private kill(): void {
    const c = this.child;
    if (c && c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}
