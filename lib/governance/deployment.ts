/**
 * A deployment: one authorised use of live facial recognition at one place
 * for one period, with its own (bespoke) watchlist, a minimum threshold, a
 * review rule and a retention period for alerts. Everything it does is
 * written to the audit log first.
 *
 * Rules enforced here (each refusal is a typed error):
 * - nothing is admitted outside [start, end), below minThreshold, or with a
 *   watchlist that was not bound to this deployment (every entry enrolled
 *   for it, none expired);
 * - an urgent deployment (authorisation { urgent: true, requestedAt }) must
 *   have its authorisation recorded within 24 h of starting (EU AI Act
 *   Art. 5(3)); when it is refused or late, the deployment stops and deletes
 *   every alert crop and its watchlist;
 * - an alert needs reviewersPerAlert distinct reviewers to be confirmed; one
 *   rejection rejects it and deletes its crop; unreviewed alerts and their
 *   crops expire after alertRetention;
 * - ending a deployment (by hand or when its window closes) purges its
 *   watchlist and every unconfirmed alert crop.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { LivefrRangeError, StateError, invalidType, outOfRange } from '../errors.js';
import { parseKey } from '../util/aead.js';
import { removeFileScrubbed, removeStaleTemps } from '../util/atomic-file.js';
import { checkNumber, checkOptions, checkString, isPlainObject } from '../validate.js';
import type { MatchResult, ThresholdCalibration, Watchlist } from '../watchlist/index.js';
import { AuditLog, type AuditRecord } from './audit.js';
import { CropStore } from './crops.js';
import { checkDeploymentRecord, provenanceOf, URGENT_AUTHORISATION_MS, type DeploymentRecord, type DeploymentSpec, type EntryCategory } from './records.js';
import { expireAlert, recordReview, type ReviewInput, type ReviewResult } from './review.js';
import { GovernanceState, type AlertState } from './state.js';
import { parseDuration, parseInstant } from './time.js';

export interface DeploymentOptions {
  /** The audit log (an open AuditLog, or its path: opened, and closed by close()). */
  audit: AuditLog | string;
  /** Ed25519 key to sign the log with, when `audit` is a path. */
  signingKey?: string | Buffer | import('node:crypto').KeyObject;
  /** Folder of alert crops (default `<audit log>.crops/<deployment id>`), relative to the log's folder when relative. */
  cropsDir?: string;
  /** AES-256 key: alert crops are encrypted with it. */
  cropKey?: Uint8Array | string;
  /** Keep a crop of each alert for its reviewers (default true). */
  keepCrops?: boolean;
  /** sha256 of the models that produce alerts (recorded with each alert). */
  models?: { detector?: string; embedder?: string };
  /** Faces-scanned counters are written at most this often (default 60,000 ms) and on close. */
  countsFlushMs?: number;
  /** Clock (tests). */
  now?: () => Date;
}

export type DeploymentStatus = 'scheduled' | 'active' | 'ended' | 'stopped';

export interface AdmitContext {
  threshold: number;
  watchlist: Watchlist;
  streamId?: string;
  now?: Date;
}

export interface AlertInput {
  watchlistId: string;
  score: number;
  threshold: number;
  streamId?: string;
  /** When the face was seen (default now). */
  time?: Date | number | string;
  /** Video: index of the frame the decision used, and its time in seconds from the stream's start. */
  frame?: number;
  streamTime?: number;
  /** JPEG of that face only. */
  crop?: Uint8Array;
}

/** An alert as governance hands it on: a prompt for people to review, not a decision. */
export interface GovernedAlert {
  id: string;
  deploymentId: string;
  expiresAt: string;
  reviewersRequired: number;
  review(review: ReviewInput): ReviewResult;
}

export interface EndSummary {
  reason: string;
  people: number;
  templates: number;
  crops: number;
  files: number;
}

interface Binding {
  file?: string;
}

/** Checks a deployment record and opens (or resumes) the deployment in its audit log. */
export function createDeployment(record: DeploymentRecord, options: DeploymentOptions): Deployment {
  return Deployment.open(record, options);
}

export class Deployment {
  readonly spec: DeploymentSpec;
  readonly audit: AuditLog;
  readonly crops: CropStore;
  readonly #state: GovernanceState;
  readonly #ownsAudit: boolean;
  readonly #now: () => Date;
  readonly #keepCrops: boolean;
  readonly #models: { detector?: string; embedder?: string } | undefined;
  readonly #retentionMs: number;
  readonly #flushMs: number;
  readonly #bound = new Map<Watchlist, Binding>();
  readonly #counts = new Map<string, number>();
  #countsSince: number;
  #timer: NodeJS.Timeout | undefined;
  #deadlines: NodeJS.Timeout[] = [];
  readonly #endListeners = new Set<(ended: { reason: string; at: string }) => void>();
  #purging: Promise<unknown> = Promise.resolve();
  #unlisten: () => void;
  #closed = false;
  #finishing = false;

  private constructor(spec: DeploymentSpec, audit: AuditLog, ownsAudit: boolean, crops: CropStore, o: Required<Pick<DeploymentOptions, 'keepCrops' | 'countsFlushMs' | 'now'>> & Pick<DeploymentOptions, 'models'>) {
    this.spec = spec;
    this.audit = audit;
    this.#ownsAudit = ownsAudit;
    this.crops = crops;
    this.#now = o.now;
    this.#keepCrops = o.keepCrops;
    this.#models = o.models;
    this.#flushMs = o.countsFlushMs;
    this.#retentionMs = parseDuration('deployment.alertRetention', spec.alertRetention);
    this.#countsSince = this.#now().getTime();
    this.#state = new GovernanceState();
    audit.replay((r) => this.#state.apply(r));
    this.#unlisten = audit.onRecord((r: AuditRecord) => {
      this.#state.apply(r);
      if (r.type === 'deployment.end' && r.deployment === this.spec.id) {
        const ended = { reason: String(r.reason), at: r.time };
        // Ended by another process (livefr deployment end): purge what this one holds.
        if (!this.#finishing && this.#bound.size > 0) this.#purgeBound([...this.#bound], []);
        for (const l of this.#endListeners) queueMicrotask(() => l(ended));
        this.#endListeners.clear();
      }
    });
  }

  static open(record: DeploymentRecord, options: DeploymentOptions): Deployment {
    const spec = checkDeploymentRecord(record);
    const o = checkOptions('options', options, ['audit', 'signingKey', 'cropsDir', 'cropKey', 'keepCrops', 'models', 'countsFlushMs', 'now']);
    if (options === undefined || o.audit === undefined) throw invalidType('options.audit', 'an AuditLog or the path of an audit log', undefined);
    const now = o.now === undefined ? () => new Date() : o.now;
    if (typeof now !== 'function') throw invalidType('options.now', 'a function returning a Date', now);
    let audit: AuditLog;
    let owns = false;
    if (o.audit instanceof AuditLog) audit = o.audit;
    else if (typeof o.audit === 'string') {
      audit = AuditLog.open(o.audit, { ...(o.signingKey !== undefined ? { signingKey: o.signingKey as string } : {}), now: now as () => Date });
      owns = true;
    } else throw invalidType('options.audit', 'an AuditLog or the path of an audit log', o.audit);
    const logDir = path.dirname(audit.file);
    const cropsDir = o.cropsDir === undefined ? `${path.basename(audit.file)}.crops/${spec.id}` : checkString('options.cropsDir', o.cropsDir);
    const crops = new CropStore(logDir, cropsDir, o.cropKey === undefined ? undefined : parseKey('options.cropKey', o.cropKey));
    let models: DeploymentOptions['models'];
    if (o.models !== undefined) {
      const m = checkOptions('options.models', o.models, ['detector', 'embedder']);
      models = {};
      for (const k of ['detector', 'embedder'] as const) {
        if (m[k] === undefined) continue;
        if (typeof m[k] !== 'string' || !/^[0-9a-f]{64}$/.test(m[k] as string)) throw outOfRange(`options.models.${k}`, 'the sha256 of the model file (64 hex digits)', m[k]);
        models[k] = m[k] as string;
      }
    }
    const flush = o.countsFlushMs === undefined ? 60_000 : checkNumber('options.countsFlushMs', o.countsFlushMs, 0);
    const d = new Deployment(spec, audit, owns, crops, {
      keepCrops: o.keepCrops === undefined ? true : Boolean(o.keepCrops),
      countsFlushMs: flush,
      now: now as () => Date,
      models,
    });
    try {
      d.#register();
      d.#reconcileCrops();
    } catch (err) {
      d.close();
      throw err;
    }
    return d;
  }

  get id(): string {
    return this.spec.id;
  }

  /** When an urgent deployment must have its authorisation recorded. */
  get authorisationDeadline(): Date | undefined {
    return 'urgent' in this.spec.authorisation ? urgentDeadline(this.spec) : undefined;
  }

  /** The state the audit log records for this deployment (a copy). */
  get record(): { status: DeploymentStatus; authorisation: 'granted' | 'pending' | 'refused'; ended?: { at: string; reason: string } } {
    const s = this.#mine();
    return { status: this.status(), authorisation: s.authorisation, ...(s.ended ? { ended: { ...s.ended } } : {}) };
  }

  /** Status at `now` without changing anything (use sweep() to act on it). */
  status(now: Date = this.#now()): DeploymentStatus {
    const s = this.#mine();
    if (s.ended) return s.ended.reason.startsWith('authorisation') ? 'stopped' : 'ended';
    const t = now.getTime();
    if (t < Date.parse(this.spec.start)) return 'scheduled';
    if (t >= Date.parse(this.spec.end)) return 'ended';
    if (s.authorisation === 'refused') return 'stopped';
    const deadline = this.authorisationDeadline;
    if (s.authorisation === 'pending' && deadline && t >= deadline.getTime()) return 'stopped';
    return 'active';
  }

  /** Alerts of this deployment (copies). */
  alerts(): AlertState[] {
    return this.#mine().alerts.map((id) => structuredClone(this.#state.alerts.get(id)!));
  }

  alert(id: string): AlertState | undefined {
    const a = this.#state.alerts.get(checkString('id', id));
    return a && a.deployment === this.spec.id ? structuredClone(a) : undefined;
  }

  // ---------------------------------------------------------- watchlist --

  /**
   * Binds a watchlist to this deployment: every entry must have been
   * enrolled for it (provenance.deployment) and be unexpired, and its
   * threshold must not be below minThreshold. Records the list's size by
   * category (never its templates). `file`: where it is saved, deleted when
   * the deployment ends.
   */
  bindWatchlist(watchlist: Watchlist, options?: { file?: string }): void {
    this.#checkWatchlistObject(watchlist);
    const o = checkOptions('options', options, ['file']);
    const file = o.file === undefined ? undefined : path.resolve(checkString('options.file', o.file));
    const now = this.#now();
    this.#enforce(now);
    if (this.status(now) === 'ended' || this.status(now) === 'stopped') throw new StateError(`Deployment ${this.id} is ${this.status(now)}: no watchlist can be bound to it`);
    const figures = this.#checkBespoke(watchlist, now);
    if (watchlist.threshold < this.spec.minThreshold) {
      throw new LivefrRangeError('watchlist.threshold', `Expected a watchlist threshold >= the deployment's minimum ${this.spec.minThreshold} but it is ${watchlist.threshold}`);
    }
    this.audit.append('watchlist.bind', { deployment: this.id, ...figures, threshold: watchlist.threshold });
    this.#bound.set(watchlist, file === undefined ? {} : { file });
  }

  /**
   * Sets a bound watchlist's threshold, refusing one below minThreshold,
   * and records the change.
   */
  setThreshold(watchlist: Watchlist, threshold: number, options?: { force?: boolean; calibration?: ThresholdCalibration }): void {
    this.#requireBound(watchlist);
    const t = checkNumber('threshold', threshold);
    if (t < this.spec.minThreshold) {
      throw new LivefrRangeError('threshold', `Expected threshold >= the deployment's minimum ${this.spec.minThreshold} but received ${t}`);
    }
    const previous = watchlist.threshold;
    watchlist.setThreshold(t, options as never);
    this.audit.append('threshold.set', { deployment: this.id, threshold: t, previous, calibrated: options?.calibration !== undefined, forced: options?.force === true });
  }

  // -------------------------------------------------------------- admit --

  /**
   * Called before any frame is processed: throws StateError outside the
   * window, when stopped or ended, or with an unbound watchlist, and a
   * RangeError naming `threshold` below the minimum.
   */
  admit(context: AdmitContext): void {
    if (!isPlainObject(context)) throw invalidType('context', 'an object { threshold, watchlist, streamId?, now? }', context);
    const now = context.now === undefined ? this.#now() : parseInstant('context.now', context.now);
    const threshold = checkNumber('threshold', context.threshold);
    this.#checkWatchlistObject(context.watchlist);
    this.#enforce(now);
    const status = this.status(now);
    if (status !== 'active') throw new StateError(this.#whyNot(status, now));
    if (threshold < this.spec.minThreshold) {
      throw new LivefrRangeError('threshold', `Expected threshold >= the minimum ${this.spec.minThreshold} of deployment ${this.id} but received ${threshold}`);
    }
    if (!this.#bound.has(context.watchlist)) {
      throw new StateError(`The watchlist is not bound to deployment ${this.id}: bind its bespoke watchlist with deployment.bindWatchlist() first`);
    }
    this.#checkBespoke(context.watchlist, now);
  }

  // ------------------------------------------------------------- alerts --

  /**
   * Records an alert (and its crop) before it is shown to anyone. Throws
   * StateError when the deployment is no longer active (the caller must stop).
   */
  recordAlert(input: AlertInput): GovernedAlert {
    const o = checkOptions('alert', input, ['watchlistId', 'score', 'threshold', 'streamId', 'time', 'frame', 'streamTime', 'crop']);
    if (input === undefined) throw invalidType('alert', 'an alert object', input);
    const watchlistId = checkString('alert.watchlistId', o.watchlistId);
    const score = checkNumber('alert.score', o.score);
    const threshold = checkNumber('alert.threshold', o.threshold);
    const stream = o.streamId === undefined ? 'still' : checkString('alert.streamId', o.streamId);
    const now = this.#now();
    const at = o.time === undefined ? now : parseInstant('alert.time', o.time);
    if (o.crop !== undefined && !(o.crop instanceof Uint8Array)) throw invalidType('alert.crop', 'a JPEG Buffer', o.crop);
    const frame = o.frame === undefined ? undefined : checkNumber('alert.frame', o.frame, 0);
    const streamTime = o.streamTime === undefined ? undefined : checkNumber('alert.streamTime', o.streamTime, 0);
    if (score < threshold) throw outOfRange('alert.score', `a score >= the alert's threshold ${threshold}`, score);
    this.#enforce(now);
    const status = this.status(now);
    if (status !== 'active') throw new StateError(this.#whyNot(status, now));
    if (threshold < this.spec.minThreshold) {
      throw new StateError(`An alert at threshold ${threshold} is below the minimum ${this.spec.minThreshold} of deployment ${this.id}: the pipeline must stop`);
    }
    if (this.#bound.size > 0 && ![...this.#bound.keys()].some((w) => w.has(watchlistId))) {
      throw new StateError(`Alert for ${JSON.stringify(watchlistId)}, who is on no watchlist bound to deployment ${this.id}`);
    }
    const id = `a${randomBytes(8).toString('hex')}`;
    const expiresAt = new Date(at.getTime() + this.#retentionMs).toISOString();
    // The crop first: a crash in between leaves a file no record names, which the next open removes.
    const crop = o.crop !== undefined && this.#keepCrops ? this.crops.write(id, o.crop as Uint8Array) : undefined;
    try {
      this.audit.append('alert', {
        deployment: this.id,
        alert: id,
        stream,
        at: at.toISOString(),
        ...(frame !== undefined ? { frame } : {}),
        ...(streamTime !== undefined ? { streamTime: Math.round(streamTime * 1000) / 1000 } : {}),
        watchlistId,
        score: Math.round(score * 1e6) / 1e6,
        threshold,
        reviewersRequired: this.spec.reviewersPerAlert,
        expiresAt,
        ...(crop ? { crop } : {}),
        ...(this.#models ? { models: this.#models } : {}),
      });
    } catch (err) {
      if (crop) this.crops.delete(crop);
      throw err;
    }
    return this.#governed(id);
  }

  /**
   * Records the alerts among `results` of Watchlist.match() (one per face;
   * non-alerting results leave no trace). `crops[i]` is the JPEG of face i.
   */
  recordMatches(results: readonly MatchResult[], context: { threshold: number; streamId?: string; time?: Date | number | string; crops?: readonly (Uint8Array | undefined)[] }): (GovernedAlert | null)[] {
    if (!Array.isArray(results)) throw invalidType('results', 'the array Watchlist.match() resolved to', results);
    const c = checkOptions('context', context, ['threshold', 'streamId', 'time', 'crops']);
    const threshold = checkNumber('context.threshold', c.threshold);
    return results.map((r, i) => {
      if (!r || !r.alert || !r.best) return null;
      return this.recordAlert({
        watchlistId: r.best.id,
        score: r.best.score,
        threshold,
        ...(c.streamId !== undefined ? { streamId: c.streamId as string } : {}),
        ...(c.time !== undefined ? { time: c.time as Date } : {}),
        ...((c.crops as (Uint8Array | undefined)[] | undefined)?.[i] ? { crop: (c.crops as Uint8Array[])[i]! } : {}),
      });
    });
  }

  /** One person's review of an alert of this deployment. */
  review(alertId: string, review: ReviewInput): ReviewResult {
    const a = this.#state.alerts.get(checkString('alertId', alertId));
    if (!a || a.deployment !== this.id) throw new LivefrRangeError('alertId', `No alert ${JSON.stringify(alertId)} in deployment ${this.id}`);
    return recordReview(this.audit, this.#state, this.crops, alertId, review, this.#now());
  }

  /** Counts faces scanned (detected and quality-gated), never anything else about them. */
  facesScanned(streamId: string, count: number): void {
    const s = checkString('streamId', streamId);
    if (!Number.isSafeInteger(count) || count < 0) throw outOfRange('count', 'a non-negative integer', count);
    this.#counts.set(s, (this.#counts.get(s) ?? 0) + count);
    if (this.#now().getTime() - this.#countsSince >= this.#flushMs) this.flushCounts();
  }

  /** Writes the pending faces-scanned counters. */
  flushCounts(): void {
    const until = this.#now();
    const since = new Date(this.#countsSince).toISOString();
    const pending = [...this.#counts].filter(([, n]) => n > 0);
    this.#counts.clear();
    this.#countsSince = until.getTime();
    if (pending.length === 0) return;
    this.audit.transaction((append) => {
      for (const [stream, count] of pending) append('faces.scanned', { deployment: this.id, stream, count, since, until: until.toISOString() });
    });
  }

  // ----------------------------------------------------- authorisation --

  /** Records the authorisation of an urgent deployment (before its deadline). */
  authorise(authorisation: { reference: string; by: string; at?: Date | string }): void {
    const o = checkOptions('authorisation', authorisation, ['reference', 'by', 'at']);
    const reference = checkString('authorisation.reference', o.reference);
    const by = checkString('authorisation.by', o.by);
    const now = this.#now();
    const at = o.at === undefined ? now : parseInstant('authorisation.at', o.at);
    this.audit.transaction((append) => {
      const s = this.#mine();
      if (s.authorisation === 'granted') throw new StateError(`Deployment ${this.id} is already authorised`);
      if (s.authorisation === 'refused' || s.ended) throw new StateError(`Deployment ${this.id} was stopped; it cannot be authorised afterwards`);
      const deadline = this.authorisationDeadline!;
      if (now.getTime() >= deadline.getTime() || at.getTime() >= deadline.getTime()) {
        throw new StateError(`The authorisation of urgent deployment ${this.id} came after its deadline ${deadline.toISOString()}: the deployment has stopped`);
      }
      append('deployment.authorisation', { deployment: this.id, decision: 'granted', reference, by, at: at.toISOString() });
    });
    this.#enforce(now);
  }

  /** Records that the authorisation was refused: the deployment stops and deletes its alerts' crops and its watchlist. */
  async refuseAuthorisation(refusal: { by: string; reason?: string; at?: Date | string }): Promise<EndSummary> {
    const o = checkOptions('refusal', refusal, ['by', 'reason', 'at']);
    const by = checkString('refusal.by', o.by);
    const at = o.at === undefined ? this.#now() : parseInstant('refusal.at', o.at);
    this.audit.transaction((append) => {
      const s = this.#mine();
      if (s.ended) throw new StateError(`Deployment ${this.id} has already ended`);
      append('deployment.authorisation', {
        deployment: this.id,
        decision: 'refused',
        by,
        at: at.toISOString(),
        ...(o.reason !== undefined ? { reason: checkString('refusal.reason', o.reason) } : {}),
      });
    });
    return this.#stop('authorisation-refused');
  }

  // ------------------------------------------------------------- ending --

  /**
   * Ends the deployment: its bound watchlists are emptied (and their files
   * deleted), every unconfirmed alert crop is deleted. Confirmed alerts keep
   * theirs (they are evidence, kept under the force's own rules).
   */
  async end(reason = 'ended', options?: { files?: string[] }): Promise<EndSummary> {
    const r = checkString('reason', reason);
    if (r.startsWith('authorisation')) throw outOfRange('reason', 'a reason not starting with "authorisation" (those are the stop reasons)', r);
    const o = checkOptions('options', options, ['files']);
    if (o.files !== undefined && !Array.isArray(o.files)) throw invalidType('options.files', 'an array of watchlist file paths', o.files);
    const files = ((o.files as unknown[] | undefined) ?? []).map((f, i) => path.resolve(checkString(`options.files[${i}]`, f)));
    return this.#finish(r, false, files);
  }

  /**
   * Acts on the clock: stops an urgent deployment past its deadline, ends
   * one past its window, expires unreviewed alerts, flushes counters.
   */
  async sweep(): Promise<void> {
    if (this.#closed) return;
    // What other processes wrote (reviews, an end by `livefr deployment end`).
    this.audit.refresh();
    const now = this.#now();
    this.#enforce(now);
    this.#expireAlerts(now);
    if (now.getTime() - this.#countsSince >= this.#flushMs) this.flushCounts();
    await this.#purging;
  }

  /**
   * Runs sweep() every `intervalMs` (default 60,000) and at the exact
   * moments the deployment must act (its window closing, an urgent
   * authorisation's deadline) until close(). The timers do not keep the
   * process alive.
   */
  startTimers(intervalMs = 60_000): void {
    checkNumber('intervalMs', intervalMs, 10);
    this.#clearTimers();
    const sweep = () => {
      this.sweep().catch((err) => process.emitWarning(`livefr deployment ${this.id}: sweep failed: ${(err as Error).message}`));
    };
    this.#timer = setInterval(sweep, intervalMs);
    this.#timer.unref();
    const now = this.#now().getTime();
    for (const at of [Date.parse(this.spec.end), this.authorisationDeadline?.getTime()]) {
      if (at === undefined || at <= now || at - now > 2 ** 31 - 1) continue;
      const t = setTimeout(sweep, at - now + 1);
      t.unref();
      this.#deadlines.push(t);
    }
  }

  /**
   * Calls `listener` once the deployment has ended or stopped (the end
   * record is written), e.g. to stop a pipeline running under it. Returns a
   * function that removes the listener.
   */
  onEnd(listener: (ended: { reason: string; at: string }) => void): () => void {
    if (typeof listener !== 'function') throw invalidType('listener', 'a function', listener);
    const s = this.#mine();
    if (s.ended) {
      queueMicrotask(() => listener({ ...s.ended! }));
      return () => undefined;
    }
    this.#endListeners.add(listener);
    return () => this.#endListeners.delete(listener);
  }

  #clearTimers(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    for (const t of this.#deadlines) clearTimeout(t);
    this.#deadlines = [];
  }

  /** Flushes counters, stops timers, waits for purges; closes the audit log if it opened it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#clearTimers();
    try {
      if (this.#counts.size > 0) this.flushCounts();
      await this.#purging;
    } finally {
      this.#unlisten();
      if (this.#ownsAudit) this.audit.close();
    }
  }

  // ---------------------------------------------------------- internals --

  #mine() {
    return this.#state.deployments.get(this.spec.id)!;
  }

  #governed(id: string): GovernedAlert {
    const a = this.#state.alerts.get(id)!;
    return { id, deploymentId: this.id, expiresAt: a.expiresAt, reviewersRequired: a.required, review: (r) => this.review(id, r) };
  }

  /** Writes deployment.start, or checks that the log's record is this one. */
  #register(): void {
    this.audit.transaction((append) => {
      const existing = this.#state.deployments.get(this.spec.id);
      if (!existing) {
        append('deployment.start', { deployment: this.spec.id, spec: this.spec });
        return;
      }
      const diff = differingField(existing.spec, this.spec);
      if (diff === undefined) return;
      // An urgent deployment's record may later carry its granted authorisation.
      if (diff === 'authorisation' && 'urgent' in existing.spec.authorisation && !('urgent' in this.spec.authorisation)) {
        const g = this.spec.authorisation as { reference: string; by: string; at: string };
        if (existing.authorisation === 'pending' && Date.parse(g.at) < urgentDeadline(existing.spec).getTime()) {
          append('deployment.authorisation', { deployment: this.spec.id, decision: 'granted', reference: g.reference, by: g.by, at: g.at });
          return;
        }
        if (existing.authorisation === 'granted') return;
      }
      throw new StateError(`Deployment ${this.spec.id} was started with another record (${diff} differs): a deployment's rules cannot change once it started; create a new deployment`);
    });
  }

  /** Takes the actions the clock calls for (stop, end). Synchronous: the records are written before it returns. */
  #enforce(now: Date): void {
    const s = this.#mine();
    if (s.ended) return;
    const t = now.getTime();
    const deadline = s.authorisation === 'pending' ? this.authorisationDeadline : undefined;
    if (s.authorisation === 'refused') void this.#stop('authorisation-refused');
    else if (deadline && t >= deadline.getTime()) void this.#stop('authorisation-missing');
    else if (t >= Date.parse(this.spec.end)) void this.#finish('window-ended', false);
  }

  #whyNot(status: DeploymentStatus, now: Date): string {
    const s = this.#mine();
    switch (status) {
      case 'scheduled':
        return `Deployment ${this.id} has not started: its window opens at ${this.spec.start} (now ${now.toISOString()})`;
      case 'ended':
        return `Deployment ${this.id} has ended${s.ended ? ` (${s.ended.reason} at ${s.ended.at})` : ` at ${this.spec.end}`}: outside its window`;
      case 'stopped':
        return s.authorisation === 'refused'
          ? `Deployment ${this.id} was stopped: its authorisation was refused`
          : `Deployment ${this.id} was stopped: its urgent authorisation was not recorded within 24 h (by ${this.authorisationDeadline?.toISOString()})`;
      default:
        return `Deployment ${this.id} is ${status}`;
    }
  }

  #checkWatchlistObject(w: unknown): void {
    if (!w || typeof w !== 'object' || typeof (w as Watchlist).entries !== 'function' || typeof (w as Watchlist).match !== 'function') {
      throw invalidType('watchlist', 'a Watchlist', w);
    }
  }

  #requireBound(w: Watchlist): void {
    this.#checkWatchlistObject(w);
    if (!this.#bound.has(w)) throw new StateError(`The watchlist is not bound to deployment ${this.id}`);
  }

  /** Every entry enrolled for this deployment and unexpired; the list's figures by category. */
  #checkBespoke(w: Watchlist, now: Date): { people: number; templates: number; byCategory: Partial<Record<EntryCategory, number>> } {
    const byCategory: Partial<Record<EntryCategory, number>> = {};
    let templates = 0;
    const entries = w.entries();
    for (const e of entries) {
      const p = provenanceOf(e.metadata);
      if (typeof p === 'string') throw new StateError(`Watchlist entry ${JSON.stringify(e.id)} cannot be used by deployment ${this.id}: ${p}`);
      if (p.deployment !== this.id) {
        throw new StateError(`Watchlist entry ${JSON.stringify(e.id)} was enrolled for ${p.deployment === undefined ? 'no deployment' : `deployment ${p.deployment}`}, not ${this.id}: a deployment uses its own bespoke watchlist`);
      }
      if (Date.parse(p.expiresAt) <= now.getTime()) {
        throw new StateError(`Watchlist entry ${JSON.stringify(e.id)} expired at ${p.expiresAt}: run purgeExpired() before using the watchlist`);
      }
      byCategory[p.category] = (byCategory[p.category] ?? 0) + 1;
      templates += e.templates;
    }
    return { people: entries.length, templates, byCategory };
  }

  #expireAlerts(now: Date): void {
    const due = this.#mine().alerts.map((id) => this.#state.alerts.get(id)!).filter((a) => a.outcome === 'pending' && Date.parse(a.expiresAt) <= now.getTime());
    if (due.length === 0) return;
    this.audit.transaction((append) => {
      for (const a of due) expireAlert(append, this.#state, this.crops, a);
    });
  }

  /** Stop of an urgent deployment: every alert and crop deleted, then ended. */
  #stop(reason: 'authorisation-refused' | 'authorisation-missing'): Promise<EndSummary> {
    return this.#finish(reason, true);
  }

  #finish(reason: string, deleteAll: boolean, extraFiles: string[] = []): Promise<EndSummary> {
    let summary: EndSummary | undefined;
    let toPurge: [Watchlist, Binding][] = [];
    this.#finishing = true;
    try {
      this.audit.transaction((append) => {
        const s = this.#mine();
        if (s.ended) return;
        if (this.#counts.size > 0) {
          for (const [stream, count] of this.#counts) if (count > 0) append('faces.scanned', { deployment: this.id, stream, count, since: new Date(this.#countsSince).toISOString(), until: this.#now().toISOString() });
          this.#counts.clear();
        }
        let crops = 0;
        const alerts = s.alerts.map((id) => this.#state.alerts.get(id)!);
        for (const a of alerts) {
          const keep = !deleteAll && a.outcome === 'confirmed';
          if (!keep && a.crop && !a.cropDeleted && this.crops.delete(a.crop)) crops++;
        }
        if (deleteAll && alerts.length > 0) append('alerts.deleted', { deployment: this.id, alerts: alerts.length, crops, reason });
        toPurge = [...this.#bound];
        const people = toPurge.reduce((n, [w]) => n + w.size, 0);
        const templates = toPurge.reduce((n, [w]) => n + w.templateCount, 0);
        const files = new Set([...toPurge.flatMap(([, b]) => (b.file === undefined ? [] : [b.file])), ...extraFiles]).size;
        append('deployment.end', { deployment: this.id, reason, people, templates, crops, watchlistFiles: files });
        summary = { reason, people, templates, crops, files };
      });
    } finally {
      this.#finishing = false;
    }
    if (!summary) return Promise.resolve({ reason: this.#mine().ended!.reason, people: 0, templates: 0, crops: 0, files: 0 });
    return this.#purgeBound(toPurge, extraFiles).then(() => summary!);
  }

  /** Empties the bound watchlists and deletes their files (and `extraFiles`). */
  #purgeBound(toPurge: [Watchlist, Binding][], extraFiles: string[]): Promise<void> {
    this.#bound.clear();
    const purge = (async () => {
      for (const [w] of toPurge) for (const id of w.ids()) await w.remove(id);
      for (const file of new Set([...toPurge.flatMap(([, b]) => (b.file === undefined ? [] : [b.file])), ...extraFiles])) {
        removeStaleTemps(file);
        removeFileScrubbed(file);
      }
    })();
    this.#purging = this.#purging.then(() => purge).catch(() => undefined);
    return purge;
  }

  /** Removes crop files no live alert needs (a crash between writing a crop and its record, or between a decision and the deletion). */
  #reconcileCrops(): void {
    if (!existsSync(this.crops.root)) return;
    const s = this.#mine();
    const keep = new Set<string>();
    for (const id of s.alerts) {
      const a = this.#state.alerts.get(id)!;
      if (!a.crop || a.cropDeleted) continue;
      const needed = a.outcome === 'confirmed' || (a.outcome === 'pending' && !s.ended);
      if (needed) keep.add(path.resolve(this.crops.base, a.crop));
    }
    for (const name of readdirSync(this.crops.root)) {
      const file = path.join(this.crops.root, name);
      if (!keep.has(file) && /\.jpg(\.lfenc)?$/.test(name)) removeFileScrubbed(file);
      // A crop a killed writer left half-written.
      const tmp = /^\.(.+\.jpg(?:\.lfenc)?)\.\d+(?:-\d+)?\.[0-9a-f]+\.tmp$/.exec(name);
      if (tmp) removeStaleTemps(path.join(this.crops.root, tmp[1]!));
    }
  }
}

/** 24 h after the earlier of the start and the request (EU AI Act Art. 5(3)). */
export function urgentDeadline(spec: DeploymentSpec): Date {
  const a = spec.authorisation as { requestedAt: string };
  return new Date(Math.min(Date.parse(spec.start), Date.parse(a.requestedAt)) + URGENT_AUTHORISATION_MS);
}

function differingField(a: DeploymentSpec, b: DeploymentSpec): string | undefined {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    if (JSON.stringify((a as unknown as Record<string, unknown>)[k]) !== JSON.stringify((b as unknown as Record<string, unknown>)[k])) return k;
  }
  return undefined;
}
