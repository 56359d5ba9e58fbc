/**
 * livefr calibrate --target-fpir R --watchlist-size N (--data DIR | --scores FILE)
 * The threshold meeting a false-alert target for a watchlist size, with its
 * confidence interval. See lib/calibrate.ts and docs/evaluation.md.
 */
import { readFile } from 'node:fs/promises';
import { applyCalibration, calibrate, parseScoreFile, type CalibrationSource } from '../../eval/calibrate.js';
import { FileFormatError, LivefrRangeError } from '../../errors.js';
import { openDataset } from '../../eval/dataset.js';
import { DEFAULT_CACHE_DIR, embedDataset } from '../../eval/embed.js';
import { crossIdentityScores } from '../../eval/identify.js';
import { parseArgs, usage, UsageError, type FlagSpec } from '../args.js';
import { DETECTOR_FLAGS, EMBEDDER_FLAGS, encoderConfig } from '../model-flags.js';
import { progressBar } from '../progress.js';

const SPEC: Record<string, FlagSpec> = {
  'target-fpir': { type: 'number', description: 'false-alert target: fraction of searches of people not on the watchlist that alert' },
  'watchlist-size': { type: 'number', description: 'identities on the watchlist' },
  'templates-per-identity': { type: 'number', default: 1, description: 'templates per identity (comparisons per search = N x this)' },
  scores: { type: 'string', description: 'JSON: an array of 1:1 impostor scores, or an `eval --json` result' },
  data: { type: 'string', description: 'data set folder: every cross-identity pair is an impostor score' },
  confidence: { type: 'number', default: 0.95, description: 'confidence level of the intervals' },
  cache: { type: 'string', env: 'LIVEFR_CACHE', default: DEFAULT_CACHE_DIR, description: 'embedding cache folder (with --data)' },
  workers: { type: 'number', default: 1, description: 'inference worker threads per model (with --data)' },
  apply: { type: 'string', description: 'a saved watchlist file: set its threshold to the calibrated one (recorded with the calibration) and save it' },
  force: { type: 'boolean', description: 'with --apply: allow a threshold below the watchlist\'s calibrated one' },
  json: { type: 'boolean', description: 'print one JSON object' },
  quiet: { type: 'boolean', description: 'no progress bar' },
  ...DETECTOR_FLAGS,
  ...EMBEDDER_FLAGS,
  help: { type: 'boolean', description: 'show this help' },
};

/** Picks the scores of an eval result measured at `size` (identify results hold one entry per size). */
function sourceFromFile(text: string, name: string, size: number): CalibrationSource {
  const v = JSON.parse(text) as { kind?: string; sizes?: { watchlistSize: number; scores: { nonMatedScores: number[] } }[] };
  if (v && v.kind === 'identify' && Array.isArray(v.sizes)) {
    const s = v.sizes.find((x) => x.watchlistSize === size);
    if (!s) throw new FileFormatError(`${name} has no identify result at watchlist size ${size} (it has ${v.sizes.map((x) => x.watchlistSize).join(', ')})`);
    return { nonMatedScores: s.scores.nonMatedScores, watchlistSize: size };
  }
  return parseScoreFile(text, name);
}

export async function run(argv: string[]): Promise<number> {
  const { flags, positional } = parseArgs(argv, SPEC);
  if (flags.help) {
    process.stdout.write(usage('calibrate', '--target-fpir R --watchlist-size N (--data DIR | --scores FILE)', SPEC) + '\n');
    return 0;
  }
  if (positional.length) throw new UsageError('arguments', `Unexpected argument ${JSON.stringify(positional[0])}`);
  if (flags['target-fpir'] === undefined) throw new UsageError('--target-fpir', '--target-fpir R is required');
  if (flags['watchlist-size'] === undefined) throw new UsageError('--watchlist-size', '--watchlist-size N is required');
  if ((flags.scores === undefined) === (flags.data === undefined)) throw new UsageError('--scores', 'give exactly one of --scores FILE or --data DIR');
  const size = flags['watchlist-size'] as number;
  let source: CalibrationSource;
  if (flags.scores !== undefined) {
    let text: string;
    try {
      text = await readFile(flags.scores as string, 'utf8');
    } catch (err) {
      throw new FileFormatError(`Cannot read ${flags.scores}: ${(err as Error).message}`);
    }
    try {
      source = sourceFromFile(text, flags.scores as string, size);
    } catch (err) {
      if (err instanceof SyntaxError) throw new FileFormatError(`${flags.scores} is not JSON: ${err.message}`);
      throw err;
    }
  } else {
    const ds = await openDataset(flags.data as string, '--data');
    const emb = await embedDataset(ds, encoderConfig(flags), { cacheDir: flags.cache as string, onProgress: progressBar(Boolean(flags.quiet)) });
    source = { impostorScores: crossIdentityScores(emb) };
  }
  const c = calibrate({
    evalResult: source,
    targetFPIR: flags['target-fpir'] as number,
    watchlistSize: size,
    templatesPerIdentity: flags['templates-per-identity'] as number,
    confidence: flags.confidence as number,
  });
  if (flags.apply !== undefined) {
    const { Watchlist } = await import('../../watchlist/index.js');
    const file = flags.apply as string;
    const w = await Watchlist.load(file);
    try {
      applyCalibration(w, c, { force: Boolean(flags.force) });
    } catch (err) {
      if (err instanceof LivefrRangeError) throw new LivefrRangeError('--force', `${file}: ${err.message} (on the command line: --force)`);
      throw err;
    }
    await w.save(file);
    if (!flags.quiet) process.stderr.write(`${file}: threshold set to ${c.threshold.toFixed(4)}\n`);
  }
  if (flags.json) process.stdout.write(JSON.stringify(c) + '\n');
  else {
    const p = (x: number) => x.toExponential(2);
    process.stdout.write(
      [
        `threshold ${c.threshold.toFixed(4)} for FPIR <= ${c.targetFPIR} with ${c.watchlistSize} identities (${c.method})`,
        c.method === 'per-comparison' ? `  per-comparison FMR ${p(c.targetRate)} = 1 - (1 - FPIR)^(1/${c.comparisons}); ${c.tailCount} of ${c.samples} impostor scores reach it` : `  ${c.tailCount} of ${c.samples} non-mated searches reach it`,
        `  expected FPIR ${p(c.expectedFPIR)}, ${100 * c.confidence}% interval ${p(c.fpirInterval[0])} .. ${p(c.fpirInterval[1])}`,
        `  threshold ${100 * c.confidence}% interval ${c.thresholdInterval[0].toFixed(4)} .. ${c.thresholdInterval[1].toFixed(4)}`,
      ].join('\n') + '\n',
    );
  }
  return 0;
}
