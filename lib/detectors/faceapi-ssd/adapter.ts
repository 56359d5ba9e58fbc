/**
 * face-api's SSD MobileNetV1 as a box-only detector family ('faceapi-ssd')
 * for `Detector.load({ family: 'faceapi-ssd', model })`: the SSD anchors
 * and box decoding here, then the Detector's native path maps, tiles and
 * runs NMS like every family. FaceApiSsdDetector (detector.ts) adds the
 * landmark stage the adapter interface cannot express.
 */
import { decodeSsdBoxes, generateSsdAnchors, SSD_ANCHORS, SSD_INPUT } from '../../convert/faceapi/index.js';
import { findSpec } from '../../models/catalog.js';
import { bindImageInput, FACE_ROW, modelMismatch, type DetectorFamilyAdapter, type Size } from '../types.js';

export const ANCHORS = generateSsdAnchors();
/** The SSD's input convention, from the model catalog (the one record of it). */
export const SSD_NORM = findSpec('faceapi-ssd')!.input;

export const faceapiSsd: DetectorFamilyAdapter = {
  description: 'face-api SSD MobileNetV1 (512x512), boxes only (FaceApiSsdDetector adds landmarks)',
  landmarks: false,
  input: { channelOrder: 'rgb', mean: SSD_NORM.mean, std: SSD_NORM.std },
  sizing: { kind: 'fixed' },
  defaults: { minScore: 0.5, iouThreshold: 0.5, inputSize: [SSD_INPUT, SSD_INPUT] },
  // Measured: LFW faces pasted into a 512x512 frame are found 6/6 at 28-64 px, 4-5/6 at 20-24 px.
  minVisibleFace: 30,
  bindInput(sig) {
    const b = bindImageInput('faceapi-ssd', sig, 'fixed');
    if (b.fixedSize![0] !== SSD_INPUT || b.fixedSize![1] !== SSD_INPUT) {
      throw modelMismatch('faceapi-ssd', `an input of [N, 3, ${SSD_INPUT}, ${SSD_INPUT}]`, sig);
    }
    return b;
  },
  bindOutputs(sig, dims) {
    const expected = `outputs box_encodings [1, ${SSD_ANCHORS}, 4] and scores [1, ${SSD_ANCHORS}]`;
    const enc = dims.box_encodings;
    const sc = dims.scores;
    if (!enc || !sc || enc.join() !== `1,${SSD_ANCHORS},4` || sc.join() !== `1,${SSD_ANCHORS}`) {
      throw modelMismatch('faceapi-ssd', expected, sig, dims);
    }
    return {
      kind: 'js',
      outputs: ['box_encodings', 'scores'],
      decode: (outputs, inputSize, minScore) => decodeCandidates(outputs.box_encodings!.data, outputs.scores!.data, inputSize, minScore),
    };
  },
};

/** n x 15 candidates (x1, y1, x2, y2, score >= minScore, 10 zeros) in pixels of a w x h input. */
export function decodeCandidates(enc: Float32Array, scores: Float32Array, [w, h]: Size, minScore: number): Float32Array {
  const keep: number[] = [];
  for (let i = 0; i < SSD_ANCHORS; i++) if (scores[i]! >= minScore) keep.push(i);
  const out = new Float32Array(keep.length * FACE_ROW);
  const boxes = decodeSsdBoxes(enc, ANCHORS);
  keep.forEach((i, k) => {
    out[k * FACE_ROW] = boxes[i * 4 + 1]! * w;
    out[k * FACE_ROW + 1] = boxes[i * 4]! * h;
    out[k * FACE_ROW + 2] = boxes[i * 4 + 3]! * w;
    out[k * FACE_ROW + 3] = boxes[i * 4 + 2]! * h;
    out[k * FACE_ROW + 4] = scores[i]!;
  });
  return out;
}
