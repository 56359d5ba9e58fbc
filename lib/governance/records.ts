/**
 * The deployment record (what an authority signs off) and its checks.
 *
 *   {
 *     id, purpose, legalBasis, location,
 *     authorisation: { reference, by, at } | { urgent: true, requestedAt },
 *     start, end,                  // ISO 8601 with a zone
 *     minThreshold,                // no pipeline may alert below it
 *     reviewersPerAlert,           // distinct people to confirm an alert (default 2)
 *     alertRetention,              // unreviewed alerts and crops expire after it ("31d", "PT24H", ms)
 *     reviewers?                   // who may review (default: anyone named)
 *   }
 */
import { invalidType, outOfRange } from '../errors.js';
import { checkInteger, checkNumber, checkOptions, checkString, isPlainObject } from '../validate.js';
import { parseDuration, parseInstant } from './time.js';

export const ENTRY_CATEGORIES = ['wanted', 'missing', 'vulnerable', 'other'] as const;
export type EntryCategory = (typeof ENTRY_CATEGORIES)[number];

/** An urgent deployment must have its authorisation recorded within this long of starting (EU AI Act Art. 5(3)). */
export const URGENT_AUTHORISATION_MS = 24 * 3_600_000;

export interface GrantedAuthorisation {
  reference: string;
  by: string;
  at: string | Date;
}
export interface UrgentAuthorisation {
  urgent: true;
  requestedAt: string | Date;
}

export interface DeploymentRecord {
  id: string;
  purpose: string;
  legalBasis: string;
  authorisation: GrantedAuthorisation | UrgentAuthorisation;
  location: string;
  start: string | Date;
  end: string | Date;
  minThreshold: number;
  reviewersPerAlert?: number;
  alertRetention: string | number;
  reviewers?: string[];
}

/** A checked deployment record in canonical form (what the audit log stores). */
export interface DeploymentSpec {
  id: string;
  purpose: string;
  legalBasis: string;
  authorisation: { reference: string; by: string; at: string } | { urgent: true; requestedAt: string };
  location: string;
  start: string;
  end: string;
  minThreshold: number;
  reviewersPerAlert: number;
  alertRetention: string | number;
  reviewers?: string[];
}

const KEYS = ['id', 'purpose', 'legalBasis', 'authorisation', 'location', 'start', 'end', 'minThreshold', 'reviewersPerAlert', 'alertRetention', 'reviewers'] as const;

/** Reviewer names compare case- and space-insensitively: "Alice Smith" and "alice  smith " are one person. */
export function normaliseReviewer(name: string): string {
  return name.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}

export function checkDeploymentRecord(value: unknown, param = 'deployment'): DeploymentSpec {
  if (!isPlainObject(value)) throw invalidType(param, 'a deployment record object', value);
  const o = checkOptions(param, value, KEYS);
  for (const k of ['id', 'purpose', 'legalBasis', 'authorisation', 'location', 'start', 'end', 'minThreshold', 'alertRetention'] as const) {
    if (o[k] === undefined) throw invalidType(`${param}.${k}`, `the deployment's ${k} (every deployment states it)`, undefined);
  }
  const id = checkString(`${param}.id`, o.id);
  if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(id)) throw outOfRange(`${param}.id`, 'letters, digits and . _ : - (at most 128)', id);
  const start = parseInstant(`${param}.start`, o.start);
  const end = parseInstant(`${param}.end`, o.end);
  if (end.getTime() <= start.getTime()) throw outOfRange(`${param}.end`, `a time after start (${start.toISOString()})`, o.end);
  const a = o.authorisation;
  if (!isPlainObject(a)) throw invalidType(`${param}.authorisation`, '{ reference, by, at } or { urgent: true, requestedAt }', a);
  let authorisation: DeploymentSpec['authorisation'];
  if (a.urgent !== undefined) {
    const u = checkOptions(`${param}.authorisation`, a, ['urgent', 'requestedAt']);
    if (u.urgent !== true) throw outOfRange(`${param}.authorisation.urgent`, 'true (or no urgent field and a granted authorisation)', u.urgent);
    if (u.requestedAt === undefined) throw invalidType(`${param}.authorisation.requestedAt`, 'the time authorisation was requested', undefined);
    authorisation = { urgent: true, requestedAt: parseInstant(`${param}.authorisation.requestedAt`, u.requestedAt).toISOString() };
  } else {
    const g = checkOptions(`${param}.authorisation`, a, ['reference', 'by', 'at']);
    authorisation = {
      reference: checkString(`${param}.authorisation.reference`, g.reference),
      by: checkString(`${param}.authorisation.by`, g.by),
      at: parseInstant(`${param}.authorisation.at`, g.at).toISOString(),
    };
  }
  const minThreshold = checkNumber(`${param}.minThreshold`, o.minThreshold, -1, 1);
  const reviewersPerAlert = o.reviewersPerAlert === undefined ? 2 : checkInteger(`${param}.reviewersPerAlert`, o.reviewersPerAlert, 1, 10);
  parseDuration(`${param}.alertRetention`, o.alertRetention);
  let reviewers: string[] | undefined;
  if (o.reviewers !== undefined) {
    if (!Array.isArray(o.reviewers) || o.reviewers.length === 0) throw invalidType(`${param}.reviewers`, 'a non-empty array of names', o.reviewers);
    reviewers = o.reviewers.map((r, i) => checkString(`${param}.reviewers[${i}]`, r));
    const distinct = new Set(reviewers.map(normaliseReviewer));
    if (distinct.size < reviewersPerAlert) {
      throw outOfRange(`${param}.reviewers`, `at least reviewersPerAlert (${reviewersPerAlert}) distinct people`, reviewers);
    }
  }
  return {
    id,
    purpose: checkString(`${param}.purpose`, o.purpose),
    legalBasis: checkString(`${param}.legalBasis`, o.legalBasis),
    authorisation,
    location: checkString(`${param}.location`, o.location),
    start: start.toISOString(),
    end: end.toISOString(),
    minThreshold,
    reviewersPerAlert,
    alertRetention: o.alertRetention as string | number,
    ...(reviewers ? { reviewers } : {}),
  };
}

/** Provenance of a watchlist entry, stored as the entry's metadata. */
export interface Provenance {
  /** The deployment the entry was enrolled for (a bespoke watchlist). */
  deployment?: string;
  category: EntryCategory;
  reason: string;
  source: string;
  addedBy: string;
  addedAt: string;
  expiresAt: string;
}

export interface ProvenanceInput {
  deployment?: string;
  category: EntryCategory;
  reason: string;
  source: string;
  addedBy: string;
  addedAt?: string | Date;
  expiresAt: string | Date;
}

export function checkProvenance(value: unknown, param: string, now: Date): Provenance {
  const o = checkOptions(param, value, ['deployment', 'category', 'reason', 'source', 'addedBy', 'addedAt', 'expiresAt']);
  if (!isPlainObject(value)) throw invalidType(param, 'an object { category, reason, source, addedBy, expiresAt }', value);
  const category = o.category;
  if (typeof category !== 'string' || !(ENTRY_CATEGORIES as readonly string[]).includes(category)) {
    throw outOfRange(`${param}.category`, `one of ${ENTRY_CATEGORIES.join(', ')}`, category);
  }
  if (o.expiresAt === undefined) throw invalidType(`${param}.expiresAt`, 'an expiry date (every entry expires)', undefined);
  const addedAt = o.addedAt === undefined ? now : parseInstant(`${param}.addedAt`, o.addedAt);
  const expiresAt = parseInstant(`${param}.expiresAt`, o.expiresAt);
  if (expiresAt.getTime() <= addedAt.getTime()) throw outOfRange(`${param}.expiresAt`, `a time after addedAt (${addedAt.toISOString()})`, o.expiresAt);
  return {
    ...(o.deployment !== undefined ? { deployment: checkString(`${param}.deployment`, o.deployment) } : {}),
    category: category as EntryCategory,
    reason: checkString(`${param}.reason`, o.reason),
    source: checkString(`${param}.source`, o.source),
    addedBy: checkString(`${param}.addedBy`, o.addedBy),
    addedAt: addedAt.toISOString(),
    expiresAt: expiresAt.toISOString(),
  };
}

/** Reads the provenance kept in an entry's metadata, or a reason why it is not there. */
export function provenanceOf(metadata: Record<string, unknown> | undefined): Provenance | string {
  const p = metadata?.provenance;
  if (!isPlainObject(p)) return 'it has no provenance (enrol it with governance.enrol())';
  if (typeof p.category !== 'string' || !(ENTRY_CATEGORIES as readonly string[]).includes(p.category)) return 'its provenance has no valid category';
  if (typeof p.expiresAt !== 'string' || Number.isNaN(Date.parse(p.expiresAt))) return 'its provenance has no valid expiresAt';
  for (const k of ['reason', 'source', 'addedBy', 'addedAt'] as const) if (typeof p[k] !== 'string') return `its provenance lacks ${k}`;
  return p as unknown as Provenance;
}
