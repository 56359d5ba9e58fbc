/**
 * A fixed pool of frame buffers, allocated once per stream: decoded frames
 * are written into them and handed out until released, so no frame-sized
 * memory is allocated per frame and the memory a stream holds is bounded by
 * `count x frameBytes` whatever the load.
 */
import { channelsOf, type PixelFormat } from '../frame.js';
import type { Box } from '../types.js';

export interface PooledFrame {
  /** The pool buffer (exactly frameBytes long). */
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
  readonly format: PixelFormat;
  /** 0-based index of the source frame in its stream. */
  index: number;
  /** Seconds from the stream's start. */
  time: number;
}

/** Bytes of a tightly packed frame (stride = width for the Y plane, chroma planes of ceil(w/2) x ceil(h/2)). */
export function frameBytes(format: PixelFormat, width: number, height: number): number {
  if (format !== 'nv12' && format !== 'i420') return width * height * channelsOf(format);
  return width * height + 2 * Math.ceil(width / 2) * Math.ceil(height / 2);
}

export class FramePool {
  readonly width: number;
  readonly height: number;
  readonly format: PixelFormat;
  readonly frameBytes: number;
  private readonly all: PooledFrame[];
  private readonly free: PooledFrame[];
  private readonly busy = new Set<PooledFrame>();

  constructor(count: number, format: PixelFormat, width: number, height: number) {
    if (format === 'nv12' && width % 2) throw new RangeError(`An NV12 frame pool needs an even width (got ${width})`);
    this.width = width;
    this.height = height;
    this.format = format;
    this.frameBytes = frameBytes(format, width, height);
    this.all = Array.from({ length: count }, () => ({ data: Buffer.alloc(this.frameBytes), width, height, format, index: -1, time: 0 }));
    this.free = [...this.all];
  }

  get size(): number {
    return this.all.length;
  }
  get available(): number {
    return this.free.length;
  }

  /** A free buffer, or null when every buffer is held. */
  acquire(): PooledFrame | null {
    const f = this.free.pop() ?? null;
    if (f) this.busy.add(f);
    return f;
  }

  release(f: PooledFrame): void {
    if (!this.busy.delete(f)) return;
    this.free.push(f);
  }

  /**
   * Overwrites a face's region in every buffer not currently held (privacy:
   * a track that ended without an alert leaves no pixels behind).
   */
  scrub(box: Box): void {
    const x0 = Math.max(0, Math.floor(box.x)) & ~1;
    const y0 = Math.max(0, Math.floor(box.y)) & ~1;
    const x1 = Math.min(this.width, Math.ceil(box.x + box.width));
    const y1 = Math.min(this.height, Math.ceil(box.y + box.height));
    if (x1 <= x0 || y1 <= y0) return;
    for (const f of this.free) this.scrubOne(f.data, x0, y0, x1, y1);
  }

  private scrubOne(d: Buffer, x0: number, y0: number, x1: number, y1: number): void {
    const W = this.width;
    if (this.format !== 'nv12' && this.format !== 'i420') {
      const c = channelsOf(this.format);
      for (let y = y0; y < y1; y++) d.fill(0, (y * W + x0) * c, (y * W + x1) * c);
      return;
    }
    for (let y = y0; y < y1; y++) d.fill(0, y * W + x0, y * W + x1);
    const cw = Math.ceil(W / 2);
    const ch = Math.ceil(this.height / 2);
    const cy0 = y0 >> 1;
    const cy1 = Math.min(ch, (y1 + 1) >> 1);
    if (this.format === 'nv12') {
      const base = W * this.height;
      const rowBytes = 2 * cw;
      for (let y = cy0; y < cy1; y++) d.fill(128, base + y * rowBytes + x0, base + y * rowBytes + Math.min(rowBytes, x1 + (x1 & 1)));
    } else {
      const cx0 = x0 >> 1;
      const cx1 = Math.min(cw, (x1 + 1) >> 1);
      for (const base of [W * this.height, W * this.height + cw * ch]) {
        for (let y = cy0; y < cy1; y++) d.fill(128, base + y * cw + cx0, base + y * cw + cx1);
      }
    }
  }

  /** Zeroes every buffer (the stream ended). Held buffers too: nothing may use them after this. */
  wipe(): void {
    for (const f of this.all) f.data.fill(0);
  }

  /** Every buffer of the pool (for tests that inspect what is retained). */
  buffers(): readonly Buffer[] {
    return this.all.map((f) => f.data);
  }
}
