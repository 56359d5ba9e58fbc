/**
 * Flags shared by every command that runs models (detect, enroll, match,
 * eval): which detector and embedder to use, from flags or environment.
 * With none given, the default models of the registry are used.
 */
import type { EncoderConfig } from '../eval/encoder.js';
import type { FlagSpec } from './args.js';

export const DETECTOR_FLAGS: Record<string, FlagSpec> = {
  detector: { type: 'string', env: 'LIVEFR_DETECTOR', description: 'detector family (yunet, scrfd, retinaface, ultraface, ...)' },
  'detector-model': { type: 'string', env: 'LIVEFR_DETECTOR_MODEL', description: 'detector ONNX file or registry name' },
  'min-score': { type: 'number', description: 'detection score threshold' },
};

export const EMBEDDER_FLAGS: Record<string, FlagSpec> = {
  'embedder-model': { type: 'string', env: 'LIVEFR_EMBEDDER_MODEL', description: 'embedder ONNX file or registry name' },
  'embedder-mean': { type: 'string', env: 'LIVEFR_EMBEDDER_MEAN', description: 'embedder input mean, one value or r,g,b' },
  'embedder-std': { type: 'string', env: 'LIVEFR_EMBEDDER_STD', description: 'embedder input std, one value or r,g,b' },
  'embedder-order': { type: 'string', env: 'LIVEFR_EMBEDDER_ORDER', description: 'embedder channel order: rgb or bgr' },
};

type Flags = Record<string, string | number | boolean | string[] | undefined>;

function triple(name: string, v: unknown): [number, number, number] | undefined {
  if (v === undefined) return undefined;
  const parts = String(v).split(',').map((s) => Number(s.trim()));
  if (!(parts.length === 1 || parts.length === 3) || parts.some((n) => !Number.isFinite(n))) {
    throw new RangeError(`Expected one number or three comma-separated numbers for --${name} but received ${JSON.stringify(v)}`);
  }
  return parts.length === 1 ? [parts[0]!, parts[0]!, parts[0]!] : [parts[0]!, parts[1]!, parts[2]!];
}

/** Options for Detector.load() from the shared flags (only those given). */
export function detectorOptions(flags: Flags): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (flags.detector !== undefined) o.family = flags.detector;
  if (flags['detector-model'] !== undefined) o.model = flags['detector-model'];
  return o;
}

/** Options for detector.detect() from the shared flags. */
export function detectOptions(flags: Flags): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (flags['min-score'] !== undefined) o.minScore = flags['min-score'];
  return o;
}

/** Options for Embedder.load() from the shared flags (only those given). */
export function embedderOptions(flags: Flags): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (flags['embedder-model'] !== undefined) {
    o.family = 'arcface';
    o.model = flags['embedder-model'];
  }
  const mean = triple('embedder-mean', flags['embedder-mean']);
  const std = triple('embedder-std', flags['embedder-std']);
  if (mean) o.mean = mean;
  if (std) o.std = std;
  if (flags['embedder-order'] !== undefined) o.channelOrder = flags['embedder-order'];
  return o;
}

/** The evaluation encoder (detector + embedder) the model flags describe (eval, calibrate, eval live). */
export function encoderConfig(flags: Flags): EncoderConfig {
  const d = detectorOptions(flags);
  const e = embedderOptions(flags);
  const c: EncoderConfig = { workers: flags.workers as number };
  if (d.family !== undefined) c.detector = d.family as string;
  if (d.model !== undefined) c.detectorModel = d.model as string;
  const s = detectOptions(flags);
  if (s.minScore !== undefined) c.minScore = s.minScore as number;
  if (e.model !== undefined) c.embedderModel = e.model as string;
  if (e.mean !== undefined) c.embedderMean = e.mean as [number, number, number];
  if (e.std !== undefined) c.embedderStd = e.std as [number, number, number];
  if (e.channelOrder !== undefined) c.embedderOrder = e.channelOrder as 'rgb' | 'bgr';
  return c;
}
