/**
 * Progress of long library work (embedding a data set, running a live-like
 * set), reported through a callback the caller chooses: the CLI draws a bar
 * (lib/cli/progress.ts), a service may log or ignore it. Library code never
 * writes to the terminal itself.
 */
export interface ProgressEvent {
  /** What is being done ('embedding', 'embedding blur=2', 'live-like set', ...). */
  label: string;
  done: number;
  total: number;
  /** True once, on the last event of the job. */
  finished: boolean;
}

export type ProgressCallback = (event: ProgressEvent) => void;

/** Counts a job's steps and reports them to `onProgress` (nothing when it is undefined). */
export class ProgressCounter {
  #done = 0;
  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly onProgress: ProgressCallback | undefined,
  ) {}

  tick(n = 1): void {
    this.#done += n;
    this.onProgress?.({ label: this.label, done: this.#done, total: this.total, finished: false });
  }

  finish(): void {
    this.onProgress?.({ label: this.label, done: this.#done, total: this.total, finished: true });
  }
}
