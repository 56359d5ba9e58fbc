/**
 * RetinaFace MobileNet-0.25 (biubug6 PyTorch export): loc [1, P, 4],
 * conf [1, P, 2] (softmaxed), landmarks [1, P, 10] over P priors (min sizes
 * [16, 32], [64, 128], [256, 512] at steps 8, 16, 32). BGR minus (104, 117, 123).
 */
import { bindImageInput, modelMismatch, type DetectorFamilyAdapter } from './types.js';
import { rowsOf, STRIDES, widthOf } from './shapes.js';

export function retinaPriorCount(w: number, h: number): number {
  return STRIDES.reduce((n, s) => n + Math.ceil(w / s) * Math.ceil(h / s) * 2, 0);
}

export const retinaface: DetectorFamilyAdapter = {
  description: 'RetinaFace MobileNet-0.25 (biubug6), 5 landmarks',
  landmarks: true,
  input: { channelOrder: 'bgr', mean: [104, 117, 123], std: [1, 1, 1] },
  sizing: { kind: 'fixed' },
  defaults: { minScore: 0.6, iouThreshold: 0.4, inputSize: [640, 640] },
  minVisibleFace: 22,
  bindInput: (sig) => bindImageInput('retinaface', sig, 'fixed'),
  bindOutputs(sig, dims, [w, h]) {
    const priors = retinaPriorCount(w, h);
    const expected = `3 outputs loc [1, ${priors}, 4], conf [1, ${priors}, 2], landmarks [1, ${priors}, 10]`;
    if (sig.outputNames.length !== 3) throw modelMismatch('retinaface', expected, sig, dims);
    const find = (width: number) => {
      const name = sig.outputNames.find((n) => dims[n] && widthOf(dims[n]!) === width && rowsOf(dims[n]!) === priors);
      if (!name) throw modelMismatch('retinaface', expected, sig, dims);
      return name;
    };
    return { kind: 'native', decoder: 'retinaface', outputs: [find(4), find(2), find(10)] };
  },
};
