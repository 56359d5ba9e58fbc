/**
 * livefr/eval: the evaluation toolkit. Measure verification and open-set
 * identification accuracy on your own data, with degradations and
 * demographic groups, and calibrate a watchlist's threshold to a
 * false-alert target. See docs/evaluation.md.
 */
import type { ProgressCallback } from '../util/progress.js';
import { invalidType, outOfRange } from '../errors.js';
import { checkOptions } from '../validate.js';
import type { Dataset } from './dataset.js';
import type { Degradation } from './degrade.js';
import { embedDataset, type Embeddings } from './embed.js';
import { FaceEncoder, type EncoderConfig } from './encoder.js';
import { evaluateIdentification, type IdentifyOptions, type IdentifyResult } from './identify.js';
import { evaluateVerification, type VerifyResult } from './verify.js';

export { calibrate, applyCalibration, fpirFromFmr, fmrFromFpir, fpirPredictionInterval, parseScoreFile } from './calibrate.js';
export type { Calibration, CalibrateOptions, CalibrationMethod, CalibrationSource, ThresholdTarget } from './calibrate.js';
export type { ProgressEvent, ProgressCallback } from '../util/progress.js';
export * from './metrics/index.js';
export * from './stats.js';
export * from './demographics.js';
export { openDataset, parsePairs, allImages } from './dataset.js';
export type { Dataset, Person, Pair } from './dataset.js';
export { parseDegradation, degradationLabel, degradeImage, SCENE_SIZE } from './degrade.js';
export type { Degradation, DegradedImage } from './degrade.js';
export { EmbeddingCache } from './cache.js';
export { FaceEncoder, defaultEncoderConfig, encoderKey } from './encoder.js';
export type { EncoderConfig } from './encoder.js';
export { embedDataset, DEFAULT_CACHE_DIR } from './embed.js';
export type { Embeddings, EmbedOptions } from './embed.js';
export { evaluateVerification, FAILURE_SCORE } from './verify.js';
export type { VerifyResult } from './verify.js';
export { evaluateIdentification, crossIdentityScores, searchTopScores } from './identify.js';
export type { IdentifyOptions, IdentifyResult, SizeResult } from './identify.js';
export { renderReport } from './report.js';
export type { ReportInput, ReportRun } from './report.js';

export interface RunOptions {
  /** Degradations to evaluate besides the clean run. */
  degradations?: Degradation[];
  cacheDir?: string | null;
  /** Progress of each embedding pass (see embedDataset). */
  onProgress?: ProgressCallback;
}

const RUN_KEYS = ['degradations', 'cacheDir', 'onProgress'] as const;

/** One condition (clean or degraded) and its embeddings. */
interface Condition {
  label: string;
  probe: Embeddings;
}

async function conditions(ds: Dataset, config: EncoderConfig, images: string[], probeImages: string[], options: RunOptions): Promise<{ gallery: Embeddings; runs: Condition[] }> {
  const encoder = await FaceEncoder.load(config);
  try {
    const common = { images, cacheDir: options.cacheDir, onProgress: options.onProgress, encoder };
    const gallery = await embedDataset(ds, config, common);
    const runs: Condition[] = [{ label: 'clean', probe: gallery }];
    for (const d of options.degradations ?? []) {
      const probe = await embedDataset(ds, config, { ...common, images: probeImages, degradation: d });
      runs.push({ label: probe.degradation, probe });
    }
    return { gallery, runs };
  } finally {
    await encoder.close();
  }
}

/** `livefr eval verify` as an API: the clean run, then one per degradation. */
export async function runVerify(ds: Dataset, config: EncoderConfig, options: RunOptions & { fars?: number[] } = {}): Promise<{ label: string; result: VerifyResult }[]> {
  checkOptions('options', options, [...RUN_KEYS, 'fars']);
  if (!ds || !Array.isArray(ds.pairs) || ds.pairs.length === 0) throw outOfRange('ds', 'a Dataset with pairs (pairs.txt)', ds);
  const pairs = ds.pairs ?? [];
  const images = [...new Set(pairs.flatMap((p) => [p.a, p.b]))];
  // Only the second image of each pair is degraded.
  const probes = [...new Set(pairs.map((p) => p.b))];
  const { gallery, runs } = await conditions(ds, config, images, probes, options);
  return runs.map((c) => ({ label: c.label, result: evaluateVerification(ds, gallery, c.probe, options.fars) }));
}

/** `livefr eval identify` as an API: the clean run, then one per degradation. */
export async function runIdentify(ds: Dataset, config: EncoderConfig, options: RunOptions & IdentifyOptions = {}): Promise<{ label: string; result: IdentifyResult }[]> {
  checkOptions('options', options, [...RUN_KEYS, 'sizes', 'enrolPerPerson', 'seed', 'fpirs', 'groups', 'threshold']);
  if (!ds || !Array.isArray(ds.people)) throw invalidType('ds', 'a Dataset from openDataset()', ds);
  const images = ds.people.flatMap((p) => p.images);
  const { gallery, runs } = await conditions(ds, config, images, images, options);
  const out: { label: string; result: IdentifyResult }[] = [];
  for (const c of runs) out.push({ label: c.label, result: await evaluateIdentification(gallery, c.probe, options) });
  return out;
}
