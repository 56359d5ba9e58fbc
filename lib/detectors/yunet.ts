/**
 * OpenCV YuNet (libfacedetection): 12 outputs named cls/obj/bbox/kps at
 * strides 8, 16, 32; any input size that is a multiple of 32; BGR 0..255.
 */
import { bindImageInput, modelMismatch, type DetectorFamilyAdapter } from './types.js';
import { rowsOf, STRIDES } from './shapes.js';

const HEADS = ['cls', 'obj', 'bbox', 'kps'] as const;
const WIDTH: Record<(typeof HEADS)[number], number> = { cls: 1, obj: 1, bbox: 4, kps: 10 };

export const yunet: DetectorFamilyAdapter = {
  description: 'OpenCV YuNet (libfacedetection), dynamic input, 5 landmarks',
  landmarks: true,
  input: { channelOrder: 'bgr', mean: [0, 0, 0], std: [1, 1, 1] },
  sizing: { kind: 'dynamic', multipleOf: 32 },
  defaults: { minScore: 0.6, iouThreshold: 0.3, inputSize: [640, 640] },
  minVisibleFace: 20,
  bindInput: (sig) => bindImageInput('yunet', sig, 'dynamic'),
  bindOutputs(sig, dims, [w, h]) {
    const expected = '12 outputs cls_8/16/32, obj_8/16/32, bbox_8/16/32, kps_8/16/32 with (W/s)(H/s) rows of 1, 1, 4, 10 values';
    const outputs: string[] = [];
    for (const head of HEADS) {
      for (const s of STRIDES) {
        const name = `${head}_${s}`;
        const d = dims[name];
        const rows = (w / s) * (h / s);
        if (!d || d[d.length - 1] !== WIDTH[head] || rowsOf(d) !== rows) throw modelMismatch('yunet', expected, sig, dims);
        outputs.push(name);
      }
    }
    return { kind: 'native', decoder: 'yunet', outputs };
  },
};
