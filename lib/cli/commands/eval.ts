/**
 * livefr eval verify|identify --data DIR: measured accuracy on your data.
 * See docs/evaluation.md for the protocols.
 */
import { writeFile } from 'node:fs/promises';
import { outOfRange } from '../../errors.js';
import { loadGroups } from '../../eval/demographics.js';
import { openDataset } from '../../eval/dataset.js';
import { parseDegradation } from '../../eval/degrade.js';
import { DEFAULT_CACHE_DIR } from '../../eval/embed.js';
import type { EncoderConfig } from '../../eval/encoder.js';
import type { IdentifyResult } from '../../eval/identify.js';
import { renderReport, runIdentify, runVerify } from '../../eval/index.js';
import type { VerifyResult } from '../../eval/verify.js';
import { parseArgs, usage, UsageError, type FlagSpec } from '../args.js';
import { DETECTOR_FLAGS, EMBEDDER_FLAGS, encoderConfig } from '../model-flags.js';
import { progressBar } from '../progress.js';

type Flags = Record<string, string | number | boolean | string[] | undefined>;

const COMMON: Record<string, FlagSpec> = {
  data: { type: 'string', env: 'LIVEFR_EVAL_DATA', description: 'data set folder: images/<id>/*.jpg (+ pairs.txt for verify)' },
  json: { type: 'boolean', description: 'print one JSON object' },
  report: { type: 'string', description: 'write a self-contained HTML report to this file' },
  cache: { type: 'string', env: 'LIVEFR_CACHE', default: DEFAULT_CACHE_DIR, description: 'embedding cache folder' },
  'no-cache': { type: 'boolean', description: 'do not read or write the embedding cache' },
  degrade: { type: 'list', description: 'probe degradation, repeatable: size=32, ied=16, blur=2, jpeg=30, scene=32, joined with +' },
  workers: { type: 'number', default: 1, description: 'inference worker threads per model' },
  quiet: { type: 'boolean', description: 'no progress bar' },
  ...DETECTOR_FLAGS,
  ...EMBEDDER_FLAGS,
  help: { type: 'boolean', description: 'show this help' },
};

const IDENTIFY: Record<string, FlagSpec> = {
  ...COMMON,
  'watchlist-size': { type: 'list', description: 'watchlist sizes, repeatable or comma-separated; "max" = largest the data allows (default 100,1000,max)' },
  'enrol-per-person': { type: 'number', default: 1, description: 'enrolment images per watchlist person' },
  seed: { type: 'number', default: 1, description: 'seed of the watchlist draw' },
  fpir: { type: 'list', description: 'FPIR targets (default 0.01,0.001)' },
  groups: { type: 'string', description: 'CSV id,group for demographic differentials' },
  threshold: { type: 'number', description: 'operating threshold for the per-group table (default: the threshold at the first FPIR)' },
};

const VERIFY: Record<string, FlagSpec> = {
  ...COMMON,
  far: { type: 'list', description: 'FAR targets (default 0.01,0.001)' },
};

function numbers(flag: string, v: unknown): number[] | undefined {
  if (v === undefined) return undefined;
  return (v as string[]).flatMap((s) => s.split(',')).map((s) => {
    const n = Number(s);
    if (s.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${flag}`, `Expected numbers for --${flag} but received ${JSON.stringify(s)}`);
    return n;
  });
}

function settings(flags: Flags, c: EncoderConfig): Record<string, string | number> {
  const s: Record<string, string | number> = { data: flags.data as string };
  s.detector = `${c.detector ?? 'default'} ${c.detectorModel ?? ''}`.trim();
  s.embedder = c.embedderModel ?? 'default';
  if (c.embedderMean) s['embedder mean/std'] = `${c.embedderMean} / ${c.embedderStd ?? ''}`;
  return s;
}

function pct(x: number | null): string {
  return x === null ? '—' : `${(100 * x).toFixed(2)}%`;
}

function printVerify(label: string, r: VerifyResult): void {
  const out = [`[${label}] ${r.pairs} pairs, ${r.folds.length}-fold accuracy ${pct(r.accuracy)} ± ${pct(r.accuracyStd)}; detection failures: ${r.detectionFailures} pairs`];
  out.push(`  folds: ${r.folds.map((f) => `${pct(f.accuracy)} @ ${f.threshold.toFixed(3)}`).join(', ')}`);
  for (const t of r.tarAtFar) out.push(`  TAR @ FAR ${t.target}: ${t.refused ? `refused: ${t.refused}` : `${pct(t.tar)} (threshold ${t.threshold!.toFixed(4)}, ${t.negatives} impostors)`}`);
  process.stdout.write(out.join('\n') + '\n');
}

function printIdentify(label: string, r: IdentifyResult): void {
  const out = [`[${label}] open-set identification, ${r.enrolPerPerson} enrolment image(s) per person, seed ${r.seed}`];
  for (const s of r.sizes) {
    out.push(`  N=${s.watchlistSize}: rank-1 ${pct(s.rank1.rate)}; ${s.matedSearches} mated / ${s.nonMatedSearches} non-mated searches; no face: ${s.detectionFailures.mated} / ${s.detectionFailures.nonMated}; enrolment failures ${s.enrolFailures}`);
    for (const f of s.fnirAtFpir) out.push(`    FNIR @ FPIR ${f.fpir}: ${f.refused ? `refused: ${f.refused}` : `${pct(f.fnir)} (threshold ${f.threshold!.toFixed(4)})`}`);
    const top = s.topNonMated.slice(0, 3).map((t) => `${t.score.toFixed(3)} ${t.probe.split(/[\\/]/).pop()} -> ${t.candidate}`);
    if (top.length) out.push(`    highest non-mated (check for label errors): ${top.join('; ')}`);
    if (s.groups) {
      for (const g of s.groups.groups) out.push(`    group ${g.group}: FNIR ${pct(g.fnir)} (${g.misses}/${g.mated}), FPIR ${pct(g.fpir)} (${g.falseAlerts}/${g.nonMated})`);
      out.push(`    worst/best FNIR ratio ${s.groups.fnirRatio?.toFixed(2)}, FPIR ratio ${s.groups.fpirRatio?.toFixed(2)} at threshold ${s.groups.threshold.toFixed(4)}`);
    }
  }
  process.stdout.write(out.join('\n') + '\n');
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'live') return (await import('./eval/live.js')).runEvalLive(rest);
  if (sub !== 'verify' && sub !== 'identify') {
    if (sub === undefined || sub === '--help' || sub === '-h') {
      const { LIVE_FLAGS } = await import('./eval/live.js');
      process.stdout.write(usage('eval verify', '--data DIR [options]', VERIFY) + '\n\n' + usage('eval identify', '--data DIR [options]', IDENTIFY) + '\n\n' + usage('eval live', '--data DIR --scenes DIR [options]', LIVE_FLAGS) + '\n');
      return sub === undefined ? 2 : 0;
    }
    throw new UsageError('subcommand', `Unknown eval subcommand ${JSON.stringify(sub)}: expected verify or identify (or live, the live-like protocol)`);
  }
  const spec = sub === 'verify' ? VERIFY : IDENTIFY;
  const { flags, positional } = parseArgs(rest, spec);
  if (flags.help) {
    process.stdout.write(usage(`eval ${sub}`, '--data DIR [options]', spec) + '\n');
    return 0;
  }
  if (positional.length) throw new UsageError('arguments', `Unexpected argument ${JSON.stringify(positional[0])}`);
  if (typeof flags.data !== 'string') throw new UsageError('--data', '--data DIR is required (a folder with images/<id>/*.jpg)');
  const degradations = ((flags.degrade as string[] | undefined) ?? []).map((s, i) => parseDegradation(s, `--degrade[${i}]`));
  const config = encoderConfig(flags);
  const ds = await openDataset(flags.data, '--data');
  const common = { degradations, cacheDir: flags['no-cache'] ? null : (flags.cache as string), onProgress: progressBar(Boolean(flags.quiet)) };
  const title = `livefr eval ${sub}: ${flags.data}`;
  let runs: { label: string; result: VerifyResult | IdentifyResult }[];
  if (sub === 'verify') {
    if (!ds.pairs) throw outOfRange('--data', 'a data set with pairs.txt for eval verify', flags.data);
    runs = await runVerify(ds, config, { ...common, fars: numbers('far', flags.far) ?? [1e-2, 1e-3] });
  } else {
    const sizes = ((flags['watchlist-size'] as string[] | undefined) ?? ['100,1000,max']).flatMap((s) => s.split(',')).map((s) =>
      s.trim() === 'max' ? ('max' as const) : numbers('watchlist-size', [s])![0]!,
    );
    const opts = {
      ...common,
      sizes,
      enrolPerPerson: flags['enrol-per-person'] as number,
      seed: flags.seed as number,
      fpirs: numbers('fpir', flags.fpir) ?? [1e-2, 1e-3],
      ...(flags.groups ? { groups: await loadGroups(flags.groups as string) } : {}),
      ...(flags.threshold !== undefined ? { threshold: flags.threshold as number } : {}),
    };
    runs = await runIdentify(ds, config, opts);
  }
  if (flags.report) {
    await writeFile(flags.report as string, renderReport({ title, runs, settings: settings(flags, config) }));
    if (!flags.quiet) process.stderr.write(`report written to ${flags.report}\n`);
  }
  if (flags.json) {
    const [clean, ...degraded] = runs;
    process.stdout.write(JSON.stringify({ ...clean!.result, settings: settings(flags, config), degraded: degraded.map((d) => ({ label: d.label, ...d.result })) }) + '\n');
  } else {
    for (const r of runs) (r.result.kind === 'verify' ? printVerify(r.label, r.result) : printIdentify(r.label, r.result as IdentifyResult));
  }
  return 0;
}
