import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../dist/convert/onnx-builder.js';
import { InferencePool } from '../dist/index.js';

describe('GraphBuilder', () => {
  it('builds a model ONNX Runtime runs: y = relu(conv(x) + b) * 2', async () => {
    const g = new GraphBuilder('t');
    const x = g.input('x', [1, 1, 3, 3]);
    const w = g.floats('w', [1, 1, 1, 1], [1, 1, 2, 2]);
    const b = g.floats('b', [-3]);
    const c = g.op('Conv', [x, w, b], { kernel_shape: [2, 2], pads: [0, 0, 0, 0], strides: [1, 1] });
    const r = g.op('Relu', [c]);
    const y = g.op('Mul', [r, g.floats('two', [2], [])]);
    g.output(y, 'y');
    const pool = await InferencePool.create(g.toBytes());
    try {
      const res = await pool.run({ x: { data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), dims: [1, 1, 3, 3] } });
      // windows: 1+2+4+5=12, 2+3+5+6=16, 4+5+7+8=24, 5+6+8+9=28; minus 3, times 2
      expect(Array.from(res.outputs.y!.data)).toEqual([18, 26, 42, 50]);
    } finally {
      await pool.close();
    }
  });
});
