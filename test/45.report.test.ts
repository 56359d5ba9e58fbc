// Transparency figures: per deployment and in total, from the records an
// audit log holds. The counts are the Met's published year (Sep 2024 - Sep
// 2025: 3,147,436 faces scanned, 2,077 alerts, 10 of them false) split over
// two deployments, so the figures can be checked by hand; intervals are
// Clopper-Pearson, checked against the evaluation toolkit's own function.
import { describe, expect, it } from 'vitest';
import { buildReport, formatReportHtml, formatReportText, type AuditRecord } from '../dist/governance/index.js';
import { clopperPearsonInterval } from '../dist/eval/stats.js';

function records(): AuditRecord[] {
  const out: AuditRecord[] = [];
  let seq = 0;
  const push = (type: string, fields: Record<string, unknown>) => out.push({ seq: seq++, time: new Date(Date.UTC(2025, 0, 1, 0, 0, seq)).toISOString(), prev: '', type, hash: '', ...fields } as AuditRecord);
  const spec = (id: string, start: string, end: string, minThreshold: number) => ({
    id,
    purpose: 'wanted on warrant',
    legalBasis: 'common law',
    authorisation: { reference: `A-${id}`, by: 'Supt', at: start },
    location: `Street ${id}`,
    start,
    end,
    minThreshold,
    reviewersPerAlert: 2,
    alertRetention: '24h',
  });
  // Deployment A: 2,000,000 faces, 1,500 alerts (1,480 confirmed, 6 rejected, 14 unreviewed).
  // Deployment B: 1,147,436 faces, 577 alerts (567 confirmed, 4 rejected, 6 unreviewed).
  const plan = [
    { id: 'A', faces: 2_000_000, confirmed: 1480, rejected: 6, unreviewed: 14, t: 0.64, start: '2024-09-01T08:00:00.000Z', end: '2025-03-01T18:00:00.000Z' },
    { id: 'B', faces: 1_147_436, confirmed: 567, rejected: 4, unreviewed: 6, t: 0.66, start: '2025-03-02T08:00:00.000Z', end: '2025-09-01T18:00:00.000Z' },
  ];
  let n = 0;
  for (const p of plan) {
    push('deployment.start', { deployment: p.id, spec: spec(p.id, p.start, p.end, p.t) });
    push('watchlist.bind', { deployment: p.id, people: 1200, templates: 1500, byCategory: { wanted: 1100, missing: 60, vulnerable: 40 }, threshold: p.t });
    for (let k = 0; k < 4; k++) push('faces.scanned', { deployment: p.id, stream: `cam${k}`, count: p.faces / 4 });
    for (const [outcome, count] of [['confirmed', p.confirmed], ['rejected', p.rejected], ['pending', p.unreviewed]] as const) {
      for (let i = 0; i < count; i++) {
        const alert = `a${(n++).toString(16).padStart(16, '0')}`;
        push('alert', { deployment: p.id, alert, stream: 'cam0', at: p.start, watchlistId: `w${i}`, score: 0.8, threshold: p.t, reviewersRequired: 2, expiresAt: p.end });
        if (outcome === 'pending') continue;
        push('review', { deployment: p.id, alert, reviewer: 'R1', decision: outcome === 'confirmed' ? 'confirm' : 'reject' });
        if (outcome === 'confirmed') push('review', { deployment: p.id, alert, reviewer: 'R2', decision: 'confirm' });
        push('alert.outcome', { deployment: p.id, alert, outcome });
      }
    }
    push('deployment.end', { deployment: p.id, reason: 'window-ended' });
  }
  push('erasure', { people: 1, templates: 2, crops: 0, cacheRecords: 0, cacheFiles: 0 });
  return out;
}

describe('transparency report', () => {
  const r = buildReport(records(), { now: new Date('2025-10-01T00:00:00Z') });

  it('per deployment: faces scanned, alerts by outcome, false-alert rate with its interval, thresholds, watchlist by category', () => {
    const [a, b] = r.deployments;
    expect(a).toMatchObject({ id: 'A', facesScanned: 2_000_000, alerts: 1500, confirmed: 1480, rejected: 6, unreviewed: 14, deleted: 0, thresholds: [0.64], minThreshold: 0.64 });
    expect(b).toMatchObject({ id: 'B', facesScanned: 1_147_436, alerts: 577, confirmed: 567, rejected: 4, unreviewed: 6 });
    const ci = clopperPearsonInterval(6, 2_000_000);
    expect(a!.falseAlertRate).toMatchObject({ value: 6 / 2_000_000, low: ci.low, high: ci.high, numerator: 6, denominator: 2_000_000, confidence: 0.95 });
    expect(a!.precision.value).toBeCloseTo(1480 / 1486, 12);
    expect(a!.watchlist).toEqual({ people: 1200, byCategory: { wanted: 1100, missing: 60, vulnerable: 40 } });
    expect(a!.period).toMatchObject({ start: '2024-09-01T08:00:00.000Z', end: '2025-03-01T18:00:00.000Z', endReason: 'window-ended' });
  });

  it('in total: the Met year (3,147,436 faces, 2,077 alerts, 10 false): 1 false alert in 314,744 faces, 95% CI 1.5e-6 to 5.8e-6', () => {
    expect(r.total).toMatchObject({ deployments: 2, facesScanned: 3_147_436, alerts: 2077, confirmed: 2047, rejected: 10, unreviewed: 20 });
    const ci = clopperPearsonInterval(10, 3_147_436);
    expect(r.total.falseAlertRate.low).toBe(ci.low);
    expect(r.total.falseAlertRate.high).toBe(ci.high);
    expect(ci.low).toBeCloseTo(1.52e-6, 8);
    expect(ci.high).toBeCloseTo(5.84e-6, 8);
    expect(r.total.thresholds).toEqual([0.64, 0.66]);
    expect(r.erasures).toBe(1);
    const text = formatReportText(r);
    expect(text).toMatch(/faces scanned\s+3,147,436/);
    expect(text).toMatch(/false-alert rate\s+0\.0003177% \(95% CI 0\.000152\d*% to 0\.000584\d*%\); 1 in 314,744 faces/);
  });

  it('the HTML is one page for the public: no scripts, no external resources, the same figures', () => {
    const html = formatReportHtml(r, { title: 'Force X: live facial recognition 2024-25' });
    expect(html).not.toMatch(/<script|<link|<img|<iframe|<object|<embed|@import|url\(|https?:/i);
    expect(html).toMatch(/<title>Force X: live facial recognition 2024-25<\/title>/);
    expect(html).toContain('3,147,436');
    expect(html).toContain('1 in 314,744 faces');
    expect((html.match(/<section/g) ?? []).length).toBe(3);
  });

  it('a log with no deployment gives empty figures, not an error', () => {
    const e = buildReport([]);
    expect(e.total).toMatchObject({ deployments: 0, facesScanned: 0, alerts: 0, period: null });
    expect(e.total.falseAlertRate.value).toBeNull();
    expect(formatReportText(e)).toMatch(/Total: 0 deployments/);
  });
});
