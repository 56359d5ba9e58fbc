/**
 * livefr report <audit-log> [--html FILE] [--json] [--key PUBKEY]: the
 * transparency figures of every deployment in the log and in total. The log
 * is verified first; figures are never computed from a damaged log.
 */
import { writeFileSync } from 'node:fs';
import { buildReport, formatReportHtml, formatReportText, verifyAuditLog } from '../../governance/index.js';
import { parseArgs, usage, UsageError, type FlagSpec } from '../args.js';

const SPEC: Record<string, FlagSpec> = {
  html: { type: 'string', description: 'also write the report as one self-contained HTML page (no scripts) to FILE' },
  title: { type: 'string', description: 'title of the HTML page' },
  confidence: { type: 'number', default: 0.95, description: 'confidence level of the intervals' },
  key: { type: 'string', env: 'LIVEFR_AUDIT_PUBLIC_KEY', description: 'Ed25519 public key to check the log signatures with' },
  json: { type: 'boolean', description: 'print the figures as JSON' },
  help: { type: 'boolean', description: 'show this help' },
};

export async function run(argv: string[]): Promise<number> {
  const { positional, flags } = parseArgs(argv, SPEC);
  if (flags.help) {
    process.stdout.write(usage('report', '<audit-log> [--html FILE]', SPEC) + '\n');
    return 0;
  }
  if (positional.length !== 1) throw new UsageError('arguments', 'Expected one <audit-log>');
  const confidence = flags.confidence as number;
  if (!(confidence >= 0.5 && confidence < 1)) throw new UsageError('--confidence', `Expected a confidence between 0.5 and 1 for --confidence but received ${confidence}`);
  const v = verifyAuditLog(positional[0]!, flags.key !== undefined ? { publicKey: flags.key as string } : {});
  if (!v.ok) {
    process.stderr.write(`livefr report: ${positional[0]} is damaged (first bad record ${v.problem!.seq}: ${v.problem!.reason}); no figures from a damaged log\n`);
    return 1;
  }
  const report = buildReport(v.records, { confidence });
  if (flags.html !== undefined) {
    writeFileSync(flags.html as string, formatReportHtml(report, flags.title !== undefined ? { title: flags.title as string } : {}));
  }
  process.stdout.write(flags.json ? JSON.stringify(report) + '\n' : formatReportText(report));
  if (flags.html !== undefined && !flags.json) process.stdout.write(`HTML report written to ${flags.html}\n`);
  return 0;
}
