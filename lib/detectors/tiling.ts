/**
 * Which model runs cover a frame: the whole frame letterboxed to the model
 * size, plus overlapping tiles when the frame is so large that a face of
 * `smallestFace` pixels would shrink below what the model can see
 * (`minVisibleFace` tensor pixels). Dynamic-size models (YuNet) run once at a
 * larger input instead, as long as it stays under `maxDynamicSide`.
 */
import type { Size } from './types.js';

export interface Roi {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PlannedPass {
  roi: Roi;
  /** Model input size for this pass. */
  input: Size;
  /** Edges of the tile inside the frame (1 left, 2 top, 4 right, 8 bottom); 0 for the whole frame. */
  innerEdges: number;
}

export interface TilingParams {
  frame: Size;
  /** Fixed model size, or the whole-frame box for dynamic models. */
  modelSize: Size;
  /** Dynamic models: inputs are multiples of this; 0 for fixed models. */
  multipleOf: number;
  minVisibleFace: number;
  smallestFace: number;
  tile: 'auto' | boolean;
  /** Upper bound on tiles for tile: 'auto'. */
  maxTiles: number;
}

export interface Plan {
  passes: PlannedPass[];
  /** Scale of the whole-frame pass. */
  scale: number;
  /** Scale the tiles (or the enlarged dynamic pass) run at, or null. */
  tileScale: number | null;
  tiles: number;
}

/**
 * Absolute caps on one frame's tiling (detect() refuses a plan beyond them
 * with a RangeError): model passes, and model input pixels over all passes
 * (64 M: 160 passes of 640 x 640, about 20 s of CPU here).
 */
export const MAX_PASSES = 256;
export const MAX_PASS_PIXELS = 64e6;

/** Largest side of an enlarged single pass for dynamic models. */
export const MAX_DYNAMIC_SIDE = 2048;
/** Never enlarge a frame more than this for small faces. */
export const MAX_UPSCALE = 4;

function roundUp(v: number, m: number): number {
  return Math.max(m, Math.ceil(v / m) * m);
}

function dynamicInput(w: number, h: number, scale: number, m: number): Size {
  return [roundUp(w * scale - 1e-6, m), roundUp(h * scale - 1e-6, m)];
}

/** Start positions of `count` segments of `len` covering [0, total), evenly spread. */
function starts(total: number, len: number, count: number): number[] {
  if (count <= 1) return [0];
  const step = (total - len) / (count - 1);
  return Array.from({ length: count }, (_, i) => Math.round(i * step));
}

function countAlong(total: number, len: number, overlap: number): number {
  return total <= len ? 1 : Math.ceil((total - overlap) / (len - overlap));
}

export function planPasses(p: TilingParams): Plan {
  const [W, H] = p.frame;
  const [Mw, Mh] = p.modelSize;
  const s0 = Math.min(Mw / W, Mh / H);
  const whole: PlannedPass = {
    roi: { x: 0, y: 0, width: W, height: H },
    input: p.multipleOf ? dynamicInput(W, H, s0, p.multipleOf) : [Mw, Mh],
    innerEdges: 0,
  };
  let st = Math.min(MAX_UPSCALE, p.minVisibleFace / p.smallestFace);
  if (p.tile === false || st <= s0 * 1.0001) return { passes: [whole], scale: s0, tileScale: null, tiles: 0 };

  if (p.multipleOf && Math.max(W, H) * st <= MAX_DYNAMIC_SIDE) {
    // One enlarged pass sees everything the whole-frame pass would.
    const pass = { ...whole, input: dynamicInput(W, H, st, p.multipleOf) };
    return { passes: [pass], scale: st, tileScale: st, tiles: 0 };
  }

  // Faces the whole-frame pass may miss are below minVisibleFace / s0 frame
  // pixels; the overlap keeps each of them whole inside at least one tile.
  const layout = (scale: number) => {
    const tw = Math.min(W, Math.floor(Mw / scale));
    const th = Math.min(H, Math.floor(Mh / scale));
    const overlap = Math.min(Math.floor(Math.min(tw, th) / 2), Math.ceil(Math.max((1.5 * p.minVisibleFace) / s0, 0.2 * Math.min(tw, th))));
    const cols = countAlong(W, tw, overlap);
    const rows = countAlong(H, th, overlap);
    return { tw, th, cols, rows };
  };
  // A slightly coarser scale can save a whole row or column of tiles
  // (1080 rows do not fit 1024-row tiles, but fit 1080-row ones): try the
  // scales at which one tile spans the frame's height or width.
  const pick = (scale: number) => {
    let best = layout(scale);
    let bestScale = scale;
    for (const s of [Mh / H, Mw / W]) {
      if (s >= scale || s < 0.92 * scale) continue;
      const c = layout(s);
      if (c.cols * c.rows < best.cols * best.rows) {
        best = c;
        bestScale = s;
      }
    }
    return { l: best, scale: bestScale };
  };
  let { l, scale: chosen } = pick(st);
  st = chosen;
  if (p.tile === 'auto') {
    // 'auto' never exceeds the absolute caps: it tiles more coarsely instead.
    const maxTiles = Math.min(p.maxTiles, MAX_PASSES - 1, Math.floor(MAX_PASS_PIXELS / (Mw * Mh)) - 1);
    while (l.cols * l.rows > maxTiles && st > s0) {
      ({ l, scale: st } = pick(st * 0.9));
    }
    if (st <= s0) return { passes: [whole], scale: s0, tileScale: null, tiles: 0 };
  }
  const passes: PlannedPass[] = [whole];
  for (const y of starts(H, l.th, l.rows)) {
    for (const x of starts(W, l.tw, l.cols)) {
      const edges = (x > 0 ? 1 : 0) | (y > 0 ? 2 : 0) | (x + l.tw < W ? 4 : 0) | (y + l.th < H ? 8 : 0);
      const roi = { x, y, width: l.tw, height: l.th };
      passes.push({ roi, input: p.multipleOf ? dynamicInput(l.tw, l.th, st, p.multipleOf) : [Mw, Mh], innerEdges: edges });
    }
  }
  return { passes, scale: s0, tileScale: st, tiles: passes.length - 1 };
}
