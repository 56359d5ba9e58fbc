/**
 * livefr watch <watchlist-file> --source <file|url> [--source id=url ...]:
 * the live pipeline on video files and network streams.
 *
 * --json: stdout carries NDJSON only, one line per alert (no crop bytes) and,
 * when the sources end (or on SIGINT), one summary line. Otherwise a status
 * display per stream on stderr and alerts on stdout. Faces that matched
 * nobody are only counted.
 */
import { availableParallelism } from 'node:os';
import { Detector } from '../../detector.js';
import { Embedder } from '../../embedder.js';
import { createPipeline, DEFAULT_MODELS_PLAN, FUSION_RULES, loadDefaultDetector, type Alert, type FusionRule, type StreamStatus } from '../../pipeline/index.js';
import type { StreamError } from '../../pipeline/errors.js';
import { Watchlist } from '../../watchlist/index.js';
import { parseArgs, usage, UsageError, type FlagSpec } from '../args.js';
import { DETECTOR_FLAGS, EMBEDDER_FLAGS, detectorOptions, embedderOptions } from '../model-flags.js';
import { createGovernor, purgeAndSave, startPurgeTimer } from '../../governance/index.js';
import { GOVERNANCE_FLAGS, KEY_FLAGS, modelSha, openGovernance, watchlistKeyOptions } from '../governance.js';

const SPEC: Record<string, FlagSpec> = {
  source: { type: 'list', description: 'a video file or stream URL (rtsp://, http(s)://, tcp://, udp://), optionally id=...; repeat for more streams' },
  threshold: { type: 'number', description: "alert threshold (default: the watchlist's own, calibrated or set)" },
  force: { type: 'boolean', description: "allow --threshold below the watchlist's calibrated threshold (more false alerts)" },
  fusion: { type: 'string', description: `per-track evidence rule: ${FUSION_RULES.join(', ')} (default max)` },
  'detect-every': { type: 'number', description: 'run detection on every n-th frame (default 1; the scheduler drops more under load)' },
  'no-realtime': { type: 'boolean', description: 'decode files as fast as they are processed (offline), not at their frame rate' },
  'no-deblock': { type: 'boolean', description: "decode without H.264's in-loop deblocking filter: about 16% less decode CPU, blockier frames (it lost recall on a 1.5 Mbit/s 1080p video; docs/pipeline.md)" },
  'no-motion': { type: 'boolean', description: 'detect with the whole tiling plan on every detected frame (default: only where the picture changed or tracks need it, the whole plan every 2 s)' },
  loop: { type: 'boolean', description: 'loop file sources' },
  ...DETECTOR_FLAGS,
  ...EMBEDDER_FLAGS,
  ...GOVERNANCE_FLAGS,
  ...KEY_FLAGS,
  json: { type: 'boolean', description: 'NDJSON on stdout: alerts, then a summary' },
  quiet: { type: 'boolean', description: 'no status display' },
  help: { type: 'boolean', description: 'show this help' },
};

const round = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;

/** `id=url` or `url`; an id is letters, digits, `_`, `-`, `.` before the first `=` (so URLs with queries stay whole). */
export function parseSource(text: string, index: number): { id: string; url: string } {
  const m = /^([A-Za-z0-9_.-]{1,64})=(.+)$/.exec(text);
  if (m && !m[1]!.includes('/')) return { id: m[1]!, url: m[2]! };
  return { id: `s${index + 1}`, url: text };
}

/** Per stream: `processed` = `detected` + `tracked` (tracked only, by motion); docs/pipeline.md defines each. */
function summaryOf(status: StreamStatus[]): Record<string, { frames: number; processed: number; detected: number; tracked: number; dropped: number; faces: number; tracks: number; alerts: number }> {
  return Object.fromEntries(
    status.map((s) => [s.id, { frames: s.frames, processed: s.processed, detected: s.detected, tracked: s.tracked, dropped: s.dropped, faces: s.faces, tracks: s.tracks, alerts: s.alerts }]),
  );
}

function statusLine(s: StreamStatus): string {
  const state = s.state === 'running' ? '' : ` [${s.state}]`;
  return `${s.id.padEnd(10)} in ${s.fpsIn.toFixed(1).padStart(5)} fps  processed ${s.fpsProcessed.toFixed(1).padStart(5)} fps  detected ${s.fpsDetected.toFixed(1).padStart(5)} fps  faces ${String(s.faces).padStart(6)}  tracks ${String(s.tracks).padStart(4)}  dropped ${String(s.dropped).padStart(6)}  alerts ${s.alerts}${state}`;
}

export async function run(argv: string[]): Promise<number> {
  const { positional, flags } = parseArgs(argv, SPEC);
  if (flags.help) {
    process.stdout.write(usage('watch', '<watchlist-file> --source <file|url> [--source id=url ...]', SPEC) + '\n');
    return 0;
  }
  if (positional.length !== 1) throw new UsageError('arguments', 'Expected exactly one <watchlist-file> (streams come with --source)');
  const sources = ((flags.source as string[] | undefined) ?? []).map(parseSource);
  if (sources.length === 0) throw new UsageError('--source', 'Expected at least one --source <file|url>');
  const ids = new Set<string>();
  for (const s of sources) {
    if (ids.has(s.id)) throw new UsageError('--source', `Two sources have the id ${JSON.stringify(s.id)}: give each its own id=`);
    ids.add(s.id);
  }
  const fusion = flags.fusion as string | undefined;
  if (fusion !== undefined && !(FUSION_RULES as readonly string[]).includes(fusion)) {
    throw new UsageError('--fusion', `Expected one of ${FUSION_RULES.join(', ')} for --fusion but received ${JSON.stringify(fusion)}`);
  }
  const detectEvery = flags['detect-every'] as number | undefined;
  if (detectEvery !== undefined && (!Number.isInteger(detectEvery) || detectEvery < 1 || detectEvery > 1000)) {
    throw new UsageError('--detect-every', `Expected an integer from 1 to 1000 for --detect-every but received ${detectEvery}`);
  }
  const file = positional[0]!;
  const watchlist = await Watchlist.load(file, watchlistKeyOptions(flags, file));
  const threshold = flags.threshold === undefined ? watchlist.threshold : (flags.threshold as number);
  if (watchlist.calibration && threshold < watchlist.calibration.threshold && !flags.force) {
    throw new UsageError('--threshold', `Expected --threshold >= the calibrated threshold ${watchlist.calibration.threshold} of ${file} but received ${threshold}: a lower threshold raises more false alerts; add --force to override`);
  }
  const json = Boolean(flags.json);
  // --deployment: the pipeline runs under its rules (checked before any model loads), alerts go to --audit (lib/cli/governance.ts).
  const gov = await openGovernance(flags, {
    models: { detector: await modelSha(flags['detector-model'] as string | undefined, 'detector'), embedder: await modelSha(flags['embedder-model'] as string | undefined, 'embedder') },
  });
  const deployment = gov.deployment;
  try {
    // Expired entries go on load (and the file is rewritten without them).
    await purgeAndSave(watchlist, file, { ...watchlistKeyOptions(flags, file), ...(gov.audit ? { audit: gov.audit } : {}) });
    deployment?.bindWatchlist(watchlist, { file });
    deployment?.admit({ threshold, watchlist });
  } catch (err) {
    await gov.close();
    throw err;
  }
  const cores = Math.max(1, availableParallelism());
  // The default detector as the pipeline runs it (its landmark stage on the embedded faces only, plan 48); another one with a worker per core.
  const defaultDetector = Object.keys(detectorOptions(flags)).length === 0;
  const { detector, landmarks } = defaultDetector
    ? await loadDefaultDetector()
    : { detector: await Detector.load({ ...detectorOptions(flags), workers: Math.min(4, cores), intraOpNumThreads: 1 } as never), landmarks: null };
  const embedder = await Embedder.load({ ...embedderOptions(flags), workers: Math.min(2, cores), intraOpNumThreads: 1 } as never);
  if (watchlist.dim !== embedder.dim) {
    await detector.close();
    await landmarks?.close();
    await embedder.close();
    throw new UsageError('<watchlist-file>', `The watchlist holds ${watchlist.dim}-d templates but the embedder gives ${embedder.dim}-d`);
  }
  const pipeline = await createPipeline({
    detector,
    embedder,
    ...(landmarks ? { landmarks } : {}),
    ...(defaultDetector ? { detect: DEFAULT_MODELS_PLAN } : {}),
    watchlist,
    threshold,
    force: Boolean(flags.force),
    realtime: !flags['no-realtime'],
    ...(flags['no-motion'] ? { motion: false } : {}),
    ...(fusion ? { fusion: fusion as FusionRule } : {}),
    ...(detectEvery ? { detectEvery } : {}),
    ...(deployment ? { governor: createGovernor(deployment) } : {}),
  });
  // A deployment that ends or stops (its window closes, authorisation refused or late, `livefr deployment end`) stops the run.
  let endedBy: string | undefined;
  const deploymentEnded = new Promise<void>((resolve) => {
    if (!deployment) return;
    deployment.startTimers(5_000);
    deployment.onEnd((e) => {
      endedBy = e.reason;
      resolve();
    });
    pipeline.on('error', (e: StreamError) => {
      if (!e.streamId) resolve();
    });
  });
  // ... and on a timer while the run lasts.
  const stopPurge = startPurgeTimer(watchlist, {
    intervalMs: 60_000,
    ...(gov.audit ? { audit: gov.audit } : {}),
    onPurged: () => watchlist.save(file, watchlistKeyOptions(flags, file)),
  });
  const live = !json && !flags.quiet;
  const tty = Boolean(process.stderr.isTTY);
  let drawn = 0;
  const draw = () => {
    if (!live) return;
    const lines = pipeline.status().map(statusLine);
    if (tty) {
      if (drawn) process.stderr.write(`\x1b[${drawn}A`);
      process.stderr.write(lines.map((l) => `\x1b[2K${l}\n`).join(''));
      drawn = lines.length;
    } else process.stderr.write(lines.join('\n') + '\n');
  };
  const say = (text: string) => {
    if (tty && drawn) {
      process.stderr.write(`\x1b[${drawn}A\x1b[0J`);
      drawn = 0;
    }
    text.endsWith('\n') ? process.stderr.write(text) : process.stderr.write(text + '\n');
  };

  pipeline.on('alert', (a: Alert) => {
    const box = { x: round(a.box.x), y: round(a.box.y), width: round(a.box.width), height: round(a.box.height) };
    if (json) {
      const alertId = (a as Alert & { id?: string }).id;
      process.stdout.write(JSON.stringify({ type: 'alert', ...(alertId ? { alertId } : {}), streamId: a.streamId, trackId: a.trackId, frame: a.frame, time: round(a.time, 3), box, watchlistId: a.watchlistId, score: round(a.score, 4), threshold: a.threshold }) + '\n');
    } else {
      if (tty && drawn) say('');
      process.stdout.write(`ALERT ${a.streamId} ${a.watchlistId} score ${a.score.toFixed(3)} (threshold ${a.threshold}) frame ${a.frame} at ${a.time.toFixed(2)} s, track ${a.trackId}, box ${Math.round(box.x)},${Math.round(box.y)} ${Math.round(box.width)}x${Math.round(box.height)}${(a as Alert & { id?: string }).id ? ` [alert ${(a as Alert & { id?: string }).id}: to be reviewed]` : ''}\n`);
    }
  });
  pipeline.on('error', (e: StreamError) => say(`livefr watch: ${e.streamId ? `stream ${e.streamId}: ` : ''}${e.message}`));
  pipeline.on('gap', (g: { streamId: string; seconds: number }) => say(`livefr watch: stream ${g.streamId}: frames again after a gap of ${g.seconds.toFixed(1)} s`));

  let interrupted = false;
  const stop = new Promise<void>((resolve) => {
    const onSignal = () => {
      interrupted = true;
      resolve();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  const timer = live ? setInterval(draw, tty ? 500 : 5000) : null;
  try {
    for (const s of sources) pipeline.addStream(s.id, s.url, { ...(flags.loop ? { loop: true } : {}), ...(flags['no-deblock'] ? { deblock: false } : {}) });
    // Ends when every file source has ended (network streams run until SIGINT).
    const files = sources.filter((s) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(s.url)).map((s) => s.id);
    const filesDone = files.length === sources.length && !flags.loop
      ? pipeline.ended()
      : new Promise<void>(() => {}); // only a signal ends a run with live or looping sources
    await Promise.race([filesDone, stop, deploymentEnded]);
  } finally {
    if (timer) clearInterval(timer);
    stopPurge();
    const status = pipeline.status();
    await pipeline.close();
    await detector.close();
    await landmarks?.close();
    await embedder.close();
    await gov.close();
    if (endedBy) say(`livefr watch: deployment ${deployment!.id} ended (${endedBy}): stopped`);
    if (live) draw();
    if (json) process.stdout.write(JSON.stringify({ type: 'summary', streams: summaryOf(status) }) + '\n');
    else {
      const sum = summaryOf(status);
      const lines = Object.entries(sum).map(([id, s]) => `${id}: ${s.frames} frames, ${s.processed} processed (${s.detected} detected, ${s.tracked} tracked only), ${s.dropped} dropped, ${s.faces} faces, ${s.tracks} tracks, ${s.alerts} ${s.alerts === 1 ? 'alert' : 'alerts'}`);
      process.stdout.write(`${interrupted ? 'Stopped' : 'Done'}: ${lines.join('; ')}\n`);
    }
  }
  return 0;
}
