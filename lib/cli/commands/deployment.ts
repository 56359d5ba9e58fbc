/**
 * livefr deployment status|authorise|refuse|end <deployment.json> --audit LOG
 *
 *   status     the deployment's state, authorisation, alerts and their outcomes
 *   authorise  records the authorisation of an urgent deployment (--reference, --by)
 *   refuse     records a refusal: the deployment stops and deletes its alerts' crops
 *   end        ends it now: its watchlist file (--watchlist) and every unconfirmed crop are deleted
 *
 * Each also applies what the clock calls for (an urgent deployment past its
 * 24 h, a window that closed, alerts past their retention).
 */
import { existsSync } from 'node:fs';
import { parseArgs, usage, UsageError, type FlagSpec } from '../args.js';
import { GOVERNANCE_FLAGS, openGovernance } from '../governance.js';

const SPEC: Record<string, FlagSpec> = {
  audit: GOVERNANCE_FLAGS.audit!,
  'audit-key': GOVERNANCE_FLAGS['audit-key']!,
  reference: { type: 'string', description: 'authorise: the authorisation reference' },
  by: { type: 'string', description: 'authorise / refuse: who decided' },
  reason: { type: 'string', description: 'refuse / end: why' },
  watchlist: { type: 'list', description: "end: the deployment's watchlist file, deleted (repeatable)" },
  json: { type: 'boolean', description: 'print JSON' },
  help: { type: 'boolean', description: 'show this help' },
};

const SYNOPSIS = 'status|authorise|refuse|end <deployment.json> --audit LOG [--reference R --by NAME] [--watchlist FILE]';

export async function run(argv: string[]): Promise<number> {
  const { positional, flags } = parseArgs(argv, SPEC);
  const [sub, file, ...extra] = positional;
  if (flags.help || !sub) {
    process.stdout.write(usage('deployment', SYNOPSIS, SPEC) + '\n');
    return flags.help ? 0 : 2;
  }
  if (!['status', 'authorise', 'authorize', 'refuse', 'end'].includes(sub)) throw new UsageError('command', `Unknown deployment subcommand ${JSON.stringify(sub)} (status, authorise, refuse, end)`);
  if (!file || extra.length > 0) throw new UsageError('arguments', `Expected one deployment record file: livefr deployment ${sub} <deployment.json> --audit LOG`);
  if (flags.audit === undefined) throw new UsageError('--audit', 'Expected --audit LOG');
  const g = await openGovernance({ ...flags, deployment: file });
  const d = g.deployment!;
  const out = (s: string) => process.stdout.write(s + '\n');
  try {
    if (sub === 'authorise' || sub === 'authorize') {
      if (flags.reference === undefined || flags.by === undefined) throw new UsageError('--reference', 'Expected --reference R --by NAME');
      d.authorise({ reference: flags.reference as string, by: flags.by as string });
      out(`recorded: deployment ${d.id} is authorised (${flags.reference})`);
    } else if (sub === 'refuse') {
      if (flags.by === undefined) throw new UsageError('--by', 'Expected --by NAME');
      const s = await d.refuseAuthorisation({ by: flags.by as string, ...(flags.reason !== undefined ? { reason: flags.reason as string } : {}) });
      out(`recorded: deployment ${d.id} stopped (authorisation refused); ${s.crops} alert crops deleted`);
    } else if (sub === 'end') {
      const files = (flags.watchlist as string[] | undefined) ?? [];
      for (const f of files) if (!existsSync(f)) throw new UsageError('--watchlist', `No watchlist file ${JSON.stringify(f)}`);
      const s = await d.end((flags.reason as string | undefined) ?? 'ended', { files });
      out(`recorded: deployment ${d.id} ended; ${s.crops} unconfirmed alert crops and ${files.length} watchlist files deleted`);
    }
    await d.sweep();
    const r = d.record;
    const alerts = d.alerts();
    const by = (o: string) => alerts.filter((a) => a.outcome === o).length;
    if (flags.json) out(JSON.stringify({ id: d.id, ...r, alerts: alerts.length, confirmed: by('confirmed'), rejected: by('rejected'), pending: by('pending'), expired: by('expired'), deleted: by('deleted') }));
    else {
      const deadline = d.authorisationDeadline;
      out(`deployment ${d.id}: ${r.status}; authorisation ${r.authorisation}${deadline && r.authorisation === 'pending' ? ` (must be recorded by ${deadline.toISOString()})` : ''}${r.ended ? `; ended ${r.ended.at} (${r.ended.reason})` : ''}`);
      out(`  window ${d.spec.start} to ${d.spec.end}; minimum threshold ${d.spec.minThreshold}; ${d.spec.reviewersPerAlert} reviewers per alert`);
      out(`  alerts ${alerts.length}: ${by('confirmed')} confirmed, ${by('rejected')} rejected, ${by('pending')} pending, ${by('expired')} expired${by('deleted') ? `, ${by('deleted')} deleted` : ''}`);
    }
    return 0;
  } finally {
    await g.close();
  }
}
