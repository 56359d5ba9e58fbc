/**
 * Where the picture changed since detection last looked there, so a
 * stream's detection runs only the tiles a new face could be in (the
 * approach of motion-gated NVRs such as Frigate).
 *
 * A face cannot appear where no pixel changed: a person walking in changes
 * the cells they cross, a crowd standing still does not. Each stream keeps,
 * per cell of `cell` x `cell` frame pixels, the mean luma the cell had when
 * detection last searched it; a cell whose mean moved by more than
 * `threshold` since then is changed. Detection then runs the whole-frame
 * pass, the tiles meeting a changed cell and the tiles where a track is
 * expected; tracks elsewhere are not seen (neither matched nor missed), and
 * every `refreshSeconds` the whole plan runs, so a still face is looked at
 * again and a slow change is caught in any case.
 *
 * What it costs: a face that appears without its cell's mean changing by
 * `threshold` (a face the same brightness as what it covers, in one cell)
 * waits for the next full pass. A scene where most cells change (a moving
 * camera, a crowd walking everywhere) runs the whole plan every time, as
 * without the gate.
 *
 * Privacy: the means are a 1/16-scale luma picture (a 90 px face is a
 * 6 x 6 blob), kept per stream and overwritten when the stream ends; the
 * samples of a frame are overwritten once its detection ends.
 */
import type { FrameLayout } from '../frame.js';
import type { Roi } from '../detectors/tiling.js';
import { checkNumber, checkOptions } from '../validate.js';

export interface MotionOptions {
  /** Cell side in frame pixels (default 16). */
  cell?: number;
  /** Change of a cell's mean luma (0-255) that counts as motion (default 6). */
  threshold?: number;
  /** The whole plan runs at least this often, in seconds of stream time (default 2). */
  refreshSeconds?: number;
  /** Above this share of changed cells, the whole plan runs (default 0.5). */
  maxChanged?: number;
}

const KEYS = ['cell', 'threshold', 'refreshSeconds', 'maxChanged'] as const;

export function normaliseMotionOptions(v: unknown, param = 'options.motion'): Required<MotionOptions> {
  const o = checkOptions(param, v, KEYS);
  return {
    cell: o.cell === undefined ? 16 : Math.round(checkNumber(`${param}.cell`, o.cell, 4, 256)),
    threshold: o.threshold === undefined ? 6 : checkNumber(`${param}.threshold`, o.threshold, 0, 255),
    refreshSeconds: o.refreshSeconds === undefined ? 2 : checkNumber(`${param}.refreshSeconds`, o.refreshSeconds, 0, 3600),
    maxChanged: o.maxChanged === undefined ? 0.5 : checkNumber(`${param}.maxChanged`, o.maxChanged, 0, 1),
  };
}

/** Byte offset and step of a luma proxy: the Y plane, or the green channel of packed colour. */
function lumaOf(l: FrameLayout): { offset: number; step: number } {
  switch (l.format) {
    case 'rgb':
    case 'bgr':
      return { offset: 1, step: 3 };
    case 'rgba':
    case 'bgra':
      return { offset: 1, step: 4 };
    default:
      return { offset: 0, step: 1 };
  }
}

export class MotionMap {
  readonly cols: number;
  readonly rows: number;
  /** Cell means when detection last searched each cell (NaN: never). */
  private readonly ref: Float32Array;
  private lastFull = -Infinity;

  constructor(
    readonly width: number,
    readonly height: number,
    readonly options: Required<MotionOptions>,
  ) {
    this.cols = Math.ceil(width / options.cell);
    this.rows = Math.ceil(height / options.cell);
    this.ref = new Float32Array(this.cols * this.rows).fill(Number.NaN);
  }

  /** Mean luma of every cell, from 4 x 4 samples per cell. */
  sample(l: FrameLayout): Float32Array {
    if (l.width !== this.width || l.height !== this.height) throw new RangeError(`Expected a ${this.width}x${this.height} frame but received ${l.width}x${l.height}`);
    const { cell } = this.options;
    const { offset, step } = lumaOf(l);
    const d = l.data;
    const s = l.stride;
    const out = new Float32Array(this.cols * this.rows);
    const q = cell / 4;
    for (let r = 0; r < this.rows; r++) {
      const y0 = r * cell;
      const ys: number[] = [];
      for (let k = 0; k < 4; k++) ys.push(Math.min(this.height - 1, Math.floor(y0 + q * k + q / 2)));
      for (let c = 0; c < this.cols; c++) {
        const x0 = c * cell;
        let sum = 0;
        for (let k = 0; k < 4; k++) {
          const x = Math.min(this.width - 1, Math.floor(x0 + q * k + q / 2)) * step + offset;
          sum += d[ys[0]! * s + x]! + d[ys[1]! * s + x]! + d[ys[2]! * s + x]! + d[ys[3]! * s + x]!;
        }
        out[r * this.cols + c] = sum / 16;
      }
    }
    return out;
  }

  /**
   * The areas to search in a frame of stream time `time` whose cell means
   * are `cur`: rectangles of changed cells (grown by `margin` frame pixels),
   * or null when the whole plan is due (first frame, refreshSeconds
   * elapsed, or more than maxChanged of the cells changed).
   */
  changed(cur: Float32Array, time: number, margin: number): Roi[] | null {
    if (time - this.lastFull >= this.options.refreshSeconds || time < this.lastFull) return null;
    const { cell, threshold } = this.options;
    const out: Roi[] = [];
    let n = 0;
    for (let r = 0; r < this.rows; r++) {
      let start = -1;
      for (let c = 0; c <= this.cols; c++) {
        const i = r * this.cols + c;
        const hit = c < this.cols && !(Math.abs(cur[i]! - this.ref[i]!) <= threshold); // NaN (never searched) counts
        if (hit) {
          n++;
          if (start < 0) start = c;
        } else if (start >= 0) {
          out.push({ x: start * cell - margin, y: r * cell - margin, width: (c - start) * cell + 2 * margin, height: cell + 2 * margin });
          start = -1;
        }
      }
    }
    if (n > this.options.maxChanged * this.cols * this.rows) return null;
    return out;
  }

  /** Records what detection searched: every cell inside `covered` now has `cur`'s mean; `full` when the whole plan ran at `time`. */
  searched(cur: Float32Array, covered: readonly Roi[], full: boolean, time: number): void {
    const { cell } = this.options;
    if (full) {
      this.lastFull = time;
      this.ref.set(cur);
      return;
    }
    for (const r of covered) {
      const c0 = Math.ceil(r.x / cell);
      const r0 = Math.ceil(r.y / cell);
      const c1 = r.x + r.width >= this.width ? this.cols : Math.min(this.cols, Math.floor((r.x + r.width) / cell));
      const r1 = r.y + r.height >= this.height ? this.rows : Math.min(this.rows, Math.floor((r.y + r.height) / cell));
      for (let y = Math.max(0, r0); y < r1; y++) {
        const i = y * this.cols;
        this.ref.set(cur.subarray(i + Math.max(0, c0), i + c1), i + Math.max(0, c0));
      }
    }
  }

  /** The cell means it holds (for inspection: NaN everywhere once wiped). */
  retained(): Float32Array {
    return this.ref;
  }

  /** Overwrites what the map holds (the stream ended). */
  wipe(): void {
    this.ref.fill(Number.NaN);
    this.lastFull = -Infinity;
  }
}
