/**
 * Watchlist entries with provenance: who is on the list, in which category,
 * why, on whose say-so, from which source, and until when. Enrolment is
 * quality-gated and says why an image was refused; expired entries are
 * purged on load and on a timer.
 *
 * Provenance is kept in the entry's metadata (`metadata.provenance`), so the
 * Watchlist core stores and saves it without knowing about governance.
 */
import { StateError, invalidType } from '../errors.js';
import { loadImage, type Frame } from '../frame.js';
import type { Face } from '../types.js';
import { checkNumber, checkOptions, checkString, isPlainObject } from '../validate.js';
import type { Watchlist, WatchlistKeySource } from '../watchlist/index.js';
import type { AuditLog } from './audit.js';
import { checkProvenance, provenanceOf, type EntryCategory, type Provenance, type ProvenanceInput } from './records.js';
import { checkQuality, judgeEnrolmentImage, type QualityOptions, type RefusalCode } from './quality.js';

/** What enrolment needs of a detector and an embedder (livefr's Detector and Embedder fit). */
export interface EnrolModels {
  detector: { detect(frame: Frame): Promise<Face[]> };
  embedder: { dim: number; embed(frame: Frame, faces: readonly Face[]): Promise<Float32Array> };
}

export interface EnrolOptions extends EnrolModels {
  quality?: QualityOptions;
  audit?: AuditLog;
  now?: () => Date;
  /** Replace the person's templates when already enrolled (default false: add to them). */
  replace?: boolean;
}

export interface EnrolEntry extends ProvenanceInput {
  id: string;
  /** Other metadata kept with the entry. */
  metadata?: Record<string, unknown>;
}

export interface RefusedImage {
  image: string;
  code: RefusalCode;
  reason: string;
}

export interface EnrolReport {
  id: string;
  /** Templates added. */
  templates: number;
  accepted: string[];
  refused: RefusedImage[];
}

function label(image: string | Frame, i: number): string {
  return typeof image === 'string' ? image : `images[${i}]`;
}

/**
 * Enrols one person from `images` (paths or frames): each image must show
 * exactly one face, large, sharp and confidently detected; the others are
 * refused with a reason. Adds nothing when every image is refused.
 */
export async function enrol(watchlist: Watchlist, entry: EnrolEntry, images: readonly (string | Frame)[], options: EnrolOptions): Promise<EnrolReport> {
  if (!isPlainObject(entry)) throw invalidType('entry', 'an object { id, category, reason, source, addedBy, expiresAt, ... }', entry);
  const { id: rawId, metadata, ...prov } = entry;
  const id = checkString('entry.id', rawId);
  const o = checkOptions('options', options, ['detector', 'embedder', 'quality', 'audit', 'now', 'replace']);
  if (!o.detector || typeof (o.detector as EnrolModels['detector']).detect !== 'function') throw invalidType('options.detector', 'a Detector', o.detector);
  if (!o.embedder || typeof (o.embedder as EnrolModels['embedder']).embed !== 'function') throw invalidType('options.embedder', 'an Embedder', o.embedder);
  const detector = o.detector as EnrolModels['detector'];
  const embedder = o.embedder as EnrolModels['embedder'];
  if (embedder.dim !== watchlist.dim) throw new StateError(`The embedder gives ${embedder.dim}-d templates but the watchlist holds ${watchlist.dim}-d ones`);
  const now = (o.now as (() => Date) | undefined) ?? (() => new Date());
  const provenance = checkProvenance(prov, 'entry', now());
  if (metadata !== undefined && !isPlainObject(metadata)) throw invalidType('entry.metadata', 'a plain object', metadata);
  if (metadata && 'provenance' in metadata) throw invalidType('entry.metadata.provenance', 'no provenance key (it is set from the entry)', metadata.provenance);
  const quality = checkQuality(o.quality);
  if (!Array.isArray(images) || images.length === 0) throw invalidType('images', 'a non-empty array of image paths or frames', images);

  const accepted: string[] = [];
  const refused: RefusedImage[] = [];
  const vectors: Float32Array[] = [];
  for (const [i, image] of images.entries()) {
    const name = label(image, i);
    let frame: Frame;
    try {
      frame = typeof image === 'string' ? await loadImage(image) : image;
    } catch (err) {
      refused.push({ image: name, code: 'unreadable', reason: (err as Error).message });
      continue;
    }
    let faces: Face[];
    try {
      faces = await detector.detect(frame);
    } catch (err) {
      refused.push({ image: name, code: 'model-error', reason: (err as Error).message });
      continue;
    }
    const verdict = judgeEnrolmentImage(frame, faces, quality);
    if (!verdict.ok) {
      refused.push({ image: name, code: verdict.code!, reason: verdict.reason! });
      continue;
    }
    vectors.push(await embedder.embed(frame, [verdict.face!]));
    accepted.push(name);
  }
  const refusedCodes: Partial<Record<RefusalCode, number>> = {};
  for (const r of refused) refusedCodes[r.code] = (refusedCodes[r.code] ?? 0) + 1;
  if (vectors.length > 0) {
    const all = new Float32Array(vectors.length * watchlist.dim);
    vectors.forEach((v, i) => all.set(v, i * watchlist.dim));
    if (o.replace === true && watchlist.has(id)) await watchlist.remove(id);
    await watchlist.add(id, all, { ...(metadata ?? {}), provenance });
    all.fill(0);
    for (const v of vectors) v.fill(0);
  }
  (o.audit as AuditLog | undefined)?.append('watchlist.add', {
    ...(provenance.deployment ? { deployment: provenance.deployment } : {}),
    id,
    category: provenance.category,
    templates: vectors.length,
    images: images.length,
    refused: refused.length,
    ...(refused.length ? { refusedBy: refusedCodes } : {}),
  });
  return { id, templates: vectors.length, accepted, refused };
}

/** Adds already-computed templates with provenance (no quality gate: the caller vouches for them). */
export async function addWithProvenance(watchlist: Watchlist, entry: EnrolEntry, templates: Float32Array, options?: { audit?: AuditLog; now?: () => Date }): Promise<void> {
  if (!isPlainObject(entry)) throw invalidType('entry', 'an object { id, category, reason, source, addedBy, expiresAt, ... }', entry);
  const { id: rawId, metadata, ...prov } = entry;
  const id = checkString('entry.id', rawId);
  const o = checkOptions('options', options, ['audit', 'now']);
  const now = (o.now as (() => Date) | undefined) ?? (() => new Date());
  const provenance = checkProvenance(prov, 'entry', now());
  await watchlist.add(id, templates, { ...(metadata ?? {}), provenance });
  (o.audit as AuditLog | undefined)?.append('watchlist.add', {
    ...(provenance.deployment ? { deployment: provenance.deployment } : {}),
    id,
    category: provenance.category,
    templates: templates.length / watchlist.dim,
  });
}

export interface PurgeReport {
  people: number;
  templates: number;
}

/** Removes every entry whose provenance expired at `now` (default: the clock); audited as counts. */
export async function purgeExpired(watchlist: Watchlist, options?: { now?: Date; audit?: AuditLog }): Promise<PurgeReport> {
  const o = checkOptions('options', options, ['now', 'audit']);
  const now = o.now === undefined ? new Date() : (o.now as Date);
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw invalidType('options.now', 'a Date', o.now);
  let people = 0;
  let templates = 0;
  const deployments = new Set<string>();
  for (const e of watchlist.entries()) {
    const p = provenanceOf(e.metadata);
    if (typeof p === 'string' || Date.parse(p.expiresAt) > now.getTime()) continue;
    if (await watchlist.remove(e.id)) {
      people++;
      templates += e.templates;
      if (p.deployment) deployments.add(p.deployment);
    }
  }
  if (people > 0) {
    (o.audit as AuditLog | undefined)?.append('watchlist.purge', {
      reason: 'expired',
      people,
      templates,
      ...(deployments.size === 1 ? { deployment: [...deployments][0] } : {}),
    });
  }
  return { people, templates };
}

/**
 * Runs purgeExpired() every `intervalMs` (default 60,000), then `onPurged`
 * (e.g. to save the file) when anything was removed. The timer does not
 * keep the process alive. Returns a function that stops it.
 */
export function startPurgeTimer(
  watchlist: Watchlist,
  options?: { intervalMs?: number; audit?: AuditLog; now?: () => Date; onPurged?: (r: PurgeReport) => void | Promise<void>; onError?: (err: unknown) => void },
): () => void {
  const o = checkOptions('options', options, ['intervalMs', 'audit', 'now', 'onPurged', 'onError']);
  const interval = o.intervalMs === undefined ? 60_000 : checkNumber('options.intervalMs', o.intervalMs, 10);
  const now = (o.now as (() => Date) | undefined) ?? (() => new Date());
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    purgeExpired(watchlist, { now: now(), ...(o.audit ? { audit: o.audit as AuditLog } : {}) })
      .then(async (r) => {
        if (r.people > 0 && o.onPurged) await (o.onPurged as (r: PurgeReport) => void | Promise<void>)(r);
      })
      .catch((err) => (o.onError ? (o.onError as (e: unknown) => void)(err) : process.emitWarning(`livefr purgeExpired failed: ${(err as Error).message}`)))
      .finally(() => {
        running = false;
      });
  }, interval);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Loads a watchlist file and purges its expired entries at once; when any
 * was removed the file is saved again (the replaced bytes zeroed), so the
 * disk forgets them too.
 */
export async function openWatchlist(
  file: string,
  options?: { key?: WatchlistKeySource; audit?: AuditLog; now?: Date },
): Promise<{ watchlist: Watchlist; purged: PurgeReport }> {
  const o = checkOptions('options', options, ['key', 'audit', 'now']);
  const { Watchlist: W } = await import('../watchlist/index.js');
  const keyOpts = o.key === undefined ? {} : { key: o.key as WatchlistKeySource };
  const watchlist = await W.load(checkString('file', file), keyOpts);
  const purged = await purgeAndSave(watchlist, file, { ...keyOpts, ...(o.audit ? { audit: o.audit as AuditLog } : {}), ...(o.now ? { now: o.now as Date } : {}) });
  return { watchlist, purged };
}

/** purgeExpired(), then a save of `file` when anything was removed. */
export async function purgeAndSave(watchlist: Watchlist, file: string | undefined, options?: { key?: WatchlistKeySource; audit?: AuditLog; now?: Date }): Promise<PurgeReport> {
  const r = await purgeExpired(watchlist, { ...(options?.now ? { now: options.now } : {}), ...(options?.audit ? { audit: options.audit } : {}) });
  if (r.people > 0 && file !== undefined) await watchlist.save(file, options?.key === undefined ? undefined : { key: options.key });
  return r;
}

/** The watchlist's people by category (entries without provenance under 'other'). */
export function categoryCounts(watchlist: Watchlist): Partial<Record<EntryCategory, number>> {
  const out: Partial<Record<EntryCategory, number>> = {};
  for (const e of watchlist.entries()) {
    const p = provenanceOf(e.metadata);
    const c: EntryCategory = typeof p === 'string' ? 'other' : p.category;
    out[c] = (out[c] ?? 0) + 1;
  }
  return out;
}

export type { Provenance };
