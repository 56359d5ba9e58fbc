import { describe, expect, it } from 'vitest';
import { assign, assignSparse, iou } from '../dist/pipeline/assign.js';
import { Tracker, type Detection } from '../dist/pipeline/tracker.js';
import type { Box } from '../dist/types.js';
import { seededRandom as rng } from '../dist/util/random.js';


const box = (x: number, y: number, s: number, h = s): Box => ({ x, y, width: s, height: h });
const det = (b: Box, score = 0.9, payload?: string): Detection<string> => ({ box: b, score, ...(payload ? { payload } : {}) });

/** Brute force over permutations: the best total cost with the most feasible pairs. */
function bruteForce(cost: number[][], maxCost: number): { count: number; total: number } {
  const rows = cost.length;
  const cols = cost[0]!.length;
  let best = { count: -1, total: Infinity };
  const usedCol = new Array<boolean>(cols).fill(false);
  const rec = (i: number, count: number, total: number) => {
    if (i === rows) {
      if (count > best.count || (count === best.count && total < best.total - 1e-12)) best = { count, total };
      return;
    }
    rec(i + 1, count, total);
    for (let j = 0; j < cols; j++) {
      if (usedCol[j] || cost[i]![j]! > maxCost) continue;
      usedCol[j] = true;
      rec(i + 1, count + 1, total + cost[i]![j]!);
      usedCol[j] = false;
    }
  };
  rec(0, 0, 0);
  return best;
}

describe('assign (Hungarian method)', () => {
  it('finds the optimum where greedy picking fails', () => {
    // Greedy takes (0,0)=1 first and is then forced into (1,1)=10: total 11. Optimum: 2 + 3 = 5.
    const cost = Float64Array.from([1, 2, 3, 10]);
    expect(Array.from(assign(cost, 2, 2, 100))).toEqual([1, 0]);
  });

  it('never returns a pair above the cost limit, and prefers more feasible pairs', () => {
    const cost = Float64Array.from([0.1, 0.9, 0.2, 0.95]);
    // Only column 0 is feasible for either row: one pair, the cheaper one.
    expect(Array.from(assign(cost, 2, 2, 0.5))).toEqual([0, -1]);
  });

  it('agrees with brute force on 300 random rectangular problems', () => {
    const r = rng(7);
    for (let n = 0; n < 300; n++) {
      const rows = 1 + Math.floor(r() * 5);
      const cols = 1 + Math.floor(r() * 5);
      const m = Array.from({ length: rows }, () => Array.from({ length: cols }, () => Math.round(r() * 100) / 100));
      const limit = 0.3 + r() * 0.7;
      const a = assign(Float64Array.from(m.flat()), rows, cols, limit);
      const seen = new Set<number>();
      let count = 0;
      let total = 0;
      a.forEach((j, i) => {
        if (j < 0) return;
        expect(seen.has(j)).toBe(false);
        seen.add(j);
        expect(m[i]![j]!).toBeLessThanOrEqual(limit);
        count++;
        total += m[i]![j]!;
      });
      const bf = bruteForce(m, limit);
      expect(count).toBe(bf.count);
      expect(total).toBeCloseTo(bf.total, 9);
    }
  });

  it('gives the same total per connected component (assignSparse) as on the whole matrix', () => {
    const r = rng(19);
    for (let n = 0; n < 200; n++) {
      const rows = 1 + Math.floor(r() * 12);
      const cols = 1 + Math.floor(r() * 12);
      // Sparse feasibility, as in a crowd: most pairs far above the limit.
      const m = Float64Array.from({ length: rows * cols }, () => (r() < 0.2 ? Math.round(r() * 50) / 100 : 1 + r()));
      const total = (a: Int32Array) => {
        let count = 0;
        let sum = 0;
        a.forEach((j, i) => {
          if (j >= 0) {
            count++;
            sum += m[i * cols + j]!;
          }
        });
        return [count, Math.round(sum * 1e9)];
      };
      expect(total(assignSparse(m, rows, cols, 0.5))).toEqual(total(assign(m, rows, cols, 0.5)));
    }
  });

  it('computes IoU', () => {
    expect(iou(box(0, 0, 10), box(0, 0, 10))).toBe(1);
    expect(iou(box(0, 0, 10), box(20, 0, 10))).toBe(0);
    expect(iou(box(0, 0, 10), box(5, 0, 10))).toBeCloseTo(50 / 150, 12);
    expect(iou(box(0, 0, 0), box(0, 0, 0))).toBe(0);
  });
});

describe('Tracker', () => {
  it('keeps two faces that cross each other as two tracks (motion prediction)', () => {
    const t = new Tracker<string>();
    const ids = new Map<string, Set<number>>([['a', new Set()], ['b', new Set()]]);
    for (let f = 0; f < 40; f++) {
      const a = det(box(100 + 6 * f, 200 + f, 40), 0.9, 'a');
      const b = det(box(334 - 6 * f, 204 - f, 40), 0.9, 'b');
      const u = t.update(f, [a, b]);
      for (const m of u.matched) ids.get(m.detection.payload!)!.add(m.track.id);
      expect(u.ended).toHaveLength(0);
    }
    expect(ids.get('a')!.size).toBe(1);
    expect(ids.get('b')!.size).toBe(1);
    expect([...ids.get('a')!][0]).not.toBe([...ids.get('b')!][0]);
  });

  it('follows a fast face seen only on every third frame (no overlap without prediction)', () => {
    const t = new Tracker<string>();
    const ids = new Set<number>();
    for (let f = 0; f < 60; f += 3) {
      // 12 px per frame, a 30 px box: 36 px between detections, so consecutive boxes do not overlap at all.
      const d = det(box(50 + 12 * f, 300, 30), 0.9, 'a');
      if (f > 0) expect(iou(d.box, box(50 + 12 * (f - 3), 300, 30))).toBe(0);
      const u = t.update(f, [d]);
      for (const m of u.matched) ids.add(m.track.id);
    }
    expect(ids.size).toBe(1);
    const live = t.tracks().filter((x) => x.state === 'confirmed');
    expect(live).toHaveLength(1);
    expect(live[0]!.hits).toBeGreaterThanOrEqual(18);
  });

  it('keeps a face that speeds up between far-apart detections (the distance pass), which IoU alone loses', () => {
    // A 30 px face detected every 8th frame (a loaded machine), walking 3 px a frame, then 6: the prediction from
    // the slow part falls about 24 px (0.8 of its size) short, an IoU of about 0.1, below matchIou.
    const run = (trackJump?: number) => {
      const t = new Tracker<string>(trackJump === undefined ? {} : { trackJump });
      const ids = new Set<number>();
      let x = 100;
      for (let f = 0; f <= 48; f += 8) {
        const u = t.update(f, [det(box(x, 300, 30), 0.9, 'a')]);
        for (const m of u.matched) ids.add(m.track.id);
        x += 8 * (f < 16 ? 3 : 6);
      }
      return { ids, first: t.tracks().map((tr) => tr.firstBox) };
    };
    const withPass = run();
    expect(withPass.ids.size).toBe(1);
    expect(withPass.first[0]).toEqual(box(100, 300, 30)); // firstBox: where the track began
    expect(run(0).ids.size).toBeGreaterThan(1);
  });

  it('keeps a track through low-score detections (second pass) but starts none from them', () => {
    const t = new Tracker<string>();
    const ids = new Set<number>();
    for (let f = 0; f < 30; f++) {
      const score = f >= 10 && f < 20 ? 0.4 : 0.9; // blurred or half-hidden for 10 frames
      const u = t.update(f, [det(box(100 + 2 * f, 100, 50), score), det(box(600, 400, 50), 0.4)]);
      for (const m of u.matched) ids.add(m.track.id);
      if (f >= 10 && f < 20) expect(u.matched).toHaveLength(1);
    }
    expect(ids.size).toBe(1);
    expect(t.tracks()).toHaveLength(1);
    expect(t.tracks()[0]!.hits).toBe(30);
  });

  it('finds a lost face again after a gap and re-updates along a straight line (OC-SORT)', () => {
    const t = new Tracker<string>({ maxLostFrames: 30 });
    const at = (f: number) => box(100 + 4 * f, 100 + 1 * f, 40);
    for (let f = 0; f < 10; f++) t.update(f, [det(at(f))]);
    const id = t.tracks()[0]!.id;
    for (let f = 10; f < 22; f++) {
      const u = t.update(f, []);
      expect(u.ended).toHaveLength(0);
      expect(t.tracks()[0]!.state).toBe('lost');
    }
    const u = t.update(22, [det(at(22))]);
    expect(u.matched[0]!.track.id).toBe(id);
    expect(u.started).toHaveLength(0);
    // The velocity after the re-update continues the straight line: predict 5 frames ahead.
    t.update(27, []);
    const p = t.tracks()[0]!.box;
    expect(Math.abs(p.x - at(27).x)).toBeLessThan(3);
    expect(Math.abs(p.y - at(27).y)).toBeLessThan(3);
  });

  it('ends a lost track after maxLostFrames and a one-off detection without confirmation', () => {
    const t = new Tracker<string>({ maxLostFrames: 5 });
    t.update(0, [det(box(10, 10, 40))]); // first frame: confirmed at once (as ByteTrack does)
    t.update(1, [det(box(11, 10, 40)), det(box(500, 500, 40), 0.95)]); // a second face, tentative
    expect(t.tracks().map((x) => x.state).sort()).toEqual(['confirmed', 'tentative']);
    const u2 = t.update(2, [det(box(12, 10, 40))]);
    expect(u2.ended).toHaveLength(1);
    expect(u2.ended[0]!.hits).toBe(1);
    let endedAt = -1;
    for (let f = 3; f < 20 && endedAt < 0; f++) if (t.update(f, []).ended.length) endedAt = f;
    expect(endedAt).toBe(2 + 5 + 1);
    expect(t.tracks()).toHaveLength(0);
  });

  it('keeps a face seen once through one missed detection when detection runs on every n-th frame', () => {
    // A 32 px face walking 6 px a frame, detected at frames 10 and 26, missed at 18: one track.
    const t = new Tracker<string>();
    t.update(0, [det(box(1500, 800, 40))]); // the first frame's own face (confirmed at once), elsewhere
    const at = (f: number) => det(box(100 + 6 * f, 300, 32), 0.9, 'w');
    const a = t.update(10, [det(box(1500, 800, 40)), at(10)]);
    const id = a.started[0]!.id;
    expect(t.update(18, [det(box(1500, 800, 40))]).ended).toHaveLength(0); // missed once, 8 frames later: kept
    const c = t.update(26, [det(box(1500, 800, 40)), at(26)]); // 96 px (3 box sizes) from where it was seen
    expect(c.matched.map((m) => m.track.id)).toContain(id);
    expect(t.tracks().find((x) => x.id === id)!.state).toBe('confirmed');
    // Missed twice: ended.
    t.update(34, [det(box(1500, 800, 40)), det(box(900, 900, 32))]);
    expect(t.update(42, [det(box(1500, 800, 40))]).ended).toHaveLength(0);
    const e = t.update(50, [det(box(1500, 800, 40))]);
    expect(e.ended.map((x) => x.hits)).toEqual([1]); // the one-off at (900, 900), after two misses
  });

  it('holds many faces walking in a crowd as one track each', () => {
    const r = rng(3);
    const people = Array.from({ length: 12 }, (_, i) => ({
      x0: 50 + r() * 1700,
      y: 100 + i * 75,
      vx: (r() < 0.5 ? -1 : 1) * (1 + r() * 4),
      s: 28 + r() * 40,
      grow: r() * 0.3,
    }));
    const t = new Tracker<number>();
    const ids = people.map(() => new Set<number>());
    for (let f = 0; f < 100; f += 2) {
      const dets = people.map((p, k) => ({
        box: box(p.x0 + p.vx * f + (r() - 0.5) * 2, p.y + (r() - 0.5) * 2, p.s + p.grow * f),
        score: 0.7 + r() * 0.3,
        payload: k,
      }));
      for (const m of t.update(f, dets).matched) ids[m.detection.payload!]!.add(m.track.id);
    }
    expect(ids.map((s) => s.size)).toEqual(people.map(() => 1));
  });

  it('predicts tracks on frames without detection (advance) exactly as an update across the gap would', () => {
    const at = (f: number) => box(100 + 5 * f, 200 + 2 * f, 40 + 0.2 * f);
    const a = new Tracker<string>();
    const b = new Tracker<string>();
    for (let f = 0; f < 30; f += 3) {
      a.update(f, [det(at(f))]);
      // b: the frames between detections go through the tracker one by one.
      if (f > 0) for (let g = f - 2; g < f; g++) expect(b.advance(g)).toEqual([]);
      b.update(f, [det(at(f))]);
      expect(b.currentFrame).toBe(f);
      expect(b.tracks()[0]!.box.x).toBeCloseTo(a.tracks()[0]!.box.x, 9);
    }
    // Between detections the box follows the motion.
    b.advance(31);
    expect(Math.abs(b.tracks()[0]!.box.x - at(31).x)).toBeLessThan(3);
    expect(b.tracks()[0]!.frame).toBe(31);
    expect(() => b.advance(31)).toThrow(RangeError);
    expect(() => b.update(30, [])).toThrow(RangeError);
  });

  it('ends an unseen track on a frame without detection, but only after it missed minLostUpdates detections', () => {
    const t = new Tracker<string>({ maxLostFrames: 10 });
    for (let f = 0; f < 4; f++) t.update(f, [det(box(100 + f, 100, 40))]);
    // Detections far apart (every 20 frames, a loaded machine): the track survives the wait for the next one.
    expect(t.advance(20)).toEqual([]);
    t.update(21, [det(box(121, 100, 40))]);
    expect(t.tracks()).toHaveLength(1);
    expect(t.tracks()[0]!.missed).toBe(0);
    // Two detections missed, then unseen beyond maxLostFrames: it ends at the frame without detection.
    t.update(25, []);
    expect(t.advance(29)).toEqual([]); // one miss only
    t.update(30, []);
    expect(t.tracks()[0]!.missed).toBe(2);
    const ended = t.advance(32);
    expect(ended).toHaveLength(1);
    expect(t.tracks()).toHaveLength(0);
    // A tentative track is never ended by advance (only a detection can miss it).
    const u = new Tracker<string>({ maxLostFrames: 0 });
    u.update(0, []);
    u.update(1, [det(box(10, 10, 40), 0.95)]);
    expect(u.tracks()[0]!.state).toBe('tentative');
    expect(u.advance(50)).toEqual([]);
    expect(() => new Tracker({ minLostUpdates: 0 })).toThrow(/options\.minLostUpdates/);
  });

  it('rejects bad options and frames that go backwards', () => {
    expect(() => new Tracker({ highScore: 2 })).toThrow(/options\.highScore/);
    expect(() => new Tracker({ trackJump: -1 })).toThrow(/options\.trackJump/);
    expect(() => new Tracker({ bogus: 1 } as never)).toThrow(/bogus/);
    const t = new Tracker();
    t.update(5, []);
    expect(() => t.update(5, [])).toThrow(RangeError);
  });
});
