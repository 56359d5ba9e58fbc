/**
 * A progress bar on stderr with rate and ETA. Silent when stderr is not a
 * terminal unless forced (then it prints a line every few seconds), and
 * always silent with `quiet`.
 */
import type { ProgressCallback } from '../util/progress.js';

export interface ProgressOptions {
  label: string;
  total: number;
  quiet?: boolean;
  stream?: NodeJS.WriteStream;
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '--';
  if (s < 60) return `${s.toFixed(0)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/**
 * A progress callback for library calls (onProgress) that draws one bar per
 * label on stderr; silent with `quiet`.
 */
export function progressBar(quiet: boolean): ProgressCallback {
  const bars = new Map<string, Progress>();
  return (e) => {
    let bar = bars.get(e.label);
    if (!bar) bars.set(e.label, (bar = new Progress({ label: e.label, total: e.total, quiet })));
    if (e.finished) {
      bar.finish();
      bars.delete(e.label);
    } else bar.tick(e.done - bar.count);
  };
}

export class Progress {
  private done = 0;
  private readonly start = Date.now();
  private lastDraw = 0;
  private readonly tty: boolean;
  private readonly stream: NodeJS.WriteStream;

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY);
  }

  /** Steps done so far. */
  get count(): number {
    return this.done;
  }

  tick(n = 1): void {
    this.done += n;
    this.draw(false);
  }

  private draw(final: boolean): void {
    if (this.opts.quiet) return;
    const now = Date.now();
    const interval = this.tty ? 100 : 5000;
    if (!final && now - this.lastDraw < interval) return;
    this.lastDraw = now;
    const { total, label } = this.opts;
    const frac = total > 0 ? Math.min(1, this.done / total) : 1;
    const elapsed = (now - this.start) / 1000;
    const rate = elapsed > 0 ? this.done / elapsed : 0;
    const eta = rate > 0 ? (total - this.done) / rate : Infinity;
    const width = 24;
    const filled = Math.round(frac * width);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    const text = `${label} [${bar}] ${this.done}/${total} ${(frac * 100).toFixed(0)}% ${rate.toFixed(1)}/s ` +
      (final ? `in ${fmtTime(elapsed)}` : `ETA ${fmtTime(eta)}`);
    if (this.tty) this.stream.write(`\r\x1b[2K${text}${final ? '\n' : ''}`);
    else this.stream.write(text + '\n');
  }

  finish(): void {
    this.draw(true);
  }
}
