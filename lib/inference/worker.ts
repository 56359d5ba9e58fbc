/**
 * One ONNX Runtime session in a worker thread. `session.run()` blocks the
 * thread it is on, so it never runs on the caller's event loop. Tensors
 * arrive as transferred ArrayBuffers (no copy) and go back the same way.
 * Every ONNX Runtime call goes through the gate shared with the pool
 * (gate.ts), so the pool never terminates this thread inside one.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { enter, leave } from './gate.js';
import type { InitMessage, RunMessage, TensorMessage, WorkerReply } from './protocol.js';

const require = createRequire(import.meta.url);
type Ort = typeof import('onnxruntime-node');
/**
 * onnxruntime-node, loaded on the first init inside the gate: loading it
 * dlopens ONNX Runtime and runs the binding's module initialiser, native
 * code that aborts the process just like a run when the thread is
 * terminated during it.
 */
let ort: Ort;

let session: import('onnxruntime-node').InferenceSession | undefined;
const port = parentPort!;
const gate = (workerData as { gate: Int32Array }).gate;

/** Runs one native ONNX Runtime call with the gate held; refuses once the pool closed it. */
async function native<T>(call: () => Promise<T>): Promise<T> {
  if (!enter(gate)) throw new Error('the inference pool is closing');
  try {
    return await call();
  } finally {
    leave(gate);
  }
}

function send(msg: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(msg, transfer);
}

/** Whether onnxruntime-node can load a provider's shared library at all. */
function providerLibraryPresent(name: string): boolean {
  if (name === 'cpu') return true;
  const file: Record<string, string> = {
    cuda: 'onnxruntime_providers_cuda',
    tensorrt: 'onnxruntime_providers_tensorrt',
  };
  const lib = file[name];
  if (!lib) return true; // let ORT decide (e.g. webgpu, dml, coreml)
  const binDir = path.dirname(require.resolve('onnxruntime-node/package.json'));
  const dir = path.join(binDir, 'bin', 'napi-v6', process.platform, process.arch);
  const ext = process.platform === 'win32' ? '.dll' : '.so';
  const prefix = process.platform === 'win32' ? '' : 'lib';
  return existsSync(path.join(dir, prefix + lib + ext));
}

async function init(msg: InitMessage): Promise<void> {
  const warnings: string[] = [];
  const requested = msg.executionProviders.filter((p) => p !== 'cpu');
  const usable = requested.filter((p) => {
    if (providerLibraryPresent(p)) return true;
    warnings.push(
      `execution provider '${p}' is not available in this onnxruntime-node installation ` +
        `(its provider library is missing); falling back to CPU`,
    );
    return false;
  });
  // Severity 3 = errors only: ORT's per-node warnings (e.g. unused initialisers) are noise to users.
  const base = { intraOpNumThreads: msg.intraOpNumThreads, interOpNumThreads: 1, graphOptimizationLevel: 'all' as const, logSeverityLevel: 3 as const };
  const model = msg.model;
  await native(async () => {
    ort ??= require('onnxruntime-node') as Ort;
  });
  const create = (eps: string[]) =>
    native(() =>
      typeof model === 'string'
        ? ort.InferenceSession.create(model, { ...base, executionProviders: eps })
        : ort.InferenceSession.create(model, { ...base, executionProviders: eps }),
    );
  let provider = 'cpu';
  if (usable.length > 0) {
    try {
      session = await create([...usable, 'cpu']);
      provider = usable[0]!;
    } catch (err) {
      warnings.push(`execution providers ${usable.join(', ')} failed to start (${(err as Error).message.split('\n')[0]}); falling back to CPU`);
    }
  }
  if (!session) session = await create(['cpu']);
  const inputShapes: Record<string, (number | string)[]> = {};
  for (const meta of session.inputMetadata as unknown as Array<{ name: string; shape?: (number | string)[] }>) {
    inputShapes[meta.name] = meta.shape ?? [];
  }
  send({
    type: 'ready',
    inputNames: [...session.inputNames],
    outputNames: [...session.outputNames],
    inputShapes,
    provider,
    warnings,
  });
}

async function run(msg: RunMessage): Promise<void> {
  const feeds: Record<string, import('onnxruntime-node').Tensor> = {};
  for (const [name, t] of Object.entries(msg.feeds)) feeds[name] = new ort.Tensor('float32', t.data, t.dims);
  const result = await native(() => session!.run(feeds));
  const outputs: Record<string, TensorMessage> = {};
  const transfer: ArrayBuffer[] = [];
  for (const [name, t] of Object.entries(result)) {
    let data = t.data as Float32Array;
    if (!(data instanceof Float32Array)) data = Float32Array.from(data as ArrayLike<number>);
    outputs[name] = { data, dims: [...t.dims] };
    transfer.push(data.buffer as ArrayBuffer);
  }
  for (const t of Object.values(msg.feeds)) transfer.push(t.data.buffer as ArrayBuffer);
  send({ type: 'result', id: msg.id, outputs, feeds: msg.feeds }, transfer);
}

port.on('message', (msg: InitMessage | RunMessage) => {
  const job = msg.type === 'init' ? init(msg) : run(msg);
  job.catch((err: unknown) => {
    send({ type: 'error', id: msg.type === 'run' ? msg.id : null, message: (err as Error)?.message ?? String(err) });
  });
});
