/**
 * Ultra-Light-Fast-Generic-Face-Detector (RFB-320 / RFB-640): scores
 * [1, N, 2] (softmaxed, class 1 = face) and boxes [1, N, 4] as normalised
 * x1, y1, x2, y2. No landmarks. RGB (x - 127) / 128.
 */
import { bindImageInput, modelMismatch, type DetectorFamilyAdapter } from './types.js';
import { rowsOf, widthOf } from './shapes.js';

export const ultraface: DetectorFamilyAdapter = {
  description: 'UltraFace RFB (320x240 or 640x480), boxes only',
  landmarks: false,
  input: { channelOrder: 'rgb', mean: [127, 127, 127], std: [128, 128, 128] },
  sizing: { kind: 'fixed' },
  defaults: { minScore: 0.7, iouThreshold: 0.3, inputSize: [320, 240] },
  minVisibleFace: 20,
  bindInput: (sig) => bindImageInput('ultraface', sig, 'fixed'),
  bindOutputs(sig, dims) {
    const expected = '2 outputs scores [1, N, 2] and boxes [1, N, 4]';
    if (sig.outputNames.length !== 2) throw modelMismatch('ultraface', expected, sig, dims);
    const find = (width: number) => {
      const name = sig.outputNames.find((n) => dims[n] && widthOf(dims[n]!) === width);
      if (!name) throw modelMismatch('ultraface', expected, sig, dims);
      return name;
    };
    const scores = find(2);
    const boxes = find(4);
    if (rowsOf(dims[scores]!) !== rowsOf(dims[boxes]!)) throw modelMismatch('ultraface', expected, sig, dims);
    return { kind: 'native', decoder: 'ultraface', outputs: [scores, boxes] };
  },
};
