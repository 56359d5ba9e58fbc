/**
 * Runs a watchlist's mutations (add, remove, train, compact, save, ...) one
 * at a time, in call order, whether each succeeds or fails. Matches do not
 * go through it: they run concurrently with mutations (the native index
 * holds a readers-writer lock). A mutation that fails rejects with the
 * stack of the call that queued it (it ran later, from the queue).
 */
import { withCallerStack } from '../native/index.js';

export class MutationQueue {
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;

  /** Mutations queued or running. */
  get pending(): number {
    return this.#pending;
  }

  /** Runs `fn` after every mutation queued before it has settled. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    this.#pending++;
    const run = withCallerStack(() => this.#tail.then(fn, fn));
    this.#tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run.finally(() => {
      this.#pending--;
    });
  }
}
