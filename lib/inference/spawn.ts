/**
 * How inference workers are started: their stack, their execArgv and ONNX
 * Runtime's telemetry switch.
 *
 * The stack. onnxruntime-node 1.30 starts ONNX Runtime's telemetry when the
 * first session is created; on Linux that reads /proc/self/cmdline and runs
 * a libstdc++ std::regex over it, whose matcher recurses once per byte.
 * Measured here: about 290 bytes of stack per byte of the command line
 * (4 MiB overflows at 14.4 KB of command line, 8 MiB at 28.9 KB, 16 MiB at
 * 58.1 KB; the environment does not count). A worker's default stack is
 * 4 MiB, so `livefr match` with 200 LFW paths died with SIGSEGV. Two layers:
 * - telemetry is switched off (ORT_DISABLE_TELEMETRY=1, unless the user set
 *   that variable): the regex never runs, nor does anything else that reads
 *   the command line (image paths) or /etc/machine-id, and ONNX Runtime
 *   leaves no /tmp/mat-debug-<pid>.log behind;
 * - when telemetry may still run (the user set the variable to something
 *   else, or the pool lives in a worker thread, whose process.env does not
 *   reach the C environment), each worker gets a stack of twice the
 *   measured need plus 8 MiB: a margin of 2x over the measurement.
 *
 * execArgv. Workers inherit the parent's execArgv by default, and some
 * flags break or burden them: `--input-type` (a worker refuses it: no model
 * could load from `node --input-type=module -e`), `--import`/`--require`
 * (the user's preload would run again in every inference worker),
 * `--eval`. Workers get only the flags that change how modules resolve or
 * how warnings print.
 */
import { readFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

/** Stack bytes ONNX Runtime's telemetry regex uses per byte of command line (measured: 287-290). */
export const STACK_BYTES_PER_CMDLINE_BYTE = 290;
const MIB = 1024 * 1024;
const BASE_STACK_MB = 8;
const MAX_STACK_MB = 4096;

/** Bytes of the process's command line as ONNX Runtime reads it (/proc/self/cmdline on Linux). */
export function commandLineBytes(): number {
  if (process.platform === 'linux') {
    try {
      return readFileSync('/proc/self/cmdline').length;
    } catch {
      // fall through to an estimate
    }
  }
  const args = [process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  return args.reduce((n, a) => n + Buffer.byteLength(a) + 1, 0);
}

/**
 * Switches ONNX Runtime's telemetry off for this process unless the user
 * chose a value. Returns whether it is known to be off in the C environment
 * that ONNX Runtime reads (only the main thread's process.env writes there).
 */
export function disableOrtTelemetry(): boolean {
  if (process.env.ORT_DISABLE_TELEMETRY === undefined) process.env.ORT_DISABLE_TELEMETRY = '1';
  return isMainThread && process.env.ORT_DISABLE_TELEMETRY === '1';
}

/** The stack (MiB) an inference worker needs for a command line of `bytes`. */
export function workerStackMb(bytes: number, telemetryOff: boolean): number {
  if (telemetryOff) return BASE_STACK_MB;
  const need = (2 * bytes * STACK_BYTES_PER_CMDLINE_BYTE) / MIB;
  return Math.min(MAX_STACK_MB, BASE_STACK_MB + Math.ceil(need));
}

/** Flags a worker accepts and that matter to it; everything else stays with the parent. */
const KEPT_FLAGS = new Set([
  '--preserve-symlinks',
  '--preserve-symlinks-main',
  '--enable-source-maps',
  '--no-warnings',
  '--no-deprecation',
  '--trace-warnings',
  '--trace-deprecation',
  '--throw-deprecation',
  '--trace-uncaught',
]);
const KEPT_WITH_VALUE = new Set(['--conditions', '-C']);

/** The execArgv for an inference worker, from the parent's. */
export function workerExecArgv(execArgv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i]!;
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (KEPT_FLAGS.has(name) && eq < 0) out.push(a);
    else if (KEPT_WITH_VALUE.has(name)) {
      if (eq > 0) out.push(a);
      else if (i + 1 < execArgv.length) out.push(a, execArgv[++i]!);
    }
  }
  return out;
}

export interface WorkerSpawnOptions {
  execArgv: string[];
  resourceLimits: { stackSizeMb: number };
}

/** Options for `new Worker(...)` of an inference worker. */
export function inferenceWorkerOptions(): WorkerSpawnOptions {
  const off = disableOrtTelemetry();
  return { execArgv: workerExecArgv(), resourceLimits: { stackSizeMb: workerStackMb(commandLineBytes(), off) } };
}
