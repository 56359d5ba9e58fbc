/**
 * Converts @vladmandic/face-api's weight manifests to ONNX (opset 17, NCHW,
 * float32, dynamic batch). The network structure is not in the files: it is
 * written here from the weight names and face-api's published forward pass
 * (see recognition.ts, ssd.ts, landmarks.ts and docs/faceapi-models.md).
 *
 * Graph inputs take the image already normalised as face-api does it (the
 * `input.normalisation` field says how: (pixel - mean) / std per channel, RGB).
 */
import { sourceInput } from '../../models/catalog.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { checkOptions, checkString } from '../../validate.js';
import { outOfRange } from '../../errors.js';
import { buildLandmarkGraph, LANDMARK_INPUT } from './landmarks.js';
import { faceApiModelDir, faceApiVersion, loadWeightMap } from './manifest.js';
import { buildRecognitionGraph, RECOGNITION_INPUT } from './recognition.js';
import { buildSsdGraph, SSD_ANCHORS, SSD_INPUT } from './ssd.js';

export { loadWeightMap, faceApiModelDir, faceApiVersion } from './manifest.js';
export type { WeightMap, WeightTensor } from './manifest.js';
export { generateSsdAnchors, decodeSsdBoxes, SSD_ANCHORS, SSD_INPUT } from './ssd.js';
export { LANDMARK_INPUT } from './landmarks.js';
export { RECOGNITION_INPUT } from './recognition.js';

export const FACEAPI_MODELS = [
  'face_recognition_model',
  'ssd_mobilenetv1_model',
  'face_landmark_68_model',
  'face_landmark_68_tiny_model',
] as const;
export type FaceApiModelName = (typeof FACEAPI_MODELS)[number];

export interface Normalisation {
  /** Per-channel mean subtracted from 0..255 pixel values, in colourOrder. */
  mean: [number, number, number];
  /** Per-channel divisor applied after the mean. */
  std: [number, number, number];
}

export interface FaceApiInput {
  name: string;
  /** ['N', 3, H, W]: NCHW, dynamic batch. */
  dims: (number | string)[];
  colourOrder: 'rgb';
  normalisation: Normalisation;
  /** How face-api fits a face or frame to the square input. */
  resize: string;
}

export interface FaceApiOutput {
  name: string;
  dims: (number | string)[];
  layout: string;
}

export interface FaceApiConversion {
  name: FaceApiModelName;
  task: 'embedder' | 'detector' | 'landmarks';
  onnx: Uint8Array;
  input: FaceApiInput;
  outputs: FaceApiOutput[];
  notes: string[];
  /** Source files read (manifest and shards). */
  sources: string[];
  packageVersion: string;
}

export interface ConvertFaceApiOptions {
  /** Folder holding `<name>-weights_manifest.json` and its .bin (default: the installed package's model/). */
  modelDir?: string;
}

/** A face-api network's input convention, read from the model catalog (the one record of it). */
function catalogNormalisation(sourceId: FaceApiModelName): Normalisation {
  const input = sourceInput('faceapi', sourceId);
  if (!input) throw new Error(`internal: the model catalog has no face-api entry for ${sourceId}`);
  return { mean: [input.mean[0], input.mean[1], input.mean[2]], std: [input.std[0], input.std[1], input.std[2]] };
}

interface Spec {
  task: FaceApiConversion['task'];
  size: number;
  normalisation: Normalisation;
  resize: string;
  outputs: FaceApiOutput[];
  notes: string[];
  summary: string;
}

const SPECS: Record<FaceApiModelName, Spec> = {
  face_recognition_model: {
    task: 'embedder',
    size: RECOGNITION_INPUT,
    normalisation: catalogNormalisation('face_recognition_model'),
    resize: 'face box padded to a square (centred, zeros), resized to 150x150 bilinear',
    outputs: [{ name: 'embedding', dims: ['N', 128], layout: '128-d face descriptor, not L2-normalised (face-api compares by euclidean distance, 0.6 threshold)' }],
    notes: [
      'dlib-style ResNet-29 (face-api FaceRecognitionNet); scale layers folded into the convolutions.',
      'face-api divides by 255 after subtracting the mean (not 256).',
      'Trained on dlib\'s aligned 150x150 chips; face-api feeds the detection box unaligned.',
    ],
    summary: '128-d ResNet face descriptor (dlib-style)',
  },
  ssd_mobilenetv1_model: {
    task: 'detector',
    size: SSD_INPUT,
    normalisation: catalogNormalisation('ssd_mobilenetv1_model'),
    resize: 'frame padded to a square at the bottom/right (zeros before normalisation), resized to 512x512 bilinear',
    outputs: [
      { name: 'box_encodings', dims: ['N', SSD_ANCHORS, 4], layout: '(ty, tx, th, tw) per anchor; decode with variances 10, 10, 5, 5 against generateSsdAnchors() ([ymin, xmin, ymax, xmax])' },
      { name: 'scores', dims: ['N', SSD_ANCHORS], layout: 'sigmoid face score per anchor' },
    ],
    notes: [
      'TF Object Detection API SSD MobileNetV1 at 512x512, 5118 anchors on 6 feature maps (32,16,8,4,2,1).',
      'Batch norm folded into the depthwise convolutions; relu6 as Clip(0, 6).',
      'Decoding and NMS are outside the graph (face-api: IoU 0.5, minConfidence 0.5, maxResults 100).',
    ],
    summary: 'SSD MobileNetV1 face detector',
  },
  face_landmark_68_model: {
    task: 'landmarks',
    size: LANDMARK_INPUT,
    normalisation: catalogNormalisation('face_landmark_68_model'),
    resize: 'face box padded to a square (centred, zeros), resized to 112x112 bilinear',
    outputs: [{ name: 'landmarks', dims: ['N', 136], layout: '68 (x, y) pairs interleaved, relative to the square input (0..1); iBUG 68-point order' }],
    notes: ['4 dense blocks of depthwise-separable convolutions, 7x7 average pool, fc 256 -> 136.'],
    summary: '68-point face landmarks',
  },
  face_landmark_68_tiny_model: {
    task: 'landmarks',
    size: LANDMARK_INPUT,
    // The tiny net shares the full net's convention (and its catalog entry's input).
    normalisation: catalogNormalisation('face_landmark_68_model'),
    resize: 'face box padded to a square (centred, zeros), resized to 112x112 bilinear',
    outputs: [{ name: 'landmarks', dims: ['N', 136], layout: '68 (x, y) pairs interleaved, relative to the square input (0..1); iBUG 68-point order' }],
    notes: ['3 dense blocks of depthwise-separable convolutions, 14x14 average pool, fc 128 -> 136.'],
    summary: '68-point face landmarks (tiny)',
  },
};

function checkName(name: unknown): FaceApiModelName {
  checkString('name', name);
  if (!(FACEAPI_MODELS as readonly string[]).includes(name as string)) {
    throw outOfRange('name', `one of ${FACEAPI_MODELS.map((m) => `'${m}'`).join(', ')}`, name);
  }
  return name as FaceApiModelName;
}

/**
 * Converts one face-api network to ONNX. Reads the manifest and shards from
 * `opts.modelDir` (default: node_modules/@vladmandic/face-api/model).
 * Throws ModelError naming the file/tensor on truncated or incomplete weights.
 */
export async function convertFaceApiModel(name: FaceApiModelName, opts?: ConvertFaceApiOptions): Promise<FaceApiConversion> {
  const model = checkName(name);
  const o = checkOptions('opts', opts, ['modelDir'] as const);
  const dir = o.modelDir === undefined ? faceApiModelDir() : path.resolve(checkString('opts.modelDir', o.modelDir));
  const wm = loadWeightMap(dir, model);
  const spec = SPECS[model];
  const g =
    model === 'face_recognition_model'
      ? buildRecognitionGraph(wm)
      : model === 'ssd_mobilenetv1_model'
        ? buildSsdGraph(wm)
        : buildLandmarkGraph(wm, model === 'face_landmark_68_tiny_model');
  const version = faceApiVersion();
  const onnx = g.toBytes({
    source: `@vladmandic/face-api@${version}/model/${model}`,
    licence: 'MIT',
    converter: 'livefr faceapi 1',
    colour_order: 'rgb',
    mean: spec.normalisation.mean.join(','),
    std: spec.normalisation.std.join(','),
  });
  return {
    name: model,
    task: spec.task,
    onnx,
    input: { name: 'input', dims: ['N', 3, spec.size, spec.size], colourOrder: 'rgb', normalisation: spec.normalisation, resize: spec.resize },
    outputs: spec.outputs,
    notes: spec.notes,
    sources: [wm.manifestPath, ...wm.shards],
    packageVersion: version,
  };
}

export interface FaceApiCandidate {
  name: FaceApiModelName;
  package: '@vladmandic/face-api';
  version: string;
  /** Manifest and shards, relative to the package folder. */
  files: string[];
  task: FaceApiConversion['task'];
  description: string;
  licence: 'MIT';
  inputSize: [number, number];
  colourOrder: 'rgb';
  normalisation: Normalisation;
  resize: string;
  outputs: FaceApiOutput[];
}

/** The manifest and the shards it lists, relative to the package folder. */
function manifestFiles(name: FaceApiModelName): string[] {
  const manifest = `model/${name}-weights_manifest.json`;
  try {
    const groups = JSON.parse(readFileSync(path.join(faceApiModelDir(), `${name}-weights_manifest.json`), 'utf8')) as { paths: string[] }[];
    return [manifest, ...groups.flatMap((g) => g.paths.map((p) => `model/${p}`))];
  } catch {
    return [manifest, `model/${name}.bin`];
  }
}

/** The face-api networks livefr can convert, described for the model registry. */
export function listFaceApiCandidates(): FaceApiCandidate[] {
  const version = faceApiVersion();
  return FACEAPI_MODELS.map((name) => {
    const s = SPECS[name];
    return {
      name,
      package: '@vladmandic/face-api',
      version,
      files: manifestFiles(name),
      task: s.task,
      description: s.summary,
      licence: 'MIT',
      inputSize: [s.size, s.size],
      colourOrder: 'rgb',
      normalisation: s.normalisation,
      resize: s.resize,
      outputs: s.outputs,
    };
  });
}
