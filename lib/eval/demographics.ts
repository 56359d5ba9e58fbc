/**
 * Demographic differentials: FNIR and FPIR per group at ONE operating
 * threshold (the one a deployment would use), with counts, 95%
 * Clopper-Pearson intervals and the worst/best ratio of each rate.
 *
 * A group file is CSV `id,group` (header optional; `#` comments allowed),
 * where id is the person's folder name under images/.
 */
import { readFile } from 'node:fs/promises';
import { FileFormatError, invalidType } from '../errors.js';
import { checkNumber } from '../validate.js';
import { clopperPearsonInterval, type Interval } from './stats.js';

export interface MatedOutcome {
  group: string;
  /** Top-1 score (-Infinity when no face was found). */
  matedScore: number;
  /** Whether the top-1 candidate is the mate. */
  matedHit: boolean;
}

export interface NonMatedOutcome {
  group: string;
  score: number;
}

export interface GroupRates {
  group: string;
  mated: number;
  misses: number;
  fnir: number | null;
  fnirInterval: Interval;
  nonMated: number;
  falseAlerts: number;
  fpir: number | null;
  fpirInterval: Interval;
}

export interface Differentials {
  threshold: number;
  groups: GroupRates[];
  /** Highest / lowest FNIR over groups with mated searches (Infinity when the lowest is 0; null with < 2 groups). */
  fnirRatio: number | null;
  fpirRatio: number | null;
  worstFnirGroup: string | null;
  worstFpirGroup: string | null;
}

function ratio(values: { group: string; v: number | null }[]): { ratio: number | null; worst: string | null } {
  const vs = values.filter((x) => x.v !== null) as { group: string; v: number }[];
  if (vs.length < 2) return { ratio: null, worst: vs[0]?.group ?? null };
  vs.sort((a, b) => b.v - a.v);
  const hi = vs[0]!.v;
  const lo = vs[vs.length - 1]!.v;
  return { ratio: hi === 0 ? 1 : lo === 0 ? Infinity : hi / lo, worst: vs[0]!.group };
}

/** Per-group FNIR / FPIR at `threshold` (alert when score >= threshold and, for mated, the mate is rank 1). */
export function groupDifferentials(mated: MatedOutcome[], nonMated: NonMatedOutcome[], threshold: number): Differentials {
  if (!Array.isArray(mated)) throw invalidType('mated', 'an array of mated outcomes', mated);
  if (!Array.isArray(nonMated)) throw invalidType('nonMated', 'an array of non-mated outcomes', nonMated);
  checkNumber('threshold', threshold);
  const acc = new Map<string, { m: number; miss: number; n: number; fa: number }>();
  const get = (g: string) => {
    let a = acc.get(g);
    if (!a) acc.set(g, (a = { m: 0, miss: 0, n: 0, fa: 0 }));
    return a;
  };
  for (const o of mated) {
    const a = get(o.group);
    a.m++;
    if (!(o.matedHit && o.matedScore >= threshold)) a.miss++;
  }
  for (const o of nonMated) {
    const a = get(o.group);
    a.n++;
    if (o.score >= threshold) a.fa++;
  }
  const groups = [...acc.entries()]
    .sort((x, y) => x[0].localeCompare(y[0]))
    .map(([group, a]) => ({
      group,
      mated: a.m,
      misses: a.miss,
      fnir: a.m ? a.miss / a.m : null,
      fnirInterval: clopperPearsonInterval(a.miss, a.m),
      nonMated: a.n,
      falseAlerts: a.fa,
      fpir: a.n ? a.fa / a.n : null,
      fpirInterval: clopperPearsonInterval(a.fa, a.n),
    }));
  const fr = ratio(groups.map((g) => ({ group: g.group, v: g.fnir })));
  const pr = ratio(groups.map((g) => ({ group: g.group, v: g.fpir })));
  return { threshold, groups, fnirRatio: fr.ratio, fpirRatio: pr.ratio, worstFnirGroup: fr.worst, worstFpirGroup: pr.worst };
}

/** Parses `id,group` CSV text into a map id -> group. */
export function parseGroups(text: string, name = 'groups file'): Map<string, string> {
  const map = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const cells = line.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
    if (cells.length < 2 || !cells[0] || !cells[1]) {
      throw new FileFormatError(`${name} line ${i + 1}: expected "id,group" but found ${JSON.stringify(raw.slice(0, 80))}`);
    }
    if (i === 0 && cells[0].toLowerCase() === 'id' && cells[1].toLowerCase() === 'group') return;
    map.set(cells[0], cells[1]);
  });
  if (map.size === 0) throw new FileFormatError(`${name} has no "id,group" rows`);
  return map;
}

export async function loadGroups(file: string): Promise<Map<string, string>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new FileFormatError(`Cannot read groups file ${JSON.stringify(file)}: ${(err as Error).message}`, { cause: err });
  }
  return parseGroups(text, file);
}
