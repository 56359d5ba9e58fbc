/**
 * Transparency figures from an audit log, per deployment and in total: the
 * period, faces scanned, alerts and their outcomes, the false-alert rate per
 * face scanned with its confidence interval, the thresholds used and the
 * watchlist's size by category. The figures a police force publishes about
 * its live facial recognition (the Met's annual report gives deployments,
 * faces scanned, alerts and false alerts).
 *
 * Definitions (docs/governance.md):
 * - false alert: an alert its reviewers rejected;
 * - false-alert rate: false alerts / faces scanned, with a Clopper-Pearson
 *   ("exact") interval, which stays honest when false alerts are few;
 * - precision: confirmed / (confirmed + rejected), with the same interval;
 * - unreviewed: alerts still pending or that expired without a decision
 *   (they are neither true nor false: the report shows them separately).
 */
import { clopperPearsonInterval } from '../eval/stats.js';
import type { AuditRecord } from './audit.js';
import { ENTRY_CATEGORIES, type EntryCategory } from './records.js';
import { GovernanceState, type DeploymentState } from './state.js';

export interface RateWithInterval {
  value: number | null;
  low: number;
  high: number;
  confidence: number;
  numerator: number;
  denominator: number;
}

export interface DeploymentFigures {
  id: string;
  purpose: string;
  location: string;
  legalBasis: string;
  authorisation: string;
  period: { start: string; end: string; ended?: string; endReason?: string };
  facesScanned: number;
  alerts: number;
  confirmed: number;
  rejected: number;
  unreviewed: number;
  deleted: number;
  falseAlertRate: RateWithInterval;
  precision: RateWithInterval;
  minThreshold: number;
  thresholds: number[];
  reviewersPerAlert: number;
  watchlist: { people: number; byCategory: Partial<Record<EntryCategory, number>> } | null;
}

export interface TransparencyReport {
  generatedAt: string;
  confidence: number;
  deployments: DeploymentFigures[];
  total: Omit<DeploymentFigures, 'id' | 'purpose' | 'location' | 'legalBasis' | 'authorisation' | 'minThreshold' | 'reviewersPerAlert' | 'watchlist' | 'period'> & {
    deployments: number;
    period: { start: string; end: string } | null;
  };
  erasures: number;
  purgedEntries: number;
}

function rate(k: number, n: number, confidence: number): RateWithInterval {
  const ci = clopperPearsonInterval(k, n, confidence);
  return { value: n === 0 ? null : k / n, low: ci.low, high: ci.high, confidence, numerator: k, denominator: n };
}

function figures(d: DeploymentState, state: GovernanceState, confidence: number): DeploymentFigures {
  const alerts = d.alerts.map((id) => state.alerts.get(id)!);
  const count = (o: string) => alerts.filter((a) => a.outcome === o).length;
  const confirmed = count('confirmed');
  const rejected = count('rejected');
  const deleted = count('deleted');
  const unreviewed = count('pending') + count('expired');
  const a = d.spec.authorisation;
  const authorisation =
    'urgent' in a
      ? `urgent, requested ${a.requestedAt}; ${d.authorisation === 'granted' ? `granted${d.authorisationReference ? ` (${d.authorisationReference})` : ''}` : d.authorisation}`
      : `${a.reference}, by ${a.by}, ${a.at}`;
  return {
    id: d.spec.id,
    purpose: d.spec.purpose,
    location: d.spec.location,
    legalBasis: d.spec.legalBasis,
    authorisation,
    period: { start: d.spec.start, end: d.spec.end, ...(d.ended ? { ended: d.ended.at, endReason: d.ended.reason } : {}) },
    facesScanned: d.facesScanned,
    alerts: alerts.length,
    confirmed,
    rejected,
    unreviewed,
    deleted,
    falseAlertRate: rate(rejected, d.facesScanned, confidence),
    precision: rate(confirmed, confirmed + rejected, confidence),
    minThreshold: d.spec.minThreshold,
    thresholds: [...d.thresholds].sort((x, y) => x - y),
    reviewersPerAlert: d.spec.reviewersPerAlert,
    watchlist: d.watchlist ? { people: d.watchlist.people, byCategory: d.watchlist.byCategory } : null,
  };
}

/** Builds the report from the records of an audit log (verify the log first: verifyAuditLog). */
export function buildReport(records: Iterable<AuditRecord>, options?: { confidence?: number; now?: Date }): TransparencyReport {
  const confidence = options?.confidence ?? 0.95;
  const state = GovernanceState.from(records);
  const deployments = [...state.deployments.values()].map((d) => figures(d, state, confidence));
  const sum = (k: 'facesScanned' | 'alerts' | 'confirmed' | 'rejected' | 'unreviewed' | 'deleted') => deployments.reduce((s, d) => s + d[k], 0);
  const total = {
    deployments: deployments.length,
    period:
      deployments.length === 0
        ? null
        : { start: deployments.map((d) => d.period.start).sort()[0]!, end: deployments.map((d) => d.period.ended ?? d.period.end).sort().at(-1)! },
    facesScanned: sum('facesScanned'),
    alerts: sum('alerts'),
    confirmed: sum('confirmed'),
    rejected: sum('rejected'),
    unreviewed: sum('unreviewed'),
    deleted: sum('deleted'),
    falseAlertRate: rate(sum('rejected'), sum('facesScanned'), confidence),
    precision: rate(sum('confirmed'), sum('confirmed') + sum('rejected'), confidence),
    thresholds: [...new Set(deployments.flatMap((d) => d.thresholds))].sort((x, y) => x - y),
  };
  return { generatedAt: (options?.now ?? new Date()).toISOString(), confidence, deployments, total, erasures: state.erasures, purgedEntries: state.purged };
}

// --------------------------------------------------------------- output --

function pct(r: RateWithInterval, digits = 4): string {
  if (r.value === null) return 'n/a';
  const f = (v: number) => `${(v * 100).toPrecision(digits).replace(/\.?0+$/, '')}%`;
  return `${f(r.value)} (${Math.round(r.confidence * 100)}% CI ${f(r.low)} to ${f(r.high)})`;
}

function oneIn(r: RateWithInterval): string {
  if (r.value === null || r.numerator === 0) return r.denominator > 0 ? `none in ${r.denominator.toLocaleString('en-GB')} faces` : '';
  return `1 in ${Math.round(1 / r.value).toLocaleString('en-GB')} faces`;
}

function categories(w: DeploymentFigures['watchlist']): string {
  if (!w) return 'not recorded';
  const parts = ENTRY_CATEGORIES.filter((c) => w.byCategory[c]).map((c) => `${c} ${w.byCategory[c]}`);
  return `${w.people} people${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

/** Plain text, one block per deployment and the total. */
export function formatReportText(r: TransparencyReport): string {
  const n = (v: number) => v.toLocaleString('en-GB');
  const lines: string[] = [`Transparency report (generated ${r.generatedAt})`, ''];
  for (const d of r.deployments) {
    lines.push(
      `Deployment ${d.id}: ${d.purpose}`,
      `  location            ${d.location}`,
      `  legal basis         ${d.legalBasis}`,
      `  authorisation       ${d.authorisation}`,
      `  period              ${d.period.start} to ${d.period.end}${d.period.ended ? ` (ended ${d.period.ended}: ${d.period.endReason})` : ''}`,
      `  faces scanned       ${n(d.facesScanned)}`,
      `  alerts              ${n(d.alerts)}: ${n(d.confirmed)} confirmed, ${n(d.rejected)} rejected (false), ${n(d.unreviewed)} unreviewed${d.deleted ? `, ${n(d.deleted)} deleted` : ''}`,
      `  false-alert rate    ${pct(d.falseAlertRate)}${oneIn(d.falseAlertRate) ? `; ${oneIn(d.falseAlertRate)}` : ''}`,
      `  precision           ${pct(d.precision, 3)}`,
      `  threshold           ${d.thresholds.length ? d.thresholds.join(', ') : 'none recorded'} (minimum ${d.minThreshold}); ${d.reviewersPerAlert} reviewers per alert`,
      `  watchlist           ${categories(d.watchlist)}`,
      '',
    );
  }
  const t = r.total;
  lines.push(
    `Total: ${t.deployments} deployments${t.period ? `, ${t.period.start} to ${t.period.end}` : ''}`,
    `  faces scanned       ${n(t.facesScanned)}`,
    `  alerts              ${n(t.alerts)}: ${n(t.confirmed)} confirmed, ${n(t.rejected)} rejected (false), ${n(t.unreviewed)} unreviewed${t.deleted ? `, ${n(t.deleted)} deleted` : ''}`,
    `  false-alert rate    ${pct(t.falseAlertRate)}${oneIn(t.falseAlertRate) ? `; ${oneIn(t.falseAlertRate)}` : ''}`,
    `  precision           ${pct(t.precision, 3)}`,
    `  erasures            ${n(r.erasures)} people; ${n(r.purgedEntries)} expired entries purged`,
  );
  return lines.join('\n') + '\n';
}

function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * One self-contained HTML page for the public: inline styles, no scripts,
 * no fonts, images or anything else fetched from elsewhere.
 */
export function formatReportHtml(r: TransparencyReport, options?: { title?: string }): string {
  const title = options?.title ?? 'Live facial recognition: transparency report';
  const n = (v: number) => esc(v.toLocaleString('en-GB'));
  const row = (k: string, v: string) => `<tr><th scope="row">${esc(k)}</th><td>${v}</td></tr>`;
  const block = (d: DeploymentFigures) => `
<section>
<h2>Deployment ${esc(d.id)}</h2>
<table>
${row('Purpose', esc(d.purpose))}
${row('Location', esc(d.location))}
${row('Legal basis', esc(d.legalBasis))}
${row('Authorisation', esc(d.authorisation))}
${row('Period', `${esc(d.period.start)} to ${esc(d.period.end)}${d.period.ended ? ` (ended ${esc(d.period.ended)}: ${esc(d.period.endReason)})` : ''}`)}
${row('Faces scanned', n(d.facesScanned))}
${row('Alerts', `${n(d.alerts)}: ${n(d.confirmed)} confirmed, ${n(d.rejected)} rejected (false alerts), ${n(d.unreviewed)} unreviewed${d.deleted ? `, ${n(d.deleted)} deleted` : ''}`)}
${row('False-alert rate', `${esc(pct(d.falseAlertRate))}${oneIn(d.falseAlertRate) ? ` &mdash; ${esc(oneIn(d.falseAlertRate))}` : ''}`)}
${row('Precision of alerts', esc(pct(d.precision, 3)))}
${row('Threshold', `${esc(d.thresholds.length ? d.thresholds.join(', ') : 'none recorded')} (minimum ${esc(d.minThreshold)}); ${esc(d.reviewersPerAlert)} reviewers per alert`)}
${row('Watchlist', esc(categories(d.watchlist)))}
</table>
</section>`;
  const t = r.total;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${esc(title)}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #111; line-height: 1.45; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1.5rem; }
th, td { text-align: left; vertical-align: top; padding: 0.35rem 0.6rem; border-bottom: 1px solid #ccc; }
th { width: 13rem; font-weight: 600; }
.total { background: #f4f4f4; padding: 0.5rem 1rem; }
footer, .note { color: #444; font-size: 0.92rem; }
</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p class="note">Generated ${esc(r.generatedAt)} from the deployment's tamper-evident audit log. Faces that matched nobody on the watchlist were discarded at once; only their number is counted here.</p>
<section class="total">
<h2>All deployments</h2>
<table>
${row('Deployments', n(t.deployments))}
${row('Period', t.period ? `${esc(t.period.start)} to ${esc(t.period.end)}` : 'none')}
${row('Faces scanned', n(t.facesScanned))}
${row('Alerts', `${n(t.alerts)}: ${n(t.confirmed)} confirmed, ${n(t.rejected)} rejected (false alerts), ${n(t.unreviewed)} unreviewed${t.deleted ? `, ${n(t.deleted)} deleted` : ''}`)}
${row('False-alert rate', `${esc(pct(t.falseAlertRate))}${oneIn(t.falseAlertRate) ? ` &mdash; ${esc(oneIn(t.falseAlertRate))}` : ''}`)}
${row('Precision of alerts', esc(pct(t.precision, 3)))}
${row('Thresholds used', esc(t.thresholds.join(', ') || 'none recorded'))}
${row('People erased from watchlists', n(r.erasures))}
${row('Expired entries purged', n(r.purgedEntries))}
</table>
</section>
${r.deployments.map(block).join('\n')}
<footer>
<h2>How to read these figures</h2>
<p>An <strong>alert</strong> is raised when a face scores above the threshold against someone on the deployment's watchlist. Every alert is a prompt for people to review, not a decision: it is <strong>confirmed</strong> only when the stated number of different reviewers confirm it, and <strong>rejected</strong> (a false alert) when a reviewer rejects it. Unreviewed alerts expired without a decision and count as neither.</p>
<p>The <strong>false-alert rate</strong> is false alerts divided by faces scanned. The interval is a ${Math.round(r.confidence * 100)}% Clopper-Pearson (exact binomial) confidence interval: with few false alerts the true rate may be several times the observed one, and the interval says how far. <strong>Precision</strong> is the share of reviewed alerts that were confirmed.</p>
</footer>
</body>
</html>
`;
}
