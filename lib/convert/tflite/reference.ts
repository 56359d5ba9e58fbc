/**
 * Runs an original TFLite model with Google's own runtime, LiteRT.js
 * (`@litertjs/core`, the TFLite interpreter with XNNPACK compiled to
 * WebAssembly), for exactness checks of the converted ONNX models. A
 * development dependency loaded on demand: the library never needs it.
 *
 * LiteRT.js is written for browsers; in Node it needs `self`, a synchronous
 * `importScripts` (its Emscripten glue is a classic script) and the .wasm
 * bytes handed over directly (no fetch of file paths).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { ModelError } from '../../errors.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
let ready: Promise<any> | undefined;

async function liteRt(): Promise<any> {
  ready ??= (async () => {
    const require = createRequire(import.meta.url);
    let pkg: string;
    try {
      pkg = path.dirname(require.resolve('@litertjs/core/package.json'));
    } catch (err) {
      throw new ModelError('The TFLite reference runner needs the @litertjs/core development dependency', { cause: err });
    }
    const wasmDir = path.join(pkg, 'wasm') + path.sep;
    const g = globalThis as any;
    g.self ??= globalThis;
    g.importScripts ??= (url: string) => vm.runInThisContext(readFileSync(String(url).replace(/^file:\/\//, ''), 'utf8'), { filename: String(url) });
    g.require ??= require;
    g.__dirname ??= wasmDir;
    const mod = await import('@litertjs/core' as string);
    // The package picks the plain (compat) build when the runtime lacks relaxed SIMD probing, as Node does.
    g.Module = { wasmBinary: readFileSync(path.join(wasmDir, 'litert_wasm_compat_internal.wasm')), print: () => {}, printErr: () => {} };
    const [log, warn, error] = [console.log, console.warn, console.error];
    console.log = console.warn = console.error = () => {}; // it reports a missing WebGPU device and its accelerators
    try {
      await mod.loadLiteRt(wasmDir);
    } finally {
      [console.log, console.warn, console.error] = [log, warn, error];
    }
    return mod;
  })();
  return ready;
}

export interface ReferenceOutput {
  name: string;
  dims: number[];
  data: Float32Array;
}

/**
 * Runs a .tflite model on float32 inputs given in TF (NHWC) order; returns
 * every output in TF order.
 */
export async function runTfliteReference(model: Uint8Array, inputs: { data: Float32Array; dims: number[] }[]): Promise<ReferenceOutput[]> {
  const lrt = await liteRt();
  const [log, warn] = [console.log, console.warn];
  console.log = console.warn = () => {};
  try {
    const compiled = await lrt.loadAndCompile(model, { accelerator: 'wasm' });
    const outs = compiled.getOutputDetails() as { name: string; shape: Record<string, number> }[];
    const tensors = inputs.map((x) => new lrt.Tensor(x.data, x.dims));
    const result = (await compiled.run(tensors)) as any[];
    const out: ReferenceOutput[] = [];
    for (let i = 0; i < result.length; i++) {
      const t = result[i];
      const cpu = t.accelerator === 'wasm' ? t : await t.moveTo('wasm');
      out.push({ name: outs[i]!.name, dims: Array.from(cpu.type.layout.dimensions as ArrayLike<number>), data: Float32Array.from(cpu.toTypedArray() as Float32Array) });
      cpu.delete?.();
    }
    tensors.forEach((t) => t.delete?.());
    compiled.delete?.();
    return out;
  } finally {
    [console.log, console.warn] = [log, warn];
  }
}
