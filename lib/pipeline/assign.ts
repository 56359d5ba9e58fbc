/**
 * Linear assignment (the Hungarian method, shortest augmenting paths) and
 * box overlap, for the tracker's association steps.
 */
import type { Box } from '../types.js';

/** Intersection over union of two boxes (0 when either is empty). */
export function iou(a: Box, b: Box): number {
  const x0 = Math.max(a.x, b.x);
  const y0 = Math.max(a.y, b.y);
  const x1 = Math.min(a.x + a.width, b.x + b.width);
  const y1 = Math.min(a.y + a.height, b.y + b.height);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Minimum-cost assignment of rows to columns of `cost` (rows x cols, row
 * major). Returns, for each row, the column assigned to it or -1. Pairs
 * whose cost exceeds `maxCost` are never returned: they are given a cost
 * larger than any feasible total, so the assignment first maximises the
 * number of feasible pairs, then minimises their cost (what lapjv with a
 * cost limit does in ByteTrack).
 */
export function assign(cost: Float64Array, rows: number, cols: number, maxCost: number): Int32Array {
  const out = new Int32Array(rows).fill(-1);
  if (rows === 0 || cols === 0) return out;
  const big = 1 + rows * cols * (Math.abs(maxCost) + 1);
  // The method below needs n <= m: transpose when there are more rows.
  const t = rows > cols;
  const n = t ? cols : rows;
  const m = t ? rows : cols;
  const at = (i: number, j: number): number => {
    const c = t ? cost[j * cols + i]! : cost[i * cols + j]!;
    return c <= maxCost ? c : big;
  };
  // Potentials u (rows), v (columns), p[j] = row matched to column j (1-based; 0 = none).
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1);
  const way = new Int32Array(m + 1);
  const minv = new Float64Array(m + 1);
  const used = new Uint8Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    minv.fill(Infinity);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = p[j0]!;
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = at(i0 - 1, j - 1) - u[i0]! - v[j]!;
        if (cur < minv[j]!) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j]!] = u[p[j]!]! + delta;
          v[j] = v[j]! - delta;
        } else {
          minv[j] = minv[j]! - delta;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0]!;
      p[j0] = p[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  for (let j = 1; j <= m; j++) {
    const i = p[j]!;
    if (i === 0) continue;
    const r = t ? j - 1 : i - 1;
    const c = t ? i - 1 : j - 1;
    if (cost[r * cols + c]! <= maxCost) out[r] = c;
  }
  return out;
}

/**
 * The same assignment as `assign`, solved per connected component of the
 * feasible pairs (cost <= maxCost): in a crowd most faces can only match
 * one or two detections, so hundreds of small problems replace one cubic
 * one. Rows or columns without a feasible pair are never assigned either way.
 */
export function assignSparse(cost: Float64Array, rows: number, cols: number, maxCost: number): Int32Array {
  const out = new Int32Array(rows).fill(-1);
  if (rows === 0 || cols === 0) return out;
  // Union-find over rows (0..rows-1) and columns (rows..rows+cols-1).
  const parent = new Int32Array(rows + cols);
  for (let i = 0; i < parent.length; i++) parent[i] = i;
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]!]!;
      x = parent[x]!;
    }
    return x;
  };
  let feasible = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      if (cost[i * cols + j]! > maxCost) continue;
      feasible++;
      const a = find(i);
      const b = find(rows + j);
      if (a !== b) parent[a] = b;
    }
  }
  if (feasible === 0) return out;
  const groups = new Map<number, { r: number[]; c: number[] }>();
  const group = (root: number) => {
    let g = groups.get(root);
    if (!g) groups.set(root, (g = { r: [], c: [] }));
    return g;
  };
  for (let i = 0; i < rows; i++) group(find(i)).r.push(i);
  for (let j = 0; j < cols; j++) group(find(rows + j)).c.push(j);
  for (const { r, c } of groups.values()) {
    if (r.length === 0 || c.length === 0) continue;
    const sub = new Float64Array(r.length * c.length);
    for (let a = 0; a < r.length; a++) for (let b = 0; b < c.length; b++) sub[a * c.length + b] = cost[r[a]! * cols + c[b]!]!;
    const s = assign(sub, r.length, c.length, maxCost);
    for (let a = 0; a < r.length; a++) if (s[a]! >= 0) out[r[a]!] = c[s[a]!]!;
  }
  return out;
}
