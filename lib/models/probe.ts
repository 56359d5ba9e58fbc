/**
 * Loads a model in ONNX Runtime and runs it once on a mid-grey input, to
 * record (at conversion) and check (at verification) its output shapes.
 */
import { InferencePool } from '../inference/pool.js';

export interface ProbeResult {
  inputName: string;
  outputs: { name: string; dims: (number | string)[] }[];
  ms: number;
}

export async function probeModel(file: string, input: { width: number; height: number }): Promise<ProbeResult> {
  const pool = await InferencePool.create(file, { workers: 1 });
  try {
    const inputName = pool.inputNames[0]!;
    const shape = pool.inputShapes[inputName] ?? [];
    const nhwc = shape.length === 4 && Number(shape[3]) === 3 && Number(shape[1]) !== 3;
    const ch = typeof shape[1] === 'number' && shape[1] > 0 ? shape[1] : 3; // 1 for gray nets (fr-landmark)
    const dims = nhwc ? [1, input.height, input.width, 3] : [1, ch, input.height, input.width];
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(0.5);
    const t0 = performance.now();
    const r = await pool.run({ [inputName]: { data, dims } });
    const ms = performance.now() - t0;
    const outputs = pool.outputNames.map((name) => ({ name, dims: r.outputs[name]?.dims ?? [] }));
    return { inputName, outputs, ms };
  } finally {
    await pool.close();
  }
}
