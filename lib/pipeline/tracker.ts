/**
 * A multi-object tracker for faces, after ByteTrack (Zhang et al., 2022) and
 * OC-SORT (Cao et al., 2023):
 *
 * - motion: a constant-velocity Kalman filter on the box centre and size.
 *   Its noise is diagonal and scaled by the box size, so the 8-state filter
 *   of ByteTrack separates exactly into four 2-state filters (position and
 *   velocity of cx, cy, w, h), which is what is computed here;
 * - association: IoU between predicted boxes and detections, solved as a
 *   linear assignment; first the confident detections against every live
 *   track, then the confident detections left against the tracks left by
 *   centre distance from their prediction (within `trackJump` box sizes:
 *   at a low detection cadence a small, fast face leaves its predicted
 *   box's overlap), then (ByteTrack's second pass) the low-score detections
 *   against the tracks still unmatched, then the remaining confident
 *   detections, and then the low-score ones, against tentative tracks by
 *   centre distance; confident leftovers start tracks;
 * - OC-SORT's observation-centric re-update: a track found again after a
 *   gap has its filter replayed along a straight line from its last
 *   observation, so the velocity it drifted to while unobserved is undone.
 *
 * Frames are counted in source frames: detection may run on every n-th
 * frame; the filter predicts across the frames in between.
 */
import type { Box } from '../types.js';
import { assignSparse as assign, iou } from './assign.js';
import { checkInteger, checkNumber, checkOptions } from '../validate.js';

export interface TrackerOptions {
  /** Detections at or above this score take part in the first pass and may start tracks (default 0.6). */
  highScore?: number;
  /** Detections below this score are ignored (default 0.3). The second pass uses [lowScore, highScore). */
  lowScore?: number;
  /** A new track needs this score (default highScore + 0.1, capped at 0.95). */
  newTrackScore?: number;
  /** Minimum IoU of the first pass (default 0.2). */
  matchIou?: number;
  /** Minimum IoU of the low-score pass (default 0.5, as in ByteTrack). */
  lowMatchIou?: number;
  /**
   * A track seen once has no velocity yet: it takes a confident detection
   * whose centre is within this many box sizes of its own, overlapping or
   * not (default 1.5), so a fast face seen on every n-th frame starts one track.
   */
  tentativeJump?: number;
  /**
   * A followed or lost track that no confident detection overlaps takes one
   * whose centre is within this many box sizes of its predicted centre (of a
   * similar size; default 1): at a low detection cadence a small, fast face
   * moves out of the overlap of its prediction (a velocity estimated from two
   * or three far-apart detections), and without this pass its track would
   * end and a new one begin. 0 turns the pass off.
   */
  trackJump?: number;
  /** Detections a track needs before it is confirmed (default 2). */
  minHits?: number;
  /** Frames a confirmed track survives without a detection (default 30). */
  maxLostFrames?: number;
  /**
   * Detection updates a track must miss before maxLostFrames can end it
   * (default 2): when detection runs on few frames (a loaded machine), a
   * track is not ended between two detections only because they were far
   * apart.
   */
  minLostUpdates?: number;
}

export type TrackState = 'tentative' | 'confirmed' | 'lost';

export interface Detection<T = unknown> {
  box: Box;
  score: number;
  /** Carried through to the match (the pipeline puts the face here). */
  payload?: T;
}

export interface Track<T = unknown> {
  readonly id: number;
  state: TrackState;
  /** The box predicted for `frame` (or observed, when matched at `frame`). */
  box: Box;
  /** Frame of the last update. */
  frame: number;
  /** Frame of the first detection. */
  firstFrame: number;
  /** The box of the first detection (how far a track has moved since it began). */
  readonly firstBox: Box;
  /** Frame of the last matched detection. */
  lastSeen: number;
  /** Matched detections so far. */
  hits: number;
  /** The last matched detection. */
  last: Detection<T>;
  /** Detection updates since the last match. */
  missed: number;
}

export interface TrackerUpdate<T = unknown> {
  /** Tracks matched at this frame, each with the detection it took. */
  matched: { track: Track<T>; detection: Detection<T> }[];
  /** Tracks started at this frame (also in `matched`). */
  started: Track<T>[];
  /** Tracks removed at this frame (lost too long, or tentative and unmatched). */
  ended: Track<T>[];
}

const STD_POS = 1 / 20;
const STD_VEL = 1 / 160;

/** A 2-state (position, velocity) Kalman filter. */
class Axis {
  x: number;
  v = 0;
  // Covariance [[p00, p01], [p01, p11]].
  p00: number;
  p01 = 0;
  p11: number;
  constructor(x: number, scale: number) {
    this.x = x;
    this.p00 = (2 * STD_POS * scale) ** 2;
    this.p11 = (10 * STD_VEL * scale) ** 2;
  }
  predict(scale: number): void {
    this.x += this.v;
    const p00 = this.p00 + 2 * this.p01 + this.p11;
    const p01 = this.p01 + this.p11;
    this.p00 = p00 + (STD_POS * scale) ** 2;
    this.p01 = p01;
    this.p11 += (STD_VEL * scale) ** 2;
  }
  update(z: number, scale: number): void {
    const s = this.p00 + (STD_POS * scale) ** 2;
    const k0 = this.p00 / s;
    const k1 = this.p01 / s;
    const r = z - this.x;
    this.x += k0 * r;
    this.v += k1 * r;
    const p00 = (1 - k0) * this.p00;
    const p01 = (1 - k0) * this.p01;
    const p11 = this.p11 - k1 * this.p01;
    this.p00 = p00;
    this.p01 = p01;
    this.p11 = p11;
  }
  copy(): Axis {
    const a = Object.create(Axis.prototype) as Axis;
    a.x = this.x;
    a.v = this.v;
    a.p00 = this.p00;
    a.p01 = this.p01;
    a.p11 = this.p11;
    return a;
  }
}

/** Kalman filter on (cx, cy, w, h); x noise scales with w, y noise with h. */
class BoxFilter {
  axes: [Axis, Axis, Axis, Axis];
  constructor(b: Box) {
    const cx = b.x + b.width / 2;
    const cy = b.y + b.height / 2;
    this.axes = [new Axis(cx, b.width), new Axis(cy, b.height), new Axis(b.width, b.width), new Axis(b.height, b.height)];
  }
  private scales(): [number, number, number, number] {
    const w = Math.max(1, this.axes[2].x);
    const h = Math.max(1, this.axes[3].x);
    return [w, h, w, h];
  }
  predict(): void {
    const s = this.scales();
    // A shrinking box must not reach zero size.
    if (this.axes[2].x + this.axes[2].v <= 1) this.axes[2].v = 0;
    if (this.axes[3].x + this.axes[3].v <= 1) this.axes[3].v = 0;
    for (let i = 0; i < 4; i++) this.axes[i]!.predict(s[i]!);
  }
  update(b: Box): void {
    const s = this.scales();
    const z = [b.x + b.width / 2, b.y + b.height / 2, b.width, b.height];
    for (let i = 0; i < 4; i++) this.axes[i]!.update(z[i]!, s[i]!);
  }
  box(): Box {
    const [cx, cy, w, h] = this.axes.map((a) => a.x) as [number, number, number, number];
    const W = Math.max(1, w);
    const H = Math.max(1, h);
    return { x: cx - W / 2, y: cy - H / 2, width: W, height: H };
  }
  copy(): BoxFilter {
    const f = Object.create(BoxFilter.prototype) as BoxFilter;
    f.axes = this.axes.map((a) => a.copy()) as [Axis, Axis, Axis, Axis];
    return f;
  }
}

/** Centre distance in box sizes; Infinity when the sizes differ by more than 1.5x. */
function jump(a: Box, b: Box): number {
  const sa = Math.max(a.width, a.height);
  const sb = Math.max(b.width, b.height);
  if (sa <= 0 || sb <= 0 || sa > 1.5 * sb || sb > 1.5 * sa) return Infinity;
  const dx = a.x + a.width / 2 - (b.x + b.width / 2);
  const dy = a.y + a.height / 2 - (b.y + b.height / 2);
  return Math.hypot(dx, dy) / Math.max(sa, sb);
}

interface Internal<T> extends Track<T> {
  filter: BoxFilter;
  /** The filter as it was right after the last observation (for the re-update). */
  observed: BoxFilter;
}

const KEYS = ['highScore', 'lowScore', 'newTrackScore', 'matchIou', 'lowMatchIou', 'tentativeJump', 'trackJump', 'minHits', 'maxLostFrames', 'minLostUpdates'] as const;

export class Tracker<T = unknown> {
  readonly options: Required<TrackerOptions>;
  private live: Internal<T>[] = [];
  private nextId = 1;
  private frame = -1;

  constructor(options?: TrackerOptions) {
    const o = checkOptions('options', options, KEYS);
    const num = (k: (typeof KEYS)[number], d: number) => (o[k] === undefined ? d : checkNumber(`options.${k}`, o[k], 0, 1));
    const highScore = num('highScore', 0.6);
    const lowScore = num('lowScore', 0.3);
    this.options = {
      highScore,
      lowScore: Math.min(lowScore, highScore),
      newTrackScore: num('newTrackScore', Math.min(0.95, highScore + 0.1)),
      matchIou: num('matchIou', 0.2),
      lowMatchIou: num('lowMatchIou', 0.5),
      tentativeJump: o.tentativeJump === undefined ? 1.5 : checkNumber('options.tentativeJump', o.tentativeJump, 0, 100),
      trackJump: o.trackJump === undefined ? 1 : checkNumber('options.trackJump', o.trackJump, 0, 100),
      minHits: o.minHits === undefined ? 2 : checkInteger('options.minHits', o.minHits, 1, 1000),
      maxLostFrames: o.maxLostFrames === undefined ? 30 : checkInteger('options.maxLostFrames', o.maxLostFrames, 0, 1e6),
      minLostUpdates: o.minLostUpdates === undefined ? 2 : checkInteger('options.minLostUpdates', o.minLostUpdates, 1, 1e6),
    };
  }

  /** Live tracks (tentative, confirmed and lost), as of the last update or advance. */
  tracks(): readonly Track<T>[] {
    return this.live;
  }

  /** The last frame the tracker was updated or advanced to (-1 before the first). */
  get currentFrame(): number {
    return this.frame;
  }

  /**
   * A frame without detection (motion prediction only): every live track's
   * box is predicted to `frame` (strictly after the previous frame), and
   * confirmed or lost tracks that have been unseen for longer than
   * maxLostFrames (and missed minLostUpdates detections) end now rather than
   * at the next detection. Tentative tracks wait for the next detection.
   * Returns the tracks that ended.
   */
  advance(frame: number): Track<T>[] {
    if (!Number.isInteger(frame) || frame <= this.frame) {
      throw new RangeError(`Expected frame to be an integer after ${this.frame} but received ${frame}`);
    }
    if (this.frame < 0) {
      this.frame = frame;
      return [];
    }
    const steps = frame - this.frame;
    this.frame = frame;
    const ended: Track<T>[] = [];
    const keep: Internal<T>[] = [];
    for (const t of this.live) {
      for (let s = 0; s < steps; s++) t.filter.predict();
      t.box = t.filter.box();
      t.frame = frame;
      if (t.state !== 'tentative' && this.expired(t, frame)) ended.push(t);
      else keep.push(t);
    }
    this.live = keep;
    return ended;
  }

  private expired(t: Internal<T>, frame: number): boolean {
    return frame - t.lastSeen > this.options.maxLostFrames && t.missed >= this.options.minLostUpdates;
  }

  /**
   * Advances to `frame` (strictly after the previous update) and associates
   * the detections found in that frame. `seen`, when given, says whether
   * detection looked where a track's predicted box is (detection on part of
   * the frame): an unmatched track it was not looked for is left as it was,
   * neither missed nor ended, as on a frame without detection.
   */
  update(frame: number, detections: readonly Detection<T>[], seen?: (box: Box) => boolean): TrackerUpdate<T> {
    if (!Number.isInteger(frame) || frame <= this.frame) {
      throw new RangeError(`Expected frame to be an integer after ${this.frame} but received ${frame}`);
    }
    const o = this.options;
    const steps = this.frame < 0 ? 0 : frame - this.frame;
    const firstFrame = this.frame < 0;
    this.frame = frame;
    for (const t of this.live) {
      for (let s = 0; s < steps; s++) t.filter.predict();
      t.box = t.filter.box();
      t.frame = frame;
    }
    const high: Detection<T>[] = [];
    const low: Detection<T>[] = [];
    for (const d of detections) {
      if (d.score >= o.highScore) high.push(d);
      else if (d.score >= o.lowScore) low.push(d);
    }
    const matched: TrackerUpdate<T>['matched'] = [];
    // Tracks seen once (tentative, or confirmed on the first frame) have no velocity yet.
    const active = this.live.filter((t) => t.hits > 1);
    const tentative = this.live.filter((t) => t.hits <= 1);

    // 1. Confident detections against confirmed and lost tracks.
    const [m1, rest1, high1] = this.associate(active, high, o.matchIou);
    matched.push(...m1);
    // 1b. Confident detections left against those tracks left, by centre distance from their prediction.
    const [m1b, restTracks, restHigh] = o.trackJump > 0 && rest1.length && high1.length ? this.associate(rest1, high1, o.trackJump, true) : [[], rest1, high1];
    matched.push(...m1b);
    // 2. Low-score detections against tracks that were being followed (not lost).
    const followed = restTracks.filter((t) => t.state === 'confirmed');
    const [m2, , lowLeft] = this.associate(followed, low, o.lowMatchIou);
    matched.push(...m2);
    // 3. Remaining confident detections against tracks seen once, by centre distance; then the low-score
    //    detections left against the tracks seen once still unmatched (a small face the detector is less sure
    //    of on its second detection confirms its track rather than ending it).
    const [m3, tentativeLeft, fresh] = this.associate(tentative, restHigh, o.tentativeJump, true);
    matched.push(...m3);
    if (tentativeLeft.length && lowLeft.length) matched.push(...this.associate(tentativeLeft, lowLeft, o.tentativeJump, true)[0]);

    const hit = new Set<Internal<T>>();
    for (const { track, detection } of matched) {
      this.observe(track as Internal<T>, detection, frame);
      hit.add(track as Internal<T>);
    }
    const ended: Track<T>[] = [];
    const keep: Internal<T>[] = [];
    for (const t of this.live) {
      if (hit.has(t) || (seen && !seen(t.box))) {
        keep.push(t);
        continue;
      }
      t.missed++;
      // A track seen once ends at its first miss when detection runs on every frame (ByteTrack); when detection
      // runs on every n-th frame (a loaded machine), it survives one missed detection (a small face the detector
      // skipped once), as a followed track survives minLostUpdates.
      const tentativeEnds = frame - t.lastSeen <= 1 || t.missed >= o.minLostUpdates || frame - t.lastSeen > o.maxLostFrames;
      if (t.state === 'tentative' ? tentativeEnds : this.expired(t, frame)) {
        ended.push(t);
        continue;
      }
      if (t.state !== 'tentative') t.state = 'lost';
      keep.push(t);
    }
    const started: Track<T>[] = [];
    for (const d of fresh) {
      if (d.score < o.newTrackScore) continue;
      const filter = new BoxFilter(d.box);
      const t: Internal<T> = {
        id: this.nextId++,
        state: firstFrame || o.minHits <= 1 ? 'confirmed' : 'tentative',
        box: { ...d.box },
        frame,
        firstFrame: frame,
        firstBox: { ...d.box },
        lastSeen: frame,
        hits: 1,
        last: d,
        missed: 0,
        filter,
        observed: filter.copy(),
      };
      keep.push(t);
      started.push(t);
      matched.push({ track: t, detection: d });
    }
    this.live = keep;
    return { matched, started, ended };
  }

  /** Ends every live track (the stream ended). */
  flush(): Track<T>[] {
    const out = this.live;
    this.live = [];
    return out;
  }

  private associate(
    tracks: Internal<T>[],
    dets: Detection<T>[],
    gate: number,
    byDistance = false,
  ): [{ track: Track<T>; detection: Detection<T> }[], Internal<T>[], Detection<T>[]] {
    const cost = new Float64Array(tracks.length * dets.length);
    for (let i = 0; i < tracks.length; i++) {
      for (let j = 0; j < dets.length; j++) {
        const a = tracks[i]!.box;
        const b = dets[j]!.box;
        // A tentative track that missed a detection (it survives one) may have moved as far again: twice the gate.
        const g = tracks[i]!.state === 'tentative' && tracks[i]!.missed > 0 ? 2 * gate : gate;
        cost[i * dets.length + j] = byDistance ? jump(a, b) / Math.max(g, 1e-9) : 1 - iou(a, b);
      }
    }
    const a = assign(cost, tracks.length, dets.length, byDistance ? 1 : 1 - gate);
    const pairs: { track: Track<T>; detection: Detection<T> }[] = [];
    const usedDet = new Uint8Array(dets.length);
    const restTracks: Internal<T>[] = [];
    for (let i = 0; i < tracks.length; i++) {
      const j = a[i]!;
      if (j < 0 || (!byDistance && cost[i * dets.length + j]! >= 1)) {
        restTracks.push(tracks[i]!);
        continue;
      }
      usedDet[j] = 1;
      pairs.push({ track: tracks[i]!, detection: dets[j]! });
    }
    return [pairs, restTracks, dets.filter((_, j) => !usedDet[j])];
  }

  private observe(t: Internal<T>, d: Detection<T>, frame: number): void {
    const gap = frame - t.lastSeen;
    if (gap > 1 && t.state === 'lost') {
      // Observation-centric re-update: replay the gap along a straight line.
      const from = t.last.box;
      const f = t.observed.copy();
      for (let s = 1; s < gap; s++) {
        const a = s / gap;
        f.predict();
        f.update({
          x: from.x + (d.box.x - from.x) * a,
          y: from.y + (d.box.y - from.y) * a,
          width: from.width + (d.box.width - from.width) * a,
          height: from.height + (d.box.height - from.height) * a,
        });
      }
      f.predict();
      t.filter = f;
    }
    t.filter.update(d.box);
    t.observed = t.filter.copy();
    t.box = { ...d.box };
    t.lastSeen = frame;
    t.hits++;
    t.missed = 0;
    t.last = d;
    if (t.state === 'lost' || t.hits >= this.options.minHits) t.state = 'confirmed';
  }
}
