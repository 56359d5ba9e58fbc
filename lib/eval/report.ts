/**
 * One self-contained HTML page per evaluation run: summary tables, a DET
 * curve with log axes, score histograms with the threshold line and the
 * per-group table, all inline (SVG + CSS, no scripts, no external files).
 */
import type { Differentials } from './demographics.js';
import type { IdentifyResult } from './identify.js';
import { histogram, type DetPoint } from './metrics/index.js';
import type { VerifyResult } from './verify.js';

export interface ReportRun {
  /** e.g. 'clean' or 'size=32'. */
  label: string;
  result: VerifyResult | IdentifyResult;
}

export interface ReportInput {
  title: string;
  runs: ReportRun[];
  /** Settings shown at the top (models, data, seed...). */
  settings?: Record<string, string | number>;
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function pct(x: number | null | undefined, digits = 2): string {
  return x === null || x === undefined || Number.isNaN(x) ? '—' : `${(100 * x).toFixed(digits)}%`;
}

function num(x: number | null | undefined, digits = 4): string {
  return x === null || x === undefined ? '—' : Number.isFinite(x) ? x.toFixed(digits) : String(x);
}

interface Curve {
  label: string;
  points: DetPoint[];
}

/** DET curve on log-log axes: x = false positive rate, y = false negative rate. */
export function detSvg(curves: Curve[], xLabel: string, yLabel: string): string {
  const W = 760;
  const H = 420;
  const m = { l: 64, r: 216, t: 16, b: 48 };
  const xMin = -4;
  const yMin = -3;
  const sx = (v: number) => m.l + ((Math.log10(Math.max(v, 10 ** xMin)) - xMin) / -xMin) * (W - m.l - m.r);
  const sy = (v: number) => m.t + (1 - (Math.log10(Math.max(v, 10 ** yMin)) - yMin) / -yMin) * (H - m.t - m.b);
  const parts: string[] = [`<svg class="det" xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="DET curve">`];
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="#fff" stroke="#999"/>`);
  for (let e = xMin; e <= 0; e++) {
    const x = sx(10 ** e);
    parts.push(`<line x1="${x}" y1="${m.t}" x2="${x}" y2="${H - m.b}" stroke="#ddd"/><text x="${x}" y="${H - m.b + 16}" text-anchor="middle" font-size="11">1e${e}</text>`);
  }
  for (let e = yMin; e <= 0; e++) {
    const y = sy(10 ** e);
    parts.push(`<line x1="${m.l}" y1="${y}" x2="${W - m.r}" y2="${y}" stroke="#ddd"/><text x="${m.l - 6}" y="${y + 4}" text-anchor="end" font-size="11">1e${e}</text>`);
  }
  parts.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 10}" text-anchor="middle" font-size="12">${esc(xLabel)} (log)</text>`);
  parts.push(`<text x="14" y="${(m.t + H - m.b) / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${(m.t + H - m.b) / 2})">${esc(yLabel)} (log)</text>`);
  curves.forEach((c, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const d = c.points.map((p, j) => `${j ? 'L' : 'M'}${sx(p.fpr).toFixed(1)},${sy(p.fnr).toFixed(1)}`).join('');
    parts.push(`<path class="det-curve" d="${d}" fill="none" stroke="${colour}" stroke-width="1.8"><title>${esc(c.label)}</title></path>`);
    parts.push(`<rect x="${W - m.r + 12}" y="${m.t + 8 + i * 16}" width="10" height="10" fill="${colour}"/><text x="${W - m.r + 27}" y="${m.t + 17 + i * 16}" font-size="11">${esc(c.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Two score histograms (positives, negatives) as density bars, with a threshold line. */
export function histogramSvg(pos: number[], neg: number[], threshold: number | null, posLabel: string, negLabel: string): string {
  const W = 560;
  const H = 260;
  const m = { l: 40, r: 16, t: 16, b: 40 };
  const lo = -0.4;
  const hi = 1;
  const bins = 70;
  const hp = histogram(pos, bins, lo, hi).map((c) => c / Math.max(1, pos.length));
  const hn = histogram(neg, bins, lo, hi).map((c) => c / Math.max(1, neg.length));
  const top = Math.max(...hp, ...hn, 1e-9);
  const bw = (W - m.l - m.r) / bins;
  const sy = (v: number) => H - m.b - (v / top) * (H - m.t - m.b);
  const sx = (v: number) => m.l + ((v - lo) / (hi - lo)) * (W - m.l - m.r);
  const parts = [`<svg class="hist" xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="score histograms">`];
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="#fff" stroke="#999"/>`);
  for (const [h, colour] of [[hn, '#d62728'], [hp, '#1f77b4']] as const) {
    h.forEach((v, i) => {
      if (v > 0) parts.push(`<rect x="${(m.l + i * bw).toFixed(1)}" y="${sy(v).toFixed(1)}" width="${bw.toFixed(1)}" height="${(H - m.b - sy(v)).toFixed(1)}" fill="${colour}" fill-opacity="0.5"/>`);
    });
  }
  for (let v = -0.4; v <= 1.001; v += 0.2) parts.push(`<text x="${sx(v)}" y="${H - m.b + 14}" text-anchor="middle" font-size="11">${v.toFixed(1)}</text>`);
  if (threshold !== null && Number.isFinite(threshold)) {
    const x = sx(threshold);
    parts.push(`<line class="threshold" x1="${x}" y1="${m.t}" x2="${x}" y2="${H - m.b}" stroke="#000" stroke-dasharray="4 3"/><text x="${x + 4}" y="${m.t + 12}" font-size="11">threshold ${threshold.toFixed(3)}</text>`);
  }
  parts.push(`<text x="${m.l + 6}" y="${m.t + 14}" font-size="11" fill="#1f77b4">${esc(posLabel)} (${pos.length})</text>`);
  parts.push(`<text x="${m.l + 6}" y="${m.t + 28}" font-size="11" fill="#d62728">${esc(negLabel)} (${neg.length})</text>`);
  parts.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 8}" text-anchor="middle" font-size="12">score (cosine similarity)</text></svg>`);
  return parts.join('\n');
}

function table(head: string[], rows: (string | number)[][]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function groupTable(d: Differentials): string {
  const ci = (i: { low: number; high: number }) => `${pct(i.low)} – ${pct(i.high)}`;
  return (
    table(
      ['group', 'mated', 'misses', 'FNIR', 'FNIR 95% CI', 'non-mated', 'false alerts', 'FPIR', 'FPIR 95% CI'],
      d.groups.map((g) => [g.group, g.mated, g.misses, pct(g.fnir), ci(g.fnirInterval), g.nonMated, g.falseAlerts, pct(g.fpir, 3), ci(g.fpirInterval)]),
    ) + `<p>At threshold ${num(d.threshold)}: worst/best FNIR ratio ${num(d.fnirRatio, 2)} (worst: ${esc(d.worstFnirGroup ?? '—')}), worst/best FPIR ratio ${num(d.fpirRatio, 2)} (worst: ${esc(d.worstFpirGroup ?? '—')}).</p>`
  );
}

function verifySection(run: ReportRun, r: VerifyResult): string {
  const t = r.tarAtFar.find((x) => x.threshold !== null)?.threshold ?? null;
  return `<h2>${esc(run.label)}: verification</h2>
<p>${r.pairs} pairs, ${r.folds.length}-fold accuracy <b>${pct(r.accuracy)}</b> ± ${pct(r.accuracyStd)} (threshold chosen on the other folds); detection failures: ${r.detectionFailures} pairs (scored -1).</p>
${table(['fold', 'threshold', 'accuracy', 'pairs'], r.folds.map((f) => [f.fold + 1, num(f.threshold), pct(f.accuracy), f.pairs]))}
${table(['FAR', 'TAR', 'threshold', 'impostors', 'note'], r.tarAtFar.map((f) => [f.target, pct(f.tar), num(f.threshold), f.negatives, f.refused ?? '']))}
${histogramSvg(r.scores.genuineScores, r.scores.impostorScores, t, 'genuine pairs', 'impostor pairs')}`;
}

function identifySection(run: ReportRun, r: IdentifyResult): string {
  const rows = r.sizes.flatMap((s) =>
    s.fnirAtFpir.map((f) => [s.watchlistSize, f.fpir, pct(f.fnir), f.missRateInterval ? `${pct(f.missRateInterval.low)} – ${pct(f.missRateInterval.high)}` : '—', num(f.threshold), pct(s.rank1.rate), s.matedSearches, s.nonMatedSearches, `${s.detectionFailures.mated} / ${s.detectionFailures.nonMated}`, f.refused ?? '']),
  );
  const last = r.sizes[r.sizes.length - 1];
  return `<h2>${esc(run.label)}: open-set identification</h2>
<p>${r.enrolPerPerson} enrolment image(s) per person, seed ${r.seed}; ${r.eligiblePeople} eligible people.</p>
${table(['watchlist N', 'FPIR', 'FNIR', 'FNIR 95% CI', 'threshold', 'rank-1', 'mated', 'non-mated', 'no face (mated / non-mated)', 'note'], rows)}
${last ? histogramSvg(last.scores.matedScores, last.scores.nonMatedScores, last.operating?.threshold ?? null, `mated searches, rank-1 correct (N=${last.watchlistSize})`, 'non-mated searches') : ''}
${last && last.topNonMated.length ? `<h3>Highest non-mated scores, N=${last.watchlistSize}</h3><p>The false alerts a strict FPIR is set by: check them for label errors (one person under two names, another person in the photo).</p>${table(['probe', 'top candidate', 'score'], last.topNonMated.map((t) => [t.probe.split(/[\\/]/).slice(-2).join('/'), t.candidate, num(t.score)]))}` : ''}
${r.sizes.filter((s) => s.groups).map((s) => `<h3>Per group, N=${s.watchlistSize}</h3>${groupTable(s.groups!)}`).join('\n')}`;
}

/** The HTML page for one evaluation run (one or more conditions). */
export function renderReport(input: ReportInput): string {
  const curves: Curve[] = [];
  for (const run of input.runs) {
    if (run.result.kind === 'verify') curves.push({ label: run.label, points: run.result.det });
    else for (const s of run.result.sizes) if (s.det.length) curves.push({ label: `${run.label} N=${s.watchlistSize}`, points: s.det });
  }
  const kind = input.runs[0]?.result.kind;
  const axes: [string, string] = kind === 'verify' ? ['FAR', 'FNMR'] : ['FPIR', 'FNIR'];
  const settings = Object.entries(input.settings ?? {}).map(([k, v]) => [k, String(v)]);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(input.title)}</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:24px;max-width:1100px;color:#222}table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}td:first-child{text-align:left}svg{display:block;margin:8px 0}</style>
</head><body>
<h1>${esc(input.title)}</h1>
<p>Generated ${esc(new Date().toISOString())} by livefr. Accept / alert when score &gt;= threshold.</p>
${settings.length ? table(['setting', 'value'], settings) : ''}
<h2>DET curve</h2>
${detSvg(curves, axes[0], axes[1])}
${input.runs.map((run) => (run.result.kind === 'verify' ? verifySection(run, run.result) : identifySection(run, run.result))).join('\n')}
</body></html>
`;
}
