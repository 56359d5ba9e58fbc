/**
 * The detector family adapter interface.
 *
 * A *family* is a kind of face-detection network (YuNet, SCRFD, RetinaFace,
 * UltraFace, ...) whose input convention and output layout are fixed while
 * its weights and exact sizes vary. `Detector` knows nothing about any
 * family: everything family-specific is in one adapter object, registered
 * by name with `registerDetectorFamily(name, adapter)`. To add a family
 * (for instance BlazeFace or face-api's SSD converted from TFJS):
 *
 * 1. Describe the input: `input` (channel order, mean, std: the tensor is
 *    (pixel - mean) / std, NCHW float32) and `sizing` ('fixed': the size is
 *    read from the model; 'dynamic': any multiple of `multipleOf`, chosen
 *    per frame by the Detector).
 * 2. `bindInput(signature)`: pick the image input among the model's inputs
 *    (some exports list weights as inputs too) and return its name and, for
 *    fixed models, its size. Throw `ModelError` (use `modelMismatch`) when
 *    the model cannot be of this family.
 * 3. `bindOutputs(signature, outputDims, inputSize)`: `outputDims` are the
 *    output shapes of one probe run at `inputSize`. Check them and return the
 *    decoder: either `{ kind: 'native', decoder, outputs }` to use one of
 *    the native decoders with the outputs in its canonical order, or
 *    `{ kind: 'js', decode }` where `decode(outputs, inputSize, minScore)`
 *    returns candidates as a Float32Array of n x 15 floats
 *    (x1, y1, x2, y2, score, then 5 landmarks as x, y pairs, in the order
 *    left eye, right eye, nose, left mouth corner, right mouth corner), in
 *    *tensor* pixels. Either way the native core then maps the candidates to
 *    frame pixels, merges tiles and runs NMS in one call.
 * 4. Give defaults (`minScore`, `iouThreshold`, `inputSize`) and
 *    `minVisibleFace`: the smallest face, in tensor pixels, the model still
 *    finds reliably. It decides when a frame is tiled (see tiling.ts).
 *
 * Adapters must be stateless: one adapter serves every Detector of its
 * family. The built-in families are listed by name in registry.ts; an
 * application registers its own with `registerDetectorFamily` before
 * `Detector.load({ family })`. See docs/detectors.md for a worked example.
 */
import { ModelError } from '../errors.js';
import type { Tensor } from '../inference/pool.js';

export type Triple = [number, number, number];

/** Floats per face row exchanged with the native core: x1, y1, x2, y2, score, 5 landmarks as x, y. */
export const FACE_ROW = 15;
export type Size = [width: number, height: number];

/** What the loaded model declares (from ONNX Runtime's metadata). */
export interface ModelSignature {
  inputNames: string[];
  /** Input shapes; symbolic dimensions are strings. */
  inputShapes: Record<string, (number | string)[]>;
  outputNames: string[];
}

export interface InputBinding {
  /** Name of the NCHW image input. */
  name: string;
  /** [width, height] for fixed-size models; null for dynamic ones. */
  fixedSize: Size | null;
}

/** The native decoders built into the core (native/src/detect/decode.cc). */
export type NativeDecoder = 'yunet' | 'scrfd' | 'retinaface' | 'ultraface';

export interface NativeDecode {
  kind: 'native';
  decoder: NativeDecoder;
  /**
   * Output names in the decoder's canonical order:
   * - yunet: cls_8, cls_16, cls_32, obj_8, obj_16, obj_32, bbox_8..32, kps_8..32
   * - scrfd: scores 8/16/32, box distances 8/16/32, keypoints 8/16/32
   * - retinaface: loc, conf, landmarks
   * - ultraface: scores, boxes
   */
  outputs: string[];
}

export interface JsDecode {
  kind: 'js';
  /** Outputs the model must return (the others are ignored). */
  outputs: string[];
  /** Candidates n x 15 in tensor pixels, score >= minScore (see above). */
  decode(outputs: Record<string, Tensor>, inputSize: Size, minScore: number): Float32Array;
}

export type DecodeSpec = NativeDecode | JsDecode;

export interface DetectorFamilyAdapter {
  /** Human-readable description for errors and docs. */
  readonly description: string;
  /** Whether faces carry 5 landmarks (box-only families give `landmarks: []`). */
  readonly landmarks: boolean;
  readonly input: {
    channelOrder: 'rgb' | 'bgr';
    mean: Triple;
    std: Triple;
  };
  readonly sizing: { kind: 'fixed' } | { kind: 'dynamic'; multipleOf: number };
  readonly defaults: {
    minScore: number;
    iouThreshold: number;
    /** Whole-frame input size for dynamic models (fixed models use their own). */
    inputSize: Size;
  };
  /** Smallest face side, in tensor pixels, the model finds reliably. */
  readonly minVisibleFace: number;
  bindInput(signature: ModelSignature): InputBinding;
  bindOutputs(signature: ModelSignature, outputDims: Record<string, number[]>, inputSize: Size): DecodeSpec;
}

/** A ModelError saying what the family expected and what the model has. */
export function modelMismatch(family: string, expected: string, signature: ModelSignature, outputDims?: Record<string, number[]>): ModelError {
  const outs = signature.outputNames
    .map((n) => (outputDims?.[n] ? `${n} [${outputDims[n]!.join(', ')}]` : n))
    .join(', ');
  const ins = signature.inputNames
    .slice(0, 4)
    .map((n) => `${n} [${(signature.inputShapes[n] ?? []).join(', ')}]`)
    .join(', ');
  return new ModelError(
    `The model does not fit the '${family}' detector family: expected ${expected}; ` +
      `the model has inputs ${ins}${signature.inputNames.length > 4 ? ', ...' : ''} and outputs ${outs}`,
  );
}

/**
 * The usual image-input binding: the first input of shape [1|N, 3, H, W]
 * (preferring one whose name is not a weight). Fixed when H and W are numbers.
 */
export function bindImageInput(family: string, signature: ModelSignature, sizing: 'fixed' | 'dynamic'): InputBinding {
  for (const name of signature.inputNames) {
    const shape = signature.inputShapes[name] ?? [];
    if (shape.length !== 4 || shape[1] !== 3) continue;
    const [, , h, w] = shape;
    if (typeof w === 'number' && typeof h === 'number' && w > 0 && h > 0) {
      return { name, fixedSize: [w, h] };
    }
    if (sizing === 'dynamic') return { name, fixedSize: null };
    throw modelMismatch(family, 'an input of fixed size [1, 3, H, W]', signature);
  }
  throw modelMismatch(family, 'an image input of shape [1, 3, H, W]', signature);
}
