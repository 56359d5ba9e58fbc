/**
 * Loading face-api's networks for FaceApiSsdDetector and FaceApiLandmarker:
 * model bytes (given, from the registry, or converted in memory), an
 * inference pool whose signature is checked, inference options.
 */
import { invalidType, outOfRange } from '../../errors.js';
import { convertFaceApiModel, type FaceApiModelName } from '../../convert/faceapi/index.js';
import { InferencePool, normaliseInferenceOptions, type InferenceOptions } from '../../inference/pool.js';
import { modelMismatch } from '../types.js';

export function checkModel(param: string, v: unknown): string | Uint8Array | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string' && v.length > 0) return v;
  if (v instanceof Uint8Array && v.byteLength > 0) return v;
  throw invalidType(param, 'a path to an .onnx file, a registry model name or the model bytes', v);
}

/**
 * Model bytes: given bytes as they are; a string through the model registry
 * (a registry name such as 'faceapi-ssd' is converted on first use, a path
 * with a manifest beside it is sha256-checked); nothing: converted in memory
 * from the installed @vladmandic/face-api.
 */
export async function modelBytes(
  param: string,
  given: string | Uint8Array | undefined,
  task: 'detector' | 'landmarks',
  fallback: FaceApiModelName,
): Promise<Uint8Array> {
  if (given instanceof Uint8Array) return given;
  if (given === undefined) return (await convertFaceApiModel(fallback)).onnx;
  const { resolveModel } = await import('../../models/registry.js');
  return (await resolveModel(given, { task, param })).bytes;
}

export async function createPool(model: string | Uint8Array, inf: InferenceOptions, param: string, outputs: string[], size: number): Promise<InferencePool> {
  const pool = await InferencePool.create(model, inf, param);
  try {
    checkSignature(pool, param, outputs, [size, size]);
  } catch (err) {
    await pool.close();
    throw err;
  }
  return pool;
}

export function inferenceOptions(o: Partial<Record<string, unknown>>): InferenceOptions {
  const inf: InferenceOptions = {};
  if (o.executionProviders !== undefined) inf.executionProviders = o.executionProviders as InferenceOptions['executionProviders'];
  if (o.workers !== undefined) inf.workers = o.workers as number;
  if (o.intraOpNumThreads !== undefined) inf.intraOpNumThreads = o.intraOpNumThreads as number;
  normaliseInferenceOptions('options', inf);
  return inf;
}

export function checkNet(v: unknown): 'full' | 'tiny' {
  if (v === undefined) return 'full';
  if (v === 'full' || v === 'tiny') return v;
  throw (typeof v === 'string' ? outOfRange : invalidType)('options.landmarkNet', "'full' or 'tiny'", v);
}

function checkSignature(pool: InferencePool, param: string, outputs: string[], size: [number, number]): void {
  const name = pool.inputNames[0];
  const shape = name === undefined ? undefined : pool.inputShapes[name];
  const ok =
    pool.inputNames.length === 1 &&
    shape?.length === 4 &&
    shape[1] === 3 &&
    shape[2] === size[1] &&
    shape[3] === size[0] &&
    outputs.every((o) => pool.outputNames.includes(o));
  if (!ok) {
    throw modelMismatch(
      'faceapi-ssd',
      `for ${param} one input [N, 3, ${size[1]}, ${size[0]}] and outputs ${outputs.join(', ')}`,
      { inputNames: pool.inputNames, inputShapes: pool.inputShapes, outputNames: pool.outputNames },
    );
  }
}
