/**
 * livefr match <watchlist-file> <image|folder|-...>: detect, embed and match
 * every face. Operational output reports alerts and counts only: without
 * --json, a line per alert and per image; with --json, one JSON line per
 * image { file, width, height, faces (a count), alerts: [...] }. A face
 * that matched nobody is only counted.
 *
 * --all-faces is for evaluation, not operation: each JSON line then also
 * lists every face with its best K candidates even below the threshold,
 * i.e. the nearest watchlist people of faces that matched nobody.
 */
import { Detector } from '../../detector.js';
import { Embedder } from '../../embedder.js';
import { loadImage } from '../../frame.js';
import { Watchlist } from '../../watchlist/index.js';
import { parseArgs, usage, UsageError, type FlagSpec } from '../args.js';
import { collectImages, INPUT_FLAGS } from '../inputs.js';
import { DETECTOR_FLAGS, EMBEDDER_FLAGS, detectOptions, detectorOptions, embedderOptions } from '../model-flags.js';
import { Progress } from '../progress.js';
import { count } from '../format.js';
import { cropJpeg, purgeAndSave } from '../../governance/index.js';
import { GOVERNANCE_FLAGS, KEY_FLAGS, watchlistKeyOptions, modelSha, openGovernance } from '../governance.js';

const SPEC: Record<string, FlagSpec> = {
  threshold: { type: 'number', description: "alert threshold (default: the watchlist's own, calibrated or set)" },
  force: { type: 'boolean', description: "allow --threshold below the watchlist's calibrated threshold (more false alerts)" },
  k: { type: 'number', default: 5, description: 'with --all-faces: candidates reported per face' },
  'all-faces': {
    type: 'boolean',
    description: 'evaluation only (implies --json): also print every face with its best K candidates, even faces that matched nobody',
  },
  ...INPUT_FLAGS,
  ...DETECTOR_FLAGS,
  ...EMBEDDER_FLAGS,
  ...GOVERNANCE_FLAGS,
  ...KEY_FLAGS,
  stream: { type: 'string', default: 'still', description: 'with --deployment: the source name recorded with alerts and face counts' },
  json: { type: 'boolean', description: 'one JSON line per image on stdout' },
  quiet: { type: 'boolean', description: 'no progress bar' },
  help: { type: 'boolean', description: 'show this help' },
};

const round = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;

export async function run(argv: string[]): Promise<number> {
  const { positional, flags } = parseArgs(argv, SPEC);
  if (flags.help) {
    process.stdout.write(usage('match', '<watchlist-file> <image|folder|-...> [--list FILE]', SPEC) + '\n');
    return 0;
  }
  const [file, ...rest] = positional as [string | undefined, ...string[]];
  if (file === undefined) throw new UsageError('arguments', 'Expected <watchlist-file> <image|folder|-...> or --list FILE');
  const images = collectImages(rest, (flags.list as string[] | undefined) ?? []);
  if (images.length === 0) throw new UsageError('arguments', 'Expected <watchlist-file> <image|folder|-...> or --list FILE: no image given');
  const allFaces = Boolean(flags['all-faces']);
  const k = flags.k as number;
  if (!Number.isInteger(k) || k < 1 || k > 1000) throw new UsageError('--k', `Expected an integer between 1 and 1000 for --k but received ${k}`);
  const watchlist = await Watchlist.load(file, watchlistKeyOptions(flags, file));
  const threshold = flags.threshold === undefined ? watchlist.threshold : (flags.threshold as number);
  // Refuse a threshold below the calibrated one before loading any model.
  if (watchlist.calibration && threshold < watchlist.calibration.threshold && !flags.force) {
    throw new UsageError('--threshold', `Expected --threshold >= the calibrated threshold ${watchlist.calibration.threshold} of ${file} but received ${threshold}: a lower threshold raises more false alerts; add --force to override`);
  }
  // --deployment: the deployment's rules are checked before any image is read, and alerts are recorded (lib/cli/governance.ts).
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
  let scanned = 0;
  const detector = await Detector.load(detectorOptions(flags) as never);
  const embedder = await Embedder.load(embedderOptions(flags) as never);
  if (watchlist.dim !== embedder.dim) {
    throw new UsageError('<watchlist-file>', `The watchlist holds ${watchlist.dim}-d templates but the embedder gives ${embedder.dim}-d`);
  }
  const progress = new Progress({ label: 'match', total: images.length, quiet: Boolean(flags.quiet) || images.length < 2 });
  let failures = 0;
  let alerts = 0;
  try {
    for (const img of images) {
      try {
        const frame = await loadImage(img);
        const faces = await detector.detect(frame, detectOptions(flags) as never);
        const results = faces.length ? await watchlist.match(await embedder.embed(frame, faces), { threshold, k: allFaces ? k : 1, force: Boolean(flags.force) }) : [];
        const out = faces.map((f, i) => ({
          box: { x: round(f.box.x), y: round(f.box.y), width: round(f.box.width), height: round(f.box.height) },
          score: round(f.score, 4),
          landmarks: f.landmarks.map(([x, y]) => [round(x), round(y)]),
          candidates: results[i]!.candidates.map((c) => ({ id: c.id, score: round(c.score, 4) })),
          alert: results[i]!.alert,
        }));
        const ids: (string | undefined)[] = [];
        if (deployment && results.some((r) => r.alert)) {
          const crops = await Promise.all(results.map((r, i) => (r.alert ? cropJpeg(frame, faces[i]!.box) : undefined)));
          deployment.recordMatches(results, { threshold, streamId: flags.stream as string, crops }).forEach((a, i) => (ids[i] = a?.id));
        }
        deployment?.facesScanned(flags.stream as string, faces.length);
        scanned += faces.length;
        out.forEach((f, i) => ids[i] !== undefined && Object.assign(f, { alertId: ids[i] }));
        const n = out.filter((f) => f.alert).length;
        alerts += n;
        if (allFaces) {
          process.stdout.write(JSON.stringify({ file: img, width: frame.width, height: frame.height, faces: out }) + '\n');
        } else if (flags.json) {
          // Alerts only: the matched person and score, where, and the alert id when recorded; other faces are a count.
          const alerted = out.filter((f) => f.alert).map((f) => {
            const id = (f as { alertId?: string }).alertId;
            return { id: f.candidates[0]!.id, score: f.candidates[0]!.score, box: f.box, detectionScore: f.score, ...(id ? { alertId: id } : {}) };
          });
          process.stdout.write(JSON.stringify({ file: img, width: frame.width, height: frame.height, faces: out.length, alerts: alerted }) + '\n');
        } else {
          for (const f of out.filter((o) => o.alert)) {
            const b = f.box;
            const id = (f as { alertId?: string }).alertId;
            process.stdout.write(`ALERT ${img}: ${f.candidates[0]!.id} (score ${f.candidates[0]!.score}) at ${b.x},${b.y} ${b.width}x${b.height}${id ? ` [alert ${id}: to be reviewed]` : ''}\n`);
          }
          process.stdout.write(`${img}: ${count(out.length, 'face')}, ${count(n, 'alert')}, ${out.length - n} not on the watchlist (discarded)\n`);
        }
      } catch (err) {
        failures++;
        process.stderr.write(`livefr match: ${img}: ${(err as Error).message}\n`);
      }
      progress.tick();
    }
  } finally {
    progress.finish();
    await Promise.all([detector.close(), embedder.close()]);
    if (gov.audit && !deployment) gov.audit.append('match.run', { images: images.length, faces: scanned, alerts, threshold });
    await gov.close();
  }
  if (!flags.json && !allFaces) process.stdout.write(`${count(images.length, 'image')}, ${count(alerts, 'alert')} at threshold ${threshold}\n`);
  return failures > 0 ? 1 : 0;
}
