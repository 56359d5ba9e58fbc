/**
 * InsightFace SCRFD with keypoints: 9 outputs (scores, box distances and
 * keypoints for strides 8, 16, 32, A anchors per cell). Outputs are told
 * apart by shape, never by order or name: values per row (1, 4, 10) give the
 * head, the row count gives the stride.
 */
import { bindImageInput, modelMismatch, type DetectorFamilyAdapter } from './types.js';
import { rowsOf, STRIDES, widthOf } from './shapes.js';

export const scrfd: DetectorFamilyAdapter = {
  description: 'InsightFace SCRFD with keypoints (fixed 640x640), 5 landmarks',
  landmarks: true,
  input: { channelOrder: 'rgb', mean: [127.5, 127.5, 127.5], std: [128, 128, 128] },
  sizing: { kind: 'fixed' },
  defaults: { minScore: 0.5, iouThreshold: 0.4, inputSize: [640, 640] },
  minVisibleFace: 20,
  bindInput: (sig) => bindImageInput('scrfd', sig, 'fixed'),
  bindOutputs(sig, dims, [w, h]) {
    const expected =
      '9 outputs: scores (n x 1), box distances (n x 4) and keypoints (n x 10) for strides 8, 16, 32, ' +
      `n = anchors x (${w}/s) x (${h}/s)`;
    if (sig.outputNames.length !== 9) throw modelMismatch('scrfd', expected, sig, dims);
    const byHead = new Map<number, string[]>([[1, []], [4, []], [10, []]]);
    for (const name of sig.outputNames) {
      const d = dims[name];
      if (!d) throw modelMismatch('scrfd', expected, sig, dims);
      const group = byHead.get(widthOf(d));
      if (!group) throw modelMismatch('scrfd', expected, sig, dims);
      group.push(name);
    }
    const cells = STRIDES.map((s) => (w / s) * (h / s));
    const ordered: string[] = [];
    let anchors = 0;
    for (const head of [1, 4, 10]) {
      const group = byHead.get(head)!;
      if (group.length !== 3) throw modelMismatch('scrfd', expected, sig, dims);
      group.sort((a, b) => rowsOf(dims[b]!) - rowsOf(dims[a]!));
      group.forEach((name, k) => {
        const a = rowsOf(dims[name]!) / cells[k]!;
        if (!Number.isInteger(a) || a < 1 || (anchors && a !== anchors)) throw modelMismatch('scrfd', expected, sig, dims);
        anchors = a;
      });
      ordered.push(...group);
    }
    return { kind: 'native', decoder: 'scrfd', outputs: ordered };
  },
};
