/**
 * The governance flags of the commands that run models (enroll, match,
 * watch): `--deployment FILE` (the deployment record as JSON), `--audit LOG`
 * and `--audit-key FILE`, and what they open. Each command keeps only a few
 * lines for them; everything else is here and in lib/governance.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LivefrRangeError } from '../errors.js';
import { AuditLog, createDeployment, type Deployment, type DeploymentRecord } from '../governance/index.js';
import { resolveModel } from '../models/registry.js';
import { parseKey } from '../util/aead.js';
import type { FlagSpec } from './args.js';
import { UsageError } from './args.js';

type Flags = Record<string, string | number | boolean | string[] | undefined>;

export const GOVERNANCE_FLAGS: Record<string, FlagSpec> = {
  deployment: { type: 'string', env: 'LIVEFR_DEPLOYMENT', description: 'deployment record (JSON file): run under its rules and record to --audit' },
  audit: { type: 'string', env: 'LIVEFR_AUDIT_LOG', description: 'audit log (JSON lines) to write records to' },
  'audit-key': { type: 'string', env: 'LIVEFR_AUDIT_KEY', description: 'Ed25519 private key (PEM file) signing the audit records' },
};

export interface Governance {
  audit: AuditLog | undefined;
  deployment: Deployment | undefined;
  close(): Promise<void>;
}

/** Reads a deployment record file; a bad file is a UsageError naming --deployment. */
export function readDeploymentRecord(file: string): DeploymentRecord {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError('--deployment', `Cannot read the deployment record ${JSON.stringify(file)} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return JSON.parse(text) as DeploymentRecord;
  } catch (err) {
    throw new UsageError('--deployment', `The deployment record ${JSON.stringify(file)} is not valid JSON (${(err as Error).message})`);
  }
}

/** sha256 of the model a command runs (recorded with each alert). */
export async function modelSha(nameOrPath: string | undefined, task: 'detector' | 'embedder'): Promise<string | undefined> {
  try {
    const m = await resolveModel(nameOrPath ?? 'default', { task, progress: false });
    return m.manifest?.model.sha256 ?? createHash('sha256').update(readFileSync(m.path)).digest('hex');
  } catch {
    return undefined; // a family-only flag or an unknown model: the model loader reports it
  }
}

/**
 * Opens what the governance flags ask for. `--deployment` needs `--audit`:
 * a deployment runs with its records written somewhere.
 */
export async function openGovernance(flags: Flags, options?: { models?: { detector?: string; embedder?: string } }): Promise<Governance> {
  const auditFile = flags.audit as string | undefined;
  const deploymentFile = flags.deployment as string | undefined;
  const key = flags['audit-key'] as string | undefined;
  if (deploymentFile !== undefined && auditFile === undefined) {
    throw new UsageError('--audit', 'Expected --audit LOG with --deployment: a deployment writes its records to an audit log');
  }
  if (key !== undefined && auditFile === undefined) throw new UsageError('--audit-key', 'Expected --audit LOG with --audit-key');
  if (auditFile === undefined) return { audit: undefined, deployment: undefined, close: async () => undefined };
  const audit = AuditLog.open(auditFile, key !== undefined ? { signingKey: key } : {});
  let deployment: Deployment | undefined;
  try {
    if (deploymentFile !== undefined) {
      const models = options?.models && Object.values(options.models).some(Boolean) ? Object.fromEntries(Object.entries(options.models).filter(([, v]) => v)) : undefined;
      deployment = createDeployment(readDeploymentRecord(deploymentFile), { audit, ...(models ? { models } : {}) });
    }
  } catch (err) {
    audit.close();
    if (err instanceof LivefrRangeError && err.parameter.startsWith('deployment')) {
      throw new UsageError('--deployment', `${deploymentFile}: ${err.message}`);
    }
    throw err;
  }
  return {
    audit,
    deployment,
    async close() {
      try {
        await deployment?.close();
      } finally {
        audit.close();
      }
    },
  };
}

// -------------------------------------------------------------- enroll --

export const PROVENANCE_FLAGS: Record<string, FlagSpec> = {
  category: { type: 'string', description: 'provenance: wanted | missing | vulnerable | other (per person: <person>/provenance.json)' },
  reason: { type: 'string', description: 'provenance: why these people are on the watchlist' },
  source: { type: 'string', description: 'provenance: where the images come from' },
  'added-by': { type: 'string', env: 'LIVEFR_OPERATOR', description: 'provenance: who is adding them' },
  expires: { type: 'string', description: "provenance: when the entries expire (ISO date-time; default: the deployment's end)" },
};

/** True when enroll runs the governed way (quality gate, provenance). */
export function governedEnrolment(flags: Flags): boolean {
  return flags.deployment !== undefined || flags.category !== undefined;
}

/** The provenance of one person's folder: the flags, overridden by <dir>/provenance.json. */
export function provenanceFor(flags: Flags, personDir: string, deployment: Deployment | undefined): Record<string, unknown> {
  let own: Record<string, unknown> = {};
  const file = path.join(personDir, 'provenance.json');
  if (existsSync(file)) {
    try {
      own = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new UsageError('provenance.json', `${file} is not valid JSON (${(err as Error).message})`);
    }
  }
  const p: Record<string, unknown> = {
    ...(deployment ? { deployment: deployment.id } : {}),
    ...(flags.category !== undefined ? { category: flags.category } : {}),
    ...(flags.reason !== undefined ? { reason: flags.reason } : {}),
    ...(flags.source !== undefined ? { source: flags.source } : {}),
    ...(flags['added-by'] !== undefined ? { addedBy: flags['added-by'] } : {}),
    expiresAt: flags.expires ?? deployment?.spec.end,
    ...own,
  };
  for (const [k, flag] of [['category', '--category'], ['reason', '--reason'], ['source', '--source'], ['addedBy', '--added-by'], ['expiresAt', '--expires']] as const) {
    if (p[k] === undefined) throw new UsageError(flag, `Expected ${flag} (or "${k}" in ${file}): every entry records its provenance`);
  }
  return p;
}

// ------------------------------------------------------- watchlist key --

export const KEY_FLAGS: Record<string, FlagSpec> = {
  'key-file': {
    type: 'string',
    env: 'LIVEFR_WATCHLIST_KEY_FILE',
    description: 'AES-256 key of the watchlist file (64 hex digits, 44 base64 characters or 32 raw bytes; kept away from the file). LIVEFR_WATCHLIST_KEY may hold the key itself',
  },
};

/**
 * `{ key }` for Watchlist.load/save from --key-file (else the library reads
 * LIVEFR_WATCHLIST_KEY itself). A key file in the watchlist's own folder is
 * refused: a key stored beside the file protects nothing.
 */
export function watchlistKeyOptions(flags: Flags, watchlistFile: string): { key?: Buffer } {
  const f = flags['key-file'] as string | undefined;
  if (f === undefined) return {};
  if (path.resolve(path.dirname(f)) === path.resolve(path.dirname(watchlistFile))) {
    throw new UsageError('--key-file', `The key file ${JSON.stringify(f)} is in the same folder as the watchlist ${JSON.stringify(watchlistFile)}: keep the key away from the file it protects`);
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(f);
  } catch (err) {
    throw new UsageError('--key-file', `Cannot read the key file ${JSON.stringify(f)} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (bytes.length === 32) return { key: bytes };
  return { key: parseKey('--key-file', bytes.toString('utf8').trim()) };
}
