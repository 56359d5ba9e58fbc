import { describe, expect, it } from 'vitest';
import { InferencePool, ModelError } from '../dist/index.js';
import { hasSharedModels, SKIP_SHARED, sharedModel } from './helpers/shared.js';

describe('InferencePool', () => {
  it('rejects a missing model file with a ModelError naming the path', async () => {
    await expect(InferencePool.create('/nonexistent/model.onnx')).rejects.toThrow(ModelError);
    await expect(InferencePool.create('/nonexistent/model.onnx')).rejects.toThrow(/nonexistent\/model\.onnx/);
  });

  it('rejects corrupt model bytes with a ModelError', async () => {
    await expect(InferencePool.create(new Uint8Array([1, 2, 3, 4, 5]))).rejects.toThrow(ModelError);
  });

  it('rejects unknown options and providers with typed errors', async () => {
    await expect(InferencePool.create('/x.onnx', { bogus: 1 } as never)).rejects.toMatchObject({ name: 'RangeError', message: /options\.bogus/ });
    await expect(InferencePool.create('/x.onnx', { executionProviders: ['gpu'] } as never)).rejects.toMatchObject({
      name: 'RangeError',
      message: /executionProviders\[0\]/,
    });
    await expect(InferencePool.create('/x.onnx', { workers: 0 })).rejects.toMatchObject({ name: 'RangeError', message: /workers/ });
  });

  describe.skipIf(!hasSharedModels)('on a real model', () => {
    it('runs in a worker, returns outputs and hands input buffers back', async () => {
      const pool = await InferencePool.create(sharedModel('mobilefacenet-128.onnx'), { workers: 2, intraOpNumThreads: 1 });
      try {
        expect(pool.inputNames).toEqual(['input']);
        const mk = () => {
          const d = new Float32Array(3 * 112 * 112);
          for (let i = 0; i < d.length; i++) d[i] = Math.sin(i * 0.01);
          return d;
        };
        const a = mk();
        const runs = await Promise.all([1, 2, 3].map(() => pool.run({ input: { data: mk(), dims: [1, 3, 112, 112] } })));
        for (const r of runs) {
          expect(r.outputs.output!.dims).toEqual([1, 128]);
          expect(Array.from(r.outputs.output!.data)).toEqual(Array.from(runs[0]!.outputs.output!.data));
          expect(r.feeds.input!.data.length).toBe(a.length);
          expect(r.feeds.input!.data[5]).toBeCloseTo(a[5]!, 6);
        }
      } finally {
        await pool.close();
      }
    });

    it('falls back to CPU with one warning when CUDA is not available', async () => {
      const warnings: string[] = [];
      const onWarn = (w: Error) => warnings.push(w.message);
      process.on('warning', onWarn);
      const pool = await InferencePool.create(sharedModel('yunet.onnx'), { executionProviders: ['cuda'] });
      await new Promise((r) => setImmediate(r));
      process.off('warning', onWarn);
      expect(pool.provider).toBe('cpu');
      expect(warnings.some((w) => /cuda/.test(w) && /falling back to CPU/.test(w))).toBe(true);
      await pool.close();
    });
  });
});
