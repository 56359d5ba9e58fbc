/**
 * A gate that keeps inference workers from being terminated while they are
 * inside a blocking ONNX Runtime call.
 *
 * Why. onnxruntime-node's `loadModel` and `run` are synchronous native calls
 * on the worker's thread. When the worker is terminated during one (our
 * `close()`, or Node stopping every worker at `process.exit()` or after an
 * uncaught exception), the call returns into a terminating JS engine, the
 * binding's Napi::Error cannot be thrown into JavaScript, node-addon-api
 * rethrows it as a C++ exception and the whole process aborts
 * (`terminate called after throwing an instance of 'Napi::Error'`, exit
 * 134). So a worker is only ever terminated between native calls.
 *
 * How. Each worker shares one Int32Array cell with the pool:
 * IDLE -> NATIVE (the worker, around each ONNX Runtime call) -> IDLE;
 * IDLE -> CLOSED (the pool, before terminating; the worker then refuses to
 * enter). Both sides change it with compare-and-swap, so a worker cannot
 * enter a native call after the pool decided to stop it. `close()` waits
 * asynchronously; at process exit the main thread waits synchronously (at
 * most EXIT_WAIT_MS per worker, the length of one model run in practice).
 */
export const IDLE = 0;
export const NATIVE = 1;
export const CLOSED = 2;

/** Longest wait for one worker to leave a native call at process exit. */
export const EXIT_WAIT_MS = 30_000;

export function createGate(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

/** Worker side: enters a native call; false once the pool has closed the gate. */
export function enter(gate: Int32Array): boolean {
  return Atomics.compareExchange(gate, 0, IDLE, NATIVE) === IDLE;
}

/** Worker side: leaves a native call. */
export function leave(gate: Int32Array): void {
  Atomics.compareExchange(gate, 0, NATIVE, IDLE);
  Atomics.notify(gate, 0);
}

type WaitAsync = (a: Int32Array, i: number, v: number, t?: number) => { async: boolean; value: Promise<string> | string };

/** Pool side: closes the gate, waiting (asynchronously) for a native call in progress to end. */
export async function closeGate(gate: Int32Array): Promise<void> {
  const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;
  for (;;) {
    if (Atomics.compareExchange(gate, 0, IDLE, CLOSED) !== NATIVE) return;
    if (waitAsync) {
      const r = waitAsync(gate, 0, NATIVE, 1000);
      if (r.async) await r.value;
    } else {
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
}

/** Pool side, synchronous (process exit): closes the gate within `ms`. */
export function closeGateSync(gate: Int32Array, ms: number): void {
  const deadline = Date.now() + ms;
  for (;;) {
    if (Atomics.compareExchange(gate, 0, IDLE, CLOSED) !== NATIVE) return;
    const left = deadline - Date.now();
    if (left <= 0) return;
    Atomics.wait(gate, 0, NATIVE, left);
  }
}

const open = new Set<Int32Array>();
let hooked = false;

function closeAllSync(): void {
  for (const gate of open) closeGateSync(gate, EXIT_WAIT_MS);
  open.clear();
}

/**
 * Registers a worker's gate so that process exit closes it first. Node emits
 * 'exit' for process.exit() and a drained loop, but not for an uncaught
 * exception: 'uncaughtExceptionMonitor' covers that, when no handler is
 * going to keep the process alive.
 */
export function track(gate: Int32Array): void {
  open.add(gate);
  if (hooked) return;
  hooked = true;
  process.on('exit', closeAllSync);
  process.on('uncaughtExceptionMonitor', () => {
    const captured = process.hasUncaughtExceptionCaptureCallback();
    if (!captured && process.listenerCount('uncaughtException') === 0) closeAllSync();
  });
}

/** Forgets a gate (its worker has stopped). */
export function untrack(gate: Int32Array): void {
  open.delete(gate);
}
