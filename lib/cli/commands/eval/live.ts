/**
 * livefr eval live --data DIR --scenes DIR: the live-like protocol in one
 * command (lib/eval/live/, docs/evaluation.md). Builds the deterministic
 * set (faces pasted at given widths into full-HD crowd scenes, blur, JPEG),
 * runs detection on every whole frame, and prints pasted-face recall and
 * rank-1 per face width and TPIR at each FPIR (refused when too few
 * non-mated searches support it).
 */
import { writeFile } from 'node:fs/promises';
import { openDataset } from '../../../eval/dataset.js';
import { DEFAULT_CACHE_DIR } from '../../../eval/embed.js';
import { buildLiveSet, listScenes, type LiveSetOptions } from '../../../eval/live/set.js';
import { runLive, type LiveConfig } from '../../../eval/live/run.js';
import type { LiveFigures, RateByWidth } from '../../../eval/live/metrics.js';
import { LANDMARK_STAGES, type LandmarkStageName } from '../../../detectors/landmark-stage.js';
import { parseArgs, usage, UsageError, type FlagSpec } from '../../args.js';
import { DETECTOR_FLAGS, EMBEDDER_FLAGS, encoderConfig } from '../../model-flags.js';
import { INTERPOLATIONS, type Interpolation } from '../../../preprocess.js';
import { progressBar } from '../../progress.js';

type Flags = Record<string, string | number | boolean | string[] | undefined>;

export const LIVE_FLAGS: Record<string, FlagSpec> = {
  data: { type: 'string', env: 'LIVEFR_EVAL_DATA', description: 'LFW-layout folder: images/<id>/*.jpg, one centred face per image' },
  scenes: { type: 'string', env: 'LIVEFR_EVAL_SCENES', description: 'folder of crowd photos (their faces are passers-by)' },
  'watchlist-size': { type: 'number', default: 300, description: 'people on the watchlist (each enrolled with one clean image)' },
  widths: { type: 'string', default: '32,40,48,64', description: 'pasted face widths in pixels, comma-separated' },
  'faces-per-frame': { type: 'number', default: 10, description: 'pasted faces per 1920x1080 frame' },
  'probes-per-person': { type: 'number', default: 3, description: 'mated probe images per watchlist person, at most' },
  'non-mated-per-person': { type: 'number', default: 2, description: 'pasted images per person not on the watchlist, at most' },
  seed: { type: 'number', default: 1, description: 'seed of every draw (same seed, same set)' },
  fpir: { type: 'string', default: '0.01,0.001,0.0001', description: 'FPIR targets, comma-separated' },
  landmarks: { type: 'string', description: `landmark stage on the detector's boxes: ${LANDMARK_STAGES.join(', ')}` },
  tile: { type: 'string', description: 'tiling: auto (default), on (at the scale smallest-face needs), off' },
  'smallest-face': { type: 'number', description: 'smallest face side tiling must make visible (default 32)' },
  'max-tiles': { type: 'number', description: 'upper bound on tiles for tile auto (default 12)' },
  flip: { type: 'boolean', description: 'average each face embedding with its mirror image (Embedder flip)' },
  interpolation: { type: 'string', description: 'alignment warp sampling: bilinear (default), bicubic, area' },
  sharpen: { type: 'number', description: 'unsharp-mask amount (0 to 4) on faces smaller than the crop (default 0)' },
  json: { type: 'boolean', description: 'print one JSON object' },
  out: { type: 'string', description: 'also write the JSON figures to this file' },
  cache: { type: 'string', env: 'LIVEFR_CACHE', default: DEFAULT_CACHE_DIR, description: 'cache folder (rendered frames, detections, embeddings)' },
  'no-cache': { type: 'boolean', description: 'do not read or write the cache' },
  workers: { type: 'number', default: 1, description: 'inference worker threads per model' },
  quiet: { type: 'boolean', description: 'no progress bar' },
  ...DETECTOR_FLAGS,
  ...EMBEDDER_FLAGS,
  help: { type: 'boolean', description: 'show this help' },
};

function numberList(flag: string, v: string): number[] {
  return v.split(',').map((s) => {
    const n = Number(s);
    if (s.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${flag}`, `Expected numbers for --${flag} but received ${JSON.stringify(s)}`);
    return n;
  });
}

/** The LiveConfig of the flags. */
export function liveConfig(flags: Flags): LiveConfig {
  const e = encoderConfig(flags);
  const c: LiveConfig = {};
  if (e.detector) c.detector = e.detector;
  if (e.detectorModel) c.detectorModel = e.detectorModel;
  if (e.minScore !== undefined) c.minScore = e.minScore;
  if (e.embedderModel) c.embedderModel = e.embedderModel;
  if (e.embedderMean) c.embedderMean = e.embedderMean;
  if (e.embedderStd) c.embedderStd = e.embedderStd;
  if (e.embedderOrder) c.embedderOrder = e.embedderOrder;
  if (flags.landmarks !== undefined) {
    if (!(LANDMARK_STAGES as readonly string[]).includes(flags.landmarks as string)) {
      throw new UsageError('--landmarks', `Expected one of ${LANDMARK_STAGES.join(', ')} for --landmarks but received ${JSON.stringify(flags.landmarks)}`);
    }
    c.landmarks = flags.landmarks as LandmarkStageName;
  }
  if (flags.tile !== undefined) {
    const t = flags.tile as string;
    if (!['auto', 'on', 'off'].includes(t)) throw new UsageError('--tile', `Expected auto, on or off for --tile but received ${JSON.stringify(t)}`);
    c.tile = t === 'auto' ? 'auto' : t === 'on';
  }
  if (flags['smallest-face'] !== undefined) c.smallestFace = flags['smallest-face'] as number;
  if (flags['max-tiles'] !== undefined) c.maxTiles = flags['max-tiles'] as number;
  if (flags.flip) c.flip = true;
  if (flags.interpolation !== undefined) {
    if (!(INTERPOLATIONS as readonly string[]).includes(flags.interpolation as string)) {
      throw new UsageError('--interpolation', `Expected one of ${INTERPOLATIONS.join(', ')} for --interpolation but received ${JSON.stringify(flags.interpolation)}`);
    }
    c.interpolation = flags.interpolation as Interpolation;
  }
  if (flags.sharpen !== undefined) {
    const v = flags.sharpen as number;
    if (!(v >= 0 && v <= 4)) throw new UsageError('--sharpen', `Expected a number from 0 to 4 for --sharpen but received ${v}`);
    c.sharpen = v;
  }
  return c;
}

const pct = (x: number | null) => (x === null || Number.isNaN(x) ? '—' : `${(100 * x).toFixed(1)}%`);
const perWidth = (rows: RateByWidth[]) => rows.map((r) => `${r.width === 'all' ? 'all' : `${r.width} px`} ${pct(r.rate)} (${r.count}/${r.of})`).join(', ');

export function printLive(f: LiveFigures, timing: { detectMsMedian: number; embedMsPerFace: number; frames: number }): string {
  const out = [
    `pasted-face detection recall: ${perWidth(f.recall)}`,
    `rank-1 (mated pasted faces, undetected = miss): ${perWidth(f.rank1)}`,
    `searches: ${f.searches.mated} mated, ${f.searches.nonMated} non-mated (every other detected face)`,
  ];
  for (const t of f.tpirAtFpir) {
    out.push(
      t.refused
        ? `TPIR @ FPIR ${t.fpir}: refused: ${t.refused}`
        : `TPIR @ FPIR ${t.fpir}: ${pct(t.tpir)} [${pct(t.tpirInterval!.low)}, ${pct(t.tpirInterval!.high)}] at threshold ${t.threshold!.toFixed(4)} (${t.falseAlerts} false alerts); by width: ${perWidth(t.byWidth!)}`,
    );
  }
  out.push(`detection ${timing.detectMsMedian.toFixed(0)} ms per frame (median of ${timing.frames}), embedding ${timing.embedMsPerFace.toFixed(1)} ms per face`);
  return out.join('\n') + '\n';
}

export async function runEvalLive(argv: string[]): Promise<number> {
  const { flags, positional } = parseArgs(argv, LIVE_FLAGS);
  if (flags.help) {
    process.stdout.write(usage('eval live', '--data DIR --scenes DIR [options]', LIVE_FLAGS) + '\n');
    return 0;
  }
  if (positional.length) throw new UsageError('arguments', `Unexpected argument ${JSON.stringify(positional[0])}`);
  if (typeof flags.data !== 'string') throw new UsageError('--data', '--data DIR is required (a folder with images/<id>/*.jpg)');
  if (typeof flags.scenes !== 'string') throw new UsageError('--scenes', '--scenes DIR is required (a folder of crowd photos)');
  const setOptions: LiveSetOptions = {
    watchlistSize: flags['watchlist-size'] as number,
    widths: numberList('widths', flags.widths as string),
    facesPerFrame: flags['faces-per-frame'] as number,
    probesPerPerson: flags['probes-per-person'] as number,
    nonMatedPerPerson: flags['non-mated-per-person'] as number,
    seed: flags.seed as number,
  };
  const ds = await openDataset(flags.data, '--data');
  const set = await buildLiveSet(ds, listScenes(flags.scenes, '--scenes'), setOptions);
  const config = liveConfig(flags);
  const r = await runLive(set, config, {
    cacheDir: flags['no-cache'] ? null : (flags.cache as string),
    onProgress: progressBar(Boolean(flags.quiet)),
    fpirs: numberList('fpir', flags.fpir as string),
  });
  const json = { kind: 'live', set: { key: set.key, counts: set.counts, options: set.options }, config, figures: r.figures, timing: r.timing };
  if (flags.out) await writeFile(flags.out as string, JSON.stringify(json, null, 1) + '\n');
  if (flags.json) process.stdout.write(JSON.stringify(json) + '\n');
  else {
    process.stdout.write(`live-like set ${set.key.slice(0, 12)}: ${set.counts.frames} frames of ${set.options.frameSize.join('x')}, ${set.watchlist.length} people enrolled, ${set.counts.matedPasted} mated and ${set.counts.nonMatedPasted} non-mated faces pasted\n`);
    process.stdout.write(printLive(r.figures, r.timing));
  }
  return 0;
}
