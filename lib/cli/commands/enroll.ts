/**
 * livefr enroll <watchlist-file> <dir>: each subfolder of dir is one person,
 * its name the id; each image gives one template (the largest face in it).
 * An existing watchlist file is updated: a person enrolled again is replaced.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { Detector } from '../../detector.js';
import { Embedder } from '../../embedder.js';
import { loadImage } from '../../frame.js';
import type { Face } from '../../types.js';
import { Watchlist } from '../../watchlist/index.js';
import { parseArgs, usage, UsageError, type FlagSpec } from '../args.js';
import { DETECTOR_FLAGS, EMBEDDER_FLAGS, detectOptions, detectorOptions, embedderOptions } from '../model-flags.js';
import { Progress } from '../progress.js';
import { count } from '../format.js';
import { fpirFromFmr } from '../../eval/calibrate.js';
import { defaultModelName } from '../../models/registry.js';
import type { LiveOperatingPoint } from '../../models/catalog.js';
import { enrol, purgeExpired } from '../../governance/index.js';
import { GOVERNANCE_FLAGS, KEY_FLAGS, watchlistKeyOptions, PROVENANCE_FLAGS, governedEnrolment, modelSha, openGovernance, provenanceFor } from '../governance.js';

const SPEC: Record<string, FlagSpec> = {
  'max-per-person': { type: 'number', description: 'at most this many images per person (sorted by name)' },
  index: { type: 'string', default: 'flat', description: "index kind for a new watchlist: 'flat' (exact), 'hnsw' or 'ivf'" },
  ...DETECTOR_FLAGS,
  ...EMBEDDER_FLAGS,
  ...GOVERNANCE_FLAGS,
  ...KEY_FLAGS,
  ...PROVENANCE_FLAGS,
  json: { type: 'boolean', description: 'print the summary as one JSON line' },
  quiet: { type: 'boolean', description: 'no progress bar' },
  help: { type: 'boolean', description: 'show this help' },
};

const IMAGE_EXT = /\.(jpe?g|png|webp)$/i;

/** The registry name of the embedder the flags select (the default when none is given). */
function embedderName(flags: Record<string, unknown>): string {
  const m = flags['embedder-model'];
  return typeof m === 'string' ? path.basename(m) : defaultModelName('embedder');
}

export const OPERATING_POINT_METHOD = 'model operating point';

/**
 * A watchlist enrolled with a registry embedder gets that model's measured
 * operating point as its calibration, so a lower threshold needs --force.
 * The record names its source: the live-like protocol's threshold at FPIR
 * 1e-3 when the registry has one (with the detector and landmark stage it
 * was measured with), else the cosine threshold at a false-match rate of
 * 1e-3 per comparison on LFW (lfw-dev pairs), whose FPIR over the
 * watchlist's templates is recorded. A calibration from livefr calibrate
 * is left alone; a previous operating-point record is updated to the
 * watchlist's new size. Returns whether it recorded one.
 */
export function recordOperatingPoint(
  watchlist: Watchlist,
  embedder: { suggestedThreshold: number | undefined; liveOperatingPoint?: LiveOperatingPoint | undefined },
  model: string,
): boolean {
  const threshold = embedder.suggestedThreshold;
  const current = watchlist.calibration;
  if (threshold === undefined || watchlist.templateCount === 0) return false;
  if (current && !current.method?.startsWith(OPERATING_POINT_METHOD)) return false;
  if (!current && watchlist.threshold !== threshold) return false; // a threshold the user chose stays theirs
  const t = current ? current.threshold : threshold;
  const live = embedder.liveOperatingPoint;
  const source =
    live && live.threshold === t
      ? `threshold ${t} at FPIR ${live.fpir} (TPIR ${live.tpir}) on livefr's live-like protocol with ${live.detector}` +
        `${live.landmarks ? ` and the ${live.landmarks} landmark stage` : ''}, from the livefr model registry (${live.command})`
      : `threshold ${t} at FMR 1e-3 per comparison on LFW (lfw-dev pairs), from the livefr model registry`;
  watchlist.setThreshold(t, {
    calibration: {
      targetFPIR: live && live.threshold === t ? live.fpir : fpirFromFmr(1e-3, watchlist.templateCount),
      watchlistSize: watchlist.size,
      method: `${OPERATING_POINT_METHOD} of ${model}: ${source}; calibrate on the deployment's own data with livefr calibrate`,
    },
  });
  return true;
}

export function largestFace(faces: Face[]): Face | undefined {
  let best: Face | undefined;
  for (const f of faces) if (!best || f.box.width * f.box.height > best.box.width * best.box.height) best = f;
  return best;
}

export async function run(argv: string[]): Promise<number> {
  const { positional, flags } = parseArgs(argv, SPEC);
  if (flags.help) {
    process.stdout.write(usage('enroll', '<watchlist-file> <dir>', SPEC) + '\n');
    return 0;
  }
  if (positional.length !== 2) throw new UsageError('arguments', 'Expected <watchlist-file> <dir>');
  const [file, dir] = positional as [string, string];
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError('dir', `Expected a folder of people for <dir> but ${JSON.stringify(dir)} is not one`);
  const maxPer = flags['max-per-person'];
  if (maxPer !== undefined && (!Number.isInteger(maxPer) || (maxPer as number) < 1)) {
    throw new UsageError('--max-per-person', `Expected a positive integer for --max-per-person but received ${maxPer}`);
  }

  const people = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const jobs: Array<{ id: string; images: string[] }> = people.map((id) => {
    let images = readdirSync(path.join(dir, id))
      .filter((f) => IMAGE_EXT.test(f))
      .sort()
      .map((f) => path.join(dir, id, f));
    if (maxPer !== undefined) images = images.slice(0, maxPer as number);
    return { id, images };
  });
  const total = jobs.reduce((a, j) => a + j.images.length, 0);
  if (total === 0) throw new UsageError('dir', `No images (.jpg, .png, .webp) found in the subfolders of ${JSON.stringify(dir)}`);

  // --deployment / --category: quality-gated enrolment with provenance, recorded in --audit (lib/cli/governance.ts).
  const gov = await openGovernance(flags, { models: { embedder: await modelSha(flags['embedder-model'] as string | undefined, 'embedder') } });
  const governed = governedEnrolment(flags);
  if (governed) for (const job of jobs) provenanceFor(flags, path.join(dir, job.id), gov.deployment); // refuse before loading models
  const detector = await Detector.load(detectorOptions(flags) as never);
  const embedder = await Embedder.load(embedderOptions(flags) as never);
  const watchlist = existsSync(file)
    ? await Watchlist.load(file, watchlistKeyOptions(flags, file))
    : new Watchlist({
        dim: embedder.dim,
        index: flags.index as 'flat',
        // A registry model comes with its live-like operating point (FPIR 1e-3 on small faces in crowds); calibrate for the deployment.
        ...(embedder.suggestedThreshold !== undefined ? { threshold: embedder.suggestedThreshold } : {}),
      });
  if (watchlist.dim !== embedder.dim) {
    throw new UsageError('<watchlist-file>', `The watchlist holds ${watchlist.dim}-d templates but the embedder gives ${embedder.dim}-d`);
  }
  await purgeExpired(watchlist, gov.audit ? { audit: gov.audit } : {}); // expired entries are not saved again
  const progress = new Progress({ label: 'enrol', total, quiet: Boolean(flags.quiet) });
  let templates = 0;
  let enrolled = 0;
  const skipped: Array<{ file: string; reason: string }> = [];
  try {
    for (const job of governed ? jobs : []) {
      const r = await enrol(watchlist, { id: job.id, ...provenanceFor(flags, path.join(dir, job.id), gov.deployment) } as never, job.images, {
        detector,
        embedder,
        replace: true,
        ...(gov.audit ? { audit: gov.audit } : {}),
      });
      for (const x of r.refused) skipped.push({ file: x.image, reason: `refused (${x.code}): ${x.reason}` });
      for (let i = 0; i < job.images.length; i++) progress.tick();
      templates += r.templates;
      if (r.templates > 0) enrolled++;
    }
    for (const job of governed ? [] : jobs) {
      const vectors: Float32Array[] = [];
      for (const img of job.images) {
        try {
          const frame = await loadImage(img);
          const face = largestFace(await detector.detect(frame, detectOptions(flags) as never));
          if (!face) skipped.push({ file: img, reason: 'no face found' });
          else vectors.push(await embedder.embed(frame, [face]));
        } catch (err) {
          skipped.push({ file: img, reason: (err as Error).message });
        }
        progress.tick();
      }
      if (vectors.length === 0) continue;
      const all = new Float32Array(vectors.length * embedder.dim);
      vectors.forEach((v, i) => all.set(v, i * embedder.dim));
      if (watchlist.has(job.id)) await watchlist.remove(job.id);
      await watchlist.add(job.id, all, { enrolledFrom: job.images.length, enrolledAt: new Date().toISOString() });
      templates += vectors.length;
      enrolled++;
    }
  } finally {
    progress.finish();
    await Promise.all([detector.close(), embedder.close()]);
  }
  const operatingPoint = recordOperatingPoint(watchlist, embedder, embedderName(flags));
  await watchlist.save(file, watchlistKeyOptions(flags, file));
  await gov.close();
  for (const s of skipped) process.stderr.write(`livefr enroll: skipped ${s.file}: ${s.reason}\n`);
  const cal = watchlist.calibration;
  const summary = {
    file,
    people: enrolled,
    templates,
    skipped: skipped.length,
    size: watchlist.size,
    threshold: watchlist.threshold,
    calibration: cal ? { threshold: cal.threshold, method: cal.method ?? null, targetFPIR: cal.targetFPIR, watchlistSize: cal.watchlistSize } : null,
  };
  const thresholdLine = cal
    ? `Alert threshold ${cal.threshold}: ${operatingPoint ? cal.method : `calibrated (${cal.method ?? 'livefr calibrate'})`}; a lower one needs --force.`
    : `Alert threshold ${watchlist.threshold} (not calibrated: run livefr calibrate on the deployment's own data).`;
  process.stdout.write(
    flags.json
      ? JSON.stringify(summary) + '\n'
      : `Enrolled ${count(enrolled, 'person', 'people')} (${count(templates, 'template')}) into ${file}; the watchlist now holds ${count(watchlist.size, 'person', 'people')}. ` +
          `Skipped ${count(skipped.length, 'image')}.\n${thresholdLine}\n`,
  );
  return enrolled > 0 ? 0 : 1;
}
