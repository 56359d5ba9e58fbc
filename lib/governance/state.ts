/**
 * What an audit log says happened: deployments, their alerts and the
 * reviews of those alerts, folded record by record. The same fold serves a
 * running deployment (fed its own records and other processes' as they are
 * read), `livefr review` and `livefr report`, so all three agree.
 *
 * Review rule (EU AI Act Art. 14(5)): an alert is *confirmed* once
 * `reviewersPerAlert` distinct people confirmed it; one rejection rejects
 * it (it can then never gather the concurring confirmations), and a
 * rejected alert keeps no crop. The same person reviewing twice counts once.
 */
import type { AuditRecord } from './audit.js';
import type { DeploymentSpec, EntryCategory } from './records.js';
import { normaliseReviewer } from './records.js';

export type AlertOutcome = 'pending' | 'confirmed' | 'rejected' | 'expired' | 'deleted';
export type Decision = 'confirm' | 'reject';

export interface ReviewState {
  reviewer: string;
  decision: Decision;
  at: string;
  note?: string;
}

export interface AlertState {
  id: string;
  deployment: string;
  stream: string;
  time: string;
  watchlistId: string;
  score: number;
  threshold: number;
  /** Crop file, relative to the audit log's folder (absent: none kept, or deleted). */
  crop?: string;
  cropDeleted: boolean;
  required: number;
  expiresAt: string;
  reviews: ReviewState[];
  outcome: AlertOutcome;
  decidedAt?: string;
  /** Sequence number of the alert record. */
  seq: number;
}

export interface WatchlistFigures {
  people: number;
  templates: number;
  byCategory: Partial<Record<EntryCategory, number>>;
  threshold?: number;
}

export interface DeploymentState {
  spec: DeploymentSpec;
  registeredAt: string;
  authorisation: 'granted' | 'pending' | 'refused';
  authorisedAt?: string;
  authorisationReference?: string;
  ended?: { at: string; reason: string };
  facesScanned: number;
  facesByStream: Map<string, number>;
  thresholds: number[];
  watchlist?: WatchlistFigures;
  alerts: string[];
  firstActivity?: string;
  lastActivity?: string;
}

export class GovernanceState {
  readonly deployments = new Map<string, DeploymentState>();
  readonly alerts = new Map<string, AlertState>();
  erasures = 0;
  purged = 0;
  lastSeq = -1;

  static from(records: Iterable<AuditRecord>): GovernanceState {
    const s = new GovernanceState();
    for (const r of records) s.apply(r);
    return s;
  }

  apply(r: AuditRecord): void {
    this.lastSeq = r.seq;
    const d = typeof r.deployment === 'string' ? this.deployments.get(r.deployment) : undefined;
    const touch = () => {
      if (!d) return;
      d.firstActivity ??= r.time;
      d.lastActivity = r.time;
    };
    switch (r.type) {
      case 'deployment.start': {
        const spec = r.spec as DeploymentSpec;
        if (!spec || typeof spec.id !== 'string' || this.deployments.has(spec.id)) return;
        const urgent = 'urgent' in spec.authorisation;
        this.deployments.set(spec.id, {
          spec,
          registeredAt: r.time,
          authorisation: urgent ? 'pending' : 'granted',
          ...(urgent ? {} : { authorisedAt: (spec.authorisation as { at: string }).at, authorisationReference: (spec.authorisation as { reference: string }).reference }),
          facesScanned: 0,
          facesByStream: new Map(),
          thresholds: [],
          alerts: [],
        });
        return;
      }
      case 'deployment.authorisation':
        if (!d) return;
        d.authorisation = r.decision === 'granted' ? 'granted' : 'refused';
        d.authorisedAt = String(r.at);
        if (typeof r.reference === 'string') d.authorisationReference = r.reference;
        return;
      case 'deployment.end':
        if (d && !d.ended) d.ended = { at: r.time, reason: String(r.reason) };
        return;
      case 'watchlist.bind':
        if (!d) return;
        d.watchlist = {
          people: Number(r.people),
          templates: Number(r.templates),
          byCategory: { ...(r.byCategory as Record<string, number>) },
          ...(typeof r.threshold === 'number' ? { threshold: r.threshold } : {}),
        };
        if (typeof r.threshold === 'number') pushThreshold(d, r.threshold);
        return;
      case 'threshold.set':
        if (d && typeof r.threshold === 'number') pushThreshold(d, r.threshold);
        return;
      case 'faces.scanned': {
        if (!d) return;
        const n = Number(r.count);
        if (!Number.isFinite(n) || n < 0) return;
        d.facesScanned += n;
        const s = String(r.stream);
        d.facesByStream.set(s, (d.facesByStream.get(s) ?? 0) + n);
        touch();
        return;
      }
      case 'alert': {
        if (!d || typeof r.alert !== 'string' || this.alerts.has(r.alert)) return;
        const a: AlertState = {
          id: r.alert,
          deployment: d.spec.id,
          stream: String(r.stream),
          time: String(r.at),
          watchlistId: String(r.watchlistId),
          score: Number(r.score),
          threshold: Number(r.threshold),
          ...(typeof r.crop === 'string' ? { crop: r.crop } : {}),
          cropDeleted: false,
          required: Number(r.reviewersRequired) || d.spec.reviewersPerAlert,
          expiresAt: String(r.expiresAt),
          reviews: [],
          outcome: 'pending',
          seq: r.seq,
        };
        this.alerts.set(a.id, a);
        d.alerts.push(a.id);
        pushThreshold(d, a.threshold);
        touch();
        return;
      }
      case 'review': {
        const a = typeof r.alert === 'string' ? this.alerts.get(r.alert) : undefined;
        if (!a || a.outcome !== 'pending' || (r.decision !== 'confirm' && r.decision !== 'reject')) return;
        const who = normaliseReviewer(String(r.reviewer));
        if (a.reviews.some((x) => normaliseReviewer(x.reviewer) === who)) return; // counts once
        a.reviews.push({ reviewer: String(r.reviewer), decision: r.decision, at: r.time, ...(typeof r.note === 'string' ? { note: r.note } : {}) });
        return;
      }
      case 'alert.outcome': {
        const a = typeof r.alert === 'string' ? this.alerts.get(r.alert) : undefined;
        if (!a) return;
        if (a.outcome === 'pending' || r.outcome === 'deleted') {
          a.outcome = r.outcome as AlertOutcome;
          a.decidedAt = r.time;
        }
        if (r.cropDeleted === true) a.cropDeleted = true;
        return;
      }
      case 'alerts.deleted': {
        if (!d) return;
        for (const id of d.alerts) {
          const a = this.alerts.get(id)!;
          a.outcome = 'deleted';
          a.decidedAt ??= r.time;
          a.cropDeleted = true;
        }
        return;
      }
      case 'crops.deleted': {
        if (!Array.isArray(r.alerts)) return;
        for (const id of r.alerts) {
          const a = this.alerts.get(String(id));
          if (a) a.cropDeleted = true;
        }
        return;
      }
      case 'erasure':
        this.erasures += Number(r.people) || 0;
        return;
      case 'watchlist.purge':
        this.purged += Number(r.people) || 0;
        return;
      default:
        return;
    }
  }

  /** The outcome the reviews so far call for (pending while more are needed). */
  static outcomeOf(a: Pick<AlertState, 'reviews' | 'required'>): 'pending' | 'confirmed' | 'rejected' {
    if (a.reviews.some((r) => r.decision === 'reject')) return 'rejected';
    const confirmers = new Set(a.reviews.filter((r) => r.decision === 'confirm').map((r) => normaliseReviewer(r.reviewer)));
    return confirmers.size >= a.required ? 'confirmed' : 'pending';
  }
}

function pushThreshold(d: DeploymentState, t: number): void {
  if (!d.thresholds.includes(t)) d.thresholds.push(t);
}
