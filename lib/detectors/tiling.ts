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
  /**
   * A mosaic pass: up to four windows of the frame (frame pixels), each
   * letterboxed into one quadrant of the input, top-left first, row by row
   * (`roi` is then the first window's).
   */
  cells?: Roi[];
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
  /** Tile columns and rows (the tiles follow the whole-frame pass row by row), or null without tiles. */
  grid: { cols: number; rows: number } | null;
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
  if (p.tile === false || st <= s0 * 1.0001) return { passes: [whole], scale: s0, tileScale: null, tiles: 0, grid: null };

  if (p.multipleOf && Math.max(W, H) * st <= MAX_DYNAMIC_SIDE) {
    // One enlarged pass sees everything the whole-frame pass would.
    const pass = { ...whole, input: dynamicInput(W, H, st, p.multipleOf) };
    return { passes: [pass], scale: st, tileScale: st, tiles: 0, grid: null };
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
    if (st <= s0) return { passes: [whole], scale: s0, tileScale: null, tiles: 0, grid: null };
  }
  const passes: PlannedPass[] = [whole];
  for (const y of starts(H, l.th, l.rows)) {
    for (const x of starts(W, l.tw, l.cols)) {
      const edges = (x > 0 ? 1 : 0) | (y > 0 ? 2 : 0) | (x + l.tw < W ? 4 : 0) | (y + l.th < H ? 8 : 0);
      const roi = { x, y, width: l.tw, height: l.th };
      passes.push({ roi, input: p.multipleOf ? dynamicInput(l.tw, l.th, st, p.multipleOf) : [Mw, Mh], innerEdges: edges });
    }
  }
  return { passes, scale: s0, tileScale: st, tiles: passes.length - 1, grid: { cols: l.cols, rows: l.rows } };
}

/**
 * The plan's passes that look inside `regions` (frame pixels): the
 * whole-frame pass and the tiles meeting at least one region. A tile whose
 * neighbour is left out keeps faces that reach the edge they share (no other
 * tile sees those faces whole). Without tiles, the plan is returned as is.
 */
export function passesFor(plan: Plan, regions: readonly Roi[]): PlannedPass[] {
  if (!plan.grid) return plan.passes;
  const { cols, rows } = plan.grid;
  const tiles = plan.passes.slice(1);
  const meets = (t: Roi) => regions.some((r) => r.x < t.x + t.width && r.x + r.width > t.x && r.y < t.y + t.height && r.y + r.height > t.y);
  const on = tiles.map((t) => meets(t.roi));
  const out: PlannedPass[] = [plan.passes[0]!];
  tiles.forEach((t, i) => {
    if (!on[i]) return;
    const c = i % cols;
    const r = Math.floor(i / cols);
    let edges = t.innerEdges;
    if (c > 0 && !on[i - 1]) edges &= ~1;
    if (r > 0 && !on[i - cols]) edges &= ~2;
    if (c < cols - 1 && !on[i + 1]) edges &= ~4;
    if (r < rows - 1 && !on[i + cols]) edges &= ~8;
    out.push(edges === t.innerEdges ? t : { ...t, innerEdges: edges });
  });
  return out;
}

/**
 * Windows of at most `size` frame pixels that cover every region (clipped to
 * the frame): regions are grouped while their joint bounds fit one window,
 * a region larger than a window is cut into overlapping window-sized pieces
 * first, and
 * each window is centred on its group and kept inside the frame.
 */
export function regionWindows(regions: readonly Roi[], size: [number, number], frame: [number, number]): Roi[] {
  const [ww, wh] = [Math.min(size[0], frame[0]), Math.min(size[1], frame[1])];
  const pieces: Roi[] = [];
  for (const r of regions) {
    const x1 = Math.max(0, r.x);
    const y1 = Math.max(0, r.y);
    const x2 = Math.min(frame[0], r.x + r.width);
    const y2 = Math.min(frame[1], r.y + r.height);
    if (!(x2 > x1 && y2 > y1)) continue;
    // Pieces of a large region overlap by a third of a window, so a face on the line between two is whole in one.
    const sx = x2 - x1 > ww ? Math.ceil((2 * ww) / 3) : ww;
    const sy = y2 - y1 > wh ? Math.ceil((2 * wh) / 3) : wh;
    for (let y = y1; ; y += sy) {
      for (let x = x1; ; x += sx) {
        pieces.push({ x, y, width: Math.min(ww, x2 - x), height: Math.min(wh, y2 - y) });
        if (x + ww >= x2) break;
      }
      if (y + wh >= y2) break;
    }
  }
  pieces.sort((a, b) => a.x - b.x || a.y - b.y);
  const groups: { x1: number; y1: number; x2: number; y2: number }[] = [];
  for (const p of pieces) {
    const px2 = p.x + p.width;
    const py2 = p.y + p.height;
    const g = groups.find((g) => Math.max(g.x2, px2) - Math.min(g.x1, p.x) <= ww && Math.max(g.y2, py2) - Math.min(g.y1, p.y) <= wh);
    if (g) {
      g.x1 = Math.min(g.x1, p.x);
      g.y1 = Math.min(g.y1, p.y);
      g.x2 = Math.max(g.x2, px2);
      g.y2 = Math.max(g.y2, py2);
    } else groups.push({ x1: p.x, y1: p.y, x2: px2, y2: py2 });
  }
  return groups.map((g) => {
    const x = Math.round(Math.min(Math.max(0, (g.x1 + g.x2) / 2 - ww / 2), frame[0] - ww));
    const y = Math.round(Math.min(Math.max(0, (g.y1 + g.y2) / 2 - wh / 2), frame[1] - wh));
    return { x, y, width: ww, height: wh };
  });
}

/**
 * Mosaic passes over `regions` for a fixed-size model of `modelSize` at the
 * plan's tile scale: windows a quarter of a tile's area, four to a pass,
 * after the whole-frame pass. Null when they would not need fewer passes
 * than the plan's tiles meeting the regions (passesFor), or without tiles.
 */
export function mosaicPasses(plan: Plan, regions: readonly Roi[], modelSize: Size): PlannedPass[] | null {
  if (!plan.grid || plan.tileScale === null) return null;
  const whole = plan.passes[0]!;
  const frame: [number, number] = [whole.roi.width, whole.roi.height];
  const [qw, qh] = [Math.floor(modelSize[0] / 2), Math.floor(modelSize[1] / 2)];
  const windows = regionWindows(regions, [Math.floor(qw / plan.tileScale), Math.floor(qh / plan.tileScale)], frame);
  const grid = passesFor(plan, regions).length;
  if (1 + Math.ceil(windows.length / 4) >= grid) return null;
  const out: PlannedPass[] = [whole];
  for (let i = 0; i < windows.length; i += 4) {
    const cells = windows.slice(i, i + 4);
    out.push({ roi: cells[0]!, input: [modelSize[0], modelSize[1]], innerEdges: 0, cells });
  }
  return out;
}
