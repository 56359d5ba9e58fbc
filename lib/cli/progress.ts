/**
 * A progress bar on stderr with rate and ETA. Silent when stderr is not a
 * terminal unless forced (then it prints a line every few seconds), and
 * always silent with `quiet`.
 */
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
