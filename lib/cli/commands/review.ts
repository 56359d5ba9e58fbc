/**
 * livefr review <audit-log> <alert-id> --reviewer NAME --decision confirm|reject [--note TEXT]
 * livefr review <audit-log>            (lists the alerts awaiting review)
 *
 * One person's decision on an alert, appended to the audit log (under its
 * lock, so a running deployment and several reviewers can share it). The
 * log is verified first: a damaged log takes no reviews. Exit 0 recorded,
 * 1 refused (already decided, expired, same reviewer twice, damaged log),
 * 2 usage.
 */
import path from 'node:path';
import { AuditLog, CropStore, GovernanceState, recordReview, verifyAuditLog } from '../../governance/index.js';
import { parseArgs, usage, UsageError, type FlagSpec } from '../args.js';
import { count } from '../format.js';

const SPEC: Record<string, FlagSpec> = {
  reviewer: { type: 'string', env: 'LIVEFR_REVIEWER', description: 'who is reviewing (a person, named the same way each time)' },
  decision: { type: 'string', description: "'confirm' (it is the person) or 'reject' (it is not)" },
  note: { type: 'string', description: 'a short note kept with the review (no personal data of bystanders)' },
  'audit-key': { type: 'string', env: 'LIVEFR_AUDIT_KEY', description: 'Ed25519 private key (PEM file) of a signed log' },
  json: { type: 'boolean', description: 'print JSON' },
  help: { type: 'boolean', description: 'show this help' },
};

export async function run(argv: string[]): Promise<number> {
  const { positional, flags } = parseArgs(argv, SPEC);
  if (flags.help) {
    process.stdout.write(usage('review', '<audit-log> [<alert-id> --reviewer NAME --decision confirm|reject]', SPEC) + '\n');
    return 0;
  }
  if (positional.length < 1 || positional.length > 2) throw new UsageError('arguments', 'Expected <audit-log> [<alert-id>]');
  const [file, alertId] = positional as [string, string | undefined];
  const out = (s: string) => process.stdout.write(s + '\n');
  const check = verifyAuditLog(file);
  if (!check.ok) {
    process.stderr.write(`livefr review: ${file} is damaged (first bad record ${check.problem!.seq}: ${check.problem!.reason}); run livefr audit verify\n`);
    return 1;
  }
  if (alertId === undefined) {
    const state = GovernanceState.from(check.records);
    const now = Date.now();
    const pending = [...state.alerts.values()].filter((a) => a.outcome === 'pending' && Date.parse(a.expiresAt) > now && !state.deployments.get(a.deployment)?.ended);
    if (flags.json) out(JSON.stringify(pending));
    else {
      for (const a of pending) {
        out(`${a.id}  ${a.deployment}  ${a.time}  ${a.watchlistId}  score ${a.score}  reviews ${a.reviews.length}/${a.required}  expires ${a.expiresAt}${a.crop ? `  crop ${path.join(path.dirname(path.resolve(file)), a.crop)}` : ''}`);
      }
      out(`${count(pending.length, 'alert')} ${pending.length === 1 ? 'awaits' : 'await'} review`);
    }
    return 0;
  }
  if (flags.reviewer === undefined) throw new UsageError('--reviewer', 'Expected --reviewer NAME');
  if (flags.decision !== 'confirm' && flags.decision !== 'reject') {
    throw new UsageError('--decision', `Expected --decision confirm or --decision reject but received ${JSON.stringify(flags.decision ?? null)}`);
  }
  const audit = AuditLog.open(file, { create: false, ...(flags['audit-key'] !== undefined ? { signingKey: flags['audit-key'] as string } : {}) });
  try {
    const state = new GovernanceState();
    audit.replay((r) => state.apply(r));
    audit.onRecord((r) => state.apply(r));
    const crops = new CropStore(path.dirname(audit.file), '.');
    const r = recordReview(audit, state, crops, alertId, { reviewer: flags.reviewer as string, decision: flags.decision, ...(flags.note !== undefined ? { note: flags.note as string } : {}) }, new Date());
    if (flags.json) out(JSON.stringify(r));
    else {
      out(
        r.outcome === 'pending'
          ? `recorded: alert ${r.alert} has ${r.reviews} of the ${r.required} reviews it needs`
          : `recorded: alert ${r.alert} is ${r.outcome}${r.cropDeleted ? ' (its crop was deleted)' : ''}`,
      );
    }
    return 0;
  } finally {
    audit.close();
  }
}
