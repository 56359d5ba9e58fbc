/**
 * A pool of worker threads, each holding one ONNX Runtime session of the
 * same model. `run()` hands input tensors to an idle worker by transferring
 * their ArrayBuffers (no copy) and resolves with the outputs; the input
 * buffers come back too, so callers can reuse them.
 *
 * Lifetime: an idle pool does not keep the process alive (a worker is
 * ref'd only while it loads or runs), `close()` rejects what is pending
 * with a StateError, and no worker is ever terminated inside a native ONNX
 * Runtime call (lib/inference/gate.ts), so close(), process.exit() and an
 * uncaught exception never abort the process. A worker that dies while the
 * pool is open is replaced by a new one with the same model (`respawns`
 * counts them); the run it held rejects. How workers are started
 * (stack, execArgv, telemetry): lib/inference/spawn.ts.
 */
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ModelError, StateError, invalidType, outOfRange } from '../errors.js';
import { checkInteger, checkOptions } from '../validate.js';
import { closeGate, createGate, track, untrack } from './gate.js';
import type { ReadyReply, ResultReply, TensorMessage, WorkerReply } from './protocol.js';
import { inferenceWorkerOptions } from './spawn.js';

export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'tensorrt', 'webgpu', 'dml', 'coreml'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

export interface InferenceOptions {
  /** Execution providers in order of preference; CPU is always the fallback. Default ['cpu']. */
  executionProviders?: ExecutionProvider[];
  /** Worker threads, each with its own session (default 1). */
  workers?: number;
  /** Threads ONNX Runtime uses inside each session (default: cores / workers). */
  intraOpNumThreads?: number;
}

export const INFERENCE_OPTION_KEYS = ['executionProviders', 'workers', 'intraOpNumThreads'] as const;

export interface Tensor {
  data: Float32Array;
  dims: number[];
}

export interface RunResult {
  outputs: Record<string, Tensor>;
  /** The feeds' buffers, returned after the run for reuse (same shapes). */
  feeds: Record<string, Tensor>;
}

const warned = new Set<string>();
function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  process.emitWarning(message, { code: 'LIVEFR_EXECUTION_PROVIDER' });
}

interface Job {
  id: number;
  feeds: Record<string, TensorMessage>;
  resolve: (r: RunResult) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  /** Shared with the worker: whether it is inside a native call (gate.ts). */
  gate: Int32Array;
  busy: Job | null;
  exited: boolean;
}

/** Validates and normalises inference options. */
export function normaliseInferenceOptions(param: string, value: unknown): Required<InferenceOptions> {
  const o = checkOptions(param, value, INFERENCE_OPTION_KEYS);
  let eps: ExecutionProvider[] = ['cpu'];
  if (o.executionProviders !== undefined) {
    if (!Array.isArray(o.executionProviders) || o.executionProviders.length === 0) {
      throw invalidType(`${param}.executionProviders`, 'a non-empty array of provider names', o.executionProviders);
    }
    eps = o.executionProviders.map((p, i) => {
      if (typeof p !== 'string' || !(EXECUTION_PROVIDERS as readonly string[]).includes(p)) {
        throw outOfRange(`${param}.executionProviders[${i}]`, `one of ${EXECUTION_PROVIDERS.join(', ')}`, p);
      }
      return p as ExecutionProvider;
    });
  }
  const cores = availableParallelism();
  const workers = o.workers === undefined ? 1 : checkInteger(`${param}.workers`, o.workers, 1, 64);
  const intra =
    o.intraOpNumThreads === undefined
      ? Math.max(1, Math.floor(cores / workers))
      : checkInteger(`${param}.intraOpNumThreads`, o.intraOpNumThreads, 1, 256);
  return { executionProviders: eps, workers, intraOpNumThreads: intra };
}

export class InferencePool {
  readonly inputNames: string[];
  readonly outputNames: string[];
  readonly inputShapes: Record<string, (number | string)[]>;
  /** The provider that actually runs the model ('cpu' after a fallback). */
  readonly provider: string;
  private readonly slots: Slot[];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  private closing: Promise<void> | null = null;

  private constructor(slots: Slot[], ready: ReadyReply) {
    this.slots = slots;
    this.inputNames = ready.inputNames;
    this.outputNames = ready.outputNames;
    this.inputShapes = ready.inputShapes;
    this.provider = ready.provider;
    for (const slot of slots) this.attach(slot);
  }

  /** Starts the workers and loads the model in each. */
  static async create(model: string | Uint8Array, options?: InferenceOptions, param = 'model'): Promise<InferencePool> {
    const opts = normaliseInferenceOptions('options', options);
    if (typeof model === 'string') {
      if (!existsSync(model) || !statSync(model).isFile()) {
        throw new ModelError(`Model file not found for ${param}: ${JSON.stringify(model)}`);
      }
    } else if (!(model instanceof Uint8Array) || model.byteLength === 0) {
      throw invalidType(param, 'a path to an .onnx file or its bytes', model);
    }
    const url = new URL('./worker.js', import.meta.url);
    const spawn = inferenceWorkerOptions();
    const slots: Slot[] = [];
    let first: ReadyReply | undefined;
    try {
      for (let i = 0; i < opts.workers; i++) {
        const { ready } = await startSlot(url, spawn, model, opts, param, slots);
        first ??= ready;
      }
    } catch (err) {
      await Promise.all(slots.map((s) => stopSlot(s)));
      throw err;
    }
    for (const w of first!.warnings) warnOnce(`livefr: ${w}`);
    const pool = new InferencePool(slots, first!);
    pool.respawnWith = { url, spawn, model, opts, param };
    return pool;
  }

  /** Workers started again after one died (the pool keeps its size). */
  respawns = 0;
  private respawnWith: { url: URL; spawn: ReturnType<typeof inferenceWorkerOptions>; model: string | Uint8Array; opts: Required<InferenceOptions>; param: string } | null = null;
  private respawning = 0;

  /** A worker died while the pool was open: start another with the same model (a dead worker is replaced). */
  private respawn(): void {
    const w = this.respawnWith;
    if (!w || this.closed) return;
    this.respawning++;
    this.respawns++;
    const pending: Slot[] = [];
    startSlot(w.url, w.spawn, w.model, w.opts, w.param, pending).then(
      ({ slot }) => {
        this.respawning--;
        if (this.closed) return void stopSlot(slot);
        this.slots.push(slot);
        this.attach(slot);
        this.pump();
      },
      (err: Error) => {
        this.respawning--;
        for (const p of pending) void stopSlot(p);
        warnOnce(`livefr: an inference worker died and could not be replaced: ${err.message}`);
        if (this.slots.length === 0 && this.respawning === 0) {
          for (const q of this.queue.splice(0)) q.reject(new StateError('All inference workers have exited'));
        }
      },
    );
  }

  private attach(slot: Slot): void {
    slot.worker.on('message', (m: WorkerReply) => {
      const job = slot.busy;
      if (!job) {
        // A run that close() already rejected: nobody will read these tensors, clear them (they may hold faces).
        if (m.type === 'result') for (const t of [...Object.values(m.feeds), ...Object.values(m.outputs)]) t.data.fill(0);
        return;
      }
      if (m.type === 'result' && m.id === job.id) {
        this.release(slot);
        job.resolve({ outputs: m.outputs, feeds: (m as ResultReply).feeds });
      } else if (m.type === 'error' && m.id === job.id) {
        this.release(slot);
        job.reject(new ModelError(`Inference failed: ${m.message}`));
      }
      this.pump();
    });
    slot.worker.on('error', (e) => {
      const job = slot.busy;
      slot.busy = null;
      job?.reject(new ModelError(`Inference worker crashed: ${e.message}`, { cause: e }));
    });
    slot.worker.on('exit', () => {
      const job = slot.busy;
      slot.busy = null;
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      job?.reject(new StateError(this.closed ? 'The inference pool was closed' : 'Inference worker exited'));
      if (!this.closed) this.respawn();
      if (this.slots.length === 0 && this.respawning === 0) {
        for (const q of this.queue.splice(0)) q.reject(new StateError('All inference workers have exited'));
      }
    });
    // The listeners above ref the worker's port again: an idle worker must not keep the process alive.
    slot.worker.unref();
  }

  /** A slot's job is done: it no longer keeps the process alive. */
  private release(slot: Slot): void {
    slot.busy = null;
    slot.worker.unref();
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.busy || slot.exited) continue;
      const job = this.queue.shift()!;
      slot.busy = job;
      // A run in progress keeps the process alive until its promise settles.
      slot.worker.ref();
      const transfer = Object.values(job.feeds).map((t) => t.data.buffer as ArrayBuffer);
      slot.worker.postMessage({ type: 'run', id: job.id, feeds: job.feeds }, transfer);
    }
  }

  /** Number of runs waiting or running. */
  get pending(): number {
    return this.queue.length + this.slots.filter((s) => s.busy).length;
  }

  /** Whether close() was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Runs the model. The feeds' ArrayBuffers are transferred to the worker
   * (they are detached here until the result hands them back in `feeds`).
   * A feed's Float32Array must own its whole ArrayBuffer.
   */
  run(feeds: Record<string, Tensor>): Promise<RunResult> {
    if (this.closed) return Promise.reject(new StateError('The inference pool is closed'));
    for (const [name, t] of Object.entries(feeds)) {
      if (!this.inputNames.includes(name)) {
        return Promise.reject(outOfRange('feeds', `inputs named ${this.inputNames.join(', ')}`, name));
      }
      if (!(t.data instanceof Float32Array) || t.data.byteOffset !== 0 || t.data.byteLength !== t.data.buffer.byteLength) {
        return Promise.reject(invalidType(`feeds.${name}.data`, 'a Float32Array that owns its whole ArrayBuffer', t.data));
      }
      if (t.data.buffer instanceof SharedArrayBuffer) {
        return Promise.reject(invalidType(`feeds.${name}.data`, 'a Float32Array over a plain ArrayBuffer (not shared)', t.data));
      }
      const n = t.dims.reduce((a, b) => a * b, 1);
      if (n !== t.data.length) {
        return Promise.reject(outOfRange(`feeds.${name}.dims`, `dims whose product is ${t.data.length}`, t.dims));
      }
    }
    if (this.slots.length === 0 && this.respawning === 0) return Promise.reject(new StateError('All inference workers have exited'));
    return new Promise<RunResult>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, feeds: feeds as Record<string, TensorMessage>, resolve, reject });
      this.pump();
    });
  }

  /**
   * Stops the workers. Every run not yet resolved (queued or in progress)
   * rejects with a StateError at once; a worker inside a model run is
   * terminated as soon as that run returns, and close() resolves when all
   * workers have stopped. Calling it again returns the same promise.
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    for (const q of this.queue.splice(0)) q.reject(new StateError('The inference pool was closed'));
    for (const slot of this.slots) {
      const job = slot.busy;
      slot.busy = null;
      job?.reject(new StateError('The inference pool was closed while this run was in progress'));
    }
    this.closing = Promise.all(this.slots.map((s) => stopSlot(s))).then(() => undefined);
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Terminates a worker once it is outside any native call. */
async function stopSlot(slot: Slot): Promise<void> {
  if (!slot.exited) {
    await closeGate(slot.gate);
    await slot.worker.terminate();
  }
  untrack(slot.gate);
}

/** Starts one worker and loads the model in it; the slot is pushed to `slots` at once (so a failure can stop it). */
async function startSlot(
  url: URL,
  spawn: ReturnType<typeof inferenceWorkerOptions>,
  model: string | Uint8Array,
  opts: Required<InferenceOptions>,
  param: string,
  slots: Slot[],
): Promise<{ slot: Slot; ready: ReadyReply }> {
  const gate = createGate();
  const worker = new Worker(url, { ...spawn, workerData: { gate } });
  const slot: Slot = { worker, gate, busy: null, exited: false };
  slots.push(slot);
  track(gate);
  worker.once('exit', () => {
    slot.exited = true;
    untrack(gate);
  });
  const ready = await new Promise<ReadyReply>((resolve, reject) => {
    const onMessage = (m: WorkerReply) => {
      cleanup();
      if (m.type === 'ready') resolve(m);
      else reject(new ModelError(`Cannot load model ${typeof model === 'string' ? JSON.stringify(model) : '(bytes)'} for ${param}: ${m.type === 'error' ? m.message : 'unexpected reply'}`));
    };
    const onError = (e: Error) => {
      cleanup();
      reject(new ModelError(`Inference worker failed while loading ${param}: ${e.message}`, { cause: e }));
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new ModelError(`Inference worker exited (code ${code}) while loading ${param}`));
    };
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    // Ref'd while loading (listeners on a Worker ref it again anyway).
    worker.ref();
    worker.postMessage({ type: 'init', model, executionProviders: opts.executionProviders, intraOpNumThreads: opts.intraOpNumThreads });
  });
  worker.unref();
  return { slot, ready };
}
