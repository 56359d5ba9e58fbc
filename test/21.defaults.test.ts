/**
 * The default models (registry DEFAULTS), measured on ../shared/data.
 *
 * Protocol (lib/models/measure.ts, the same code as scripts/measure-models.mjs):
 * - verification on lfw-dev pairs.txt (5 folds x 600 pairs): landmarks from
 *   the default detector (face nearest the image centre; the mean face where
 *   none is found), embeddings from the default embedder with its own crop,
 *   cosine similarity; accuracy of each fold at the threshold that maximises
 *   accuracy on the other 4 folds; the mean over folds must be >= 98.5%.
 * - detection with the family's default score threshold: >= 40 faces in
 *   scenes/wild_1.jpg; the 4 faces of scenes/bbt1.jpg (boxes below, read off
 *   the photo) all found.
 * - small faces: 60 LFW faces of 32, 40 and 48 px on a grey 1920x1080 frame;
 *   with tiling for 32 px faces at least 57 of 60 are found.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Detector, Embedder, loadImage } from '../dist/index.js';
import { DEFAULTS } from '../dist/models/registry.js';
import { measureVerification, scoreSmallFaces, smallFaceFrame } from '../dist/models/measure.js';
import { SKIP_SHARED, hasSharedData, sharedData } from './helpers/shared.js';

describe.skipIf(!hasSharedData)(`default models ${DEFAULTS.detector}${DEFAULTS.landmarks ? ` + ${DEFAULTS.landmarks}` : ""} + ${DEFAULTS.embedder} on ../shared/data ${hasSharedData ? '' : `(${SKIP_SHARED})`}`, () => {
  let detector: Detector;
  beforeAll(async () => {
    detector = await Detector.load({});
  });
  afterAll(async () => {
    await detector?.close();
  });

  it('verification accuracy on lfw-dev >= 98.5% (5 folds, threshold from the other folds)', async () => {
    const embedder = await Embedder.load({});
    try {
      const r = await measureVerification(sharedData('lfw-dev'), detector, embedder);
      const acc = r.accuracy;
      console.log(
        `[21.defaults] ${DEFAULTS.detector} + ${DEFAULTS.embedder}: accuracy ${(100 * acc.mean).toFixed(2)}% ± ${(100 * acc.std).toFixed(2)} ` +
          `(${acc.correct}/${acc.total}; folds ${acc.accuracies.map((a) => (100 * a).toFixed(1)).join(', ')}); no face in ${r.missed}/${r.images} images; ` +
          r.tar.map((t) => `TAR@FAR${t.far} ${(100 * t.tar).toFixed(2)}% (${t.accepted}/${t.genuine}, FA ${t.falseAccepts}/${t.impostors}, threshold ${t.threshold.toFixed(3)})`).join('; ') +
          `; ${r.msPerFace.toFixed(1)} ms/face`,
      );
      expect(r.pairs).toBe(3000);
      expect(acc.mean).toBeGreaterThanOrEqual(0.985);
    } finally {
      await embedder.close();
    }
  });

  it('finds >= 40 faces in wild_1.jpg and the 4 faces of bbt1.jpg', async () => {
    const wild = await detector.detect(await loadImage(sharedData('scenes', 'wild_1.jpg')));
    const bbt = await detector.detect(await loadImage(sharedData('scenes', 'bbt1.jpg')));
    // Face centres in bbt1.jpg (1366x768), left to right, read off the photo.
    const truth = [
      [263, 197],
      [522, 217],
      [772, 204],
      [1046, 155],
    ];
    const found = truth.filter(([x, y]) =>
      bbt.some((f) => Math.abs(f.box.x + f.box.width / 2 - x!) < 40 && Math.abs(f.box.y + f.box.height / 2 - y!) < 50),
    );
    console.log(`[21.defaults] ${DEFAULTS.detector}: wild_1 ${wild.length} faces; bbt1 ${found.length}/4 found, ${bbt.length - found.length} other detections`);
    expect(wild.length).toBeGreaterThanOrEqual(40);
    expect(found.length).toBe(4);
  });

  it('finds 32-48 px faces in a 1920x1080 frame with tiling', async () => {
    const { frame, truth } = await smallFaceFrame(sharedData('lfw-dev'));
    const whole = scoreSmallFaces(await detector.detect(frame, { tile: false }), truth);
    const run = await detector.detectWithInfo(frame, { tile: true, smallestFace: 32 });
    const tiled = scoreSmallFaces(run.faces, truth);
    const info = run.info;
    const fmt = (s: typeof whole) => `${s.found}/${s.of} (${Object.entries(s.bySize).map(([k, v]) => `${k}px ${v.found}/${v.of}`).join(', ')}), ${s.falseDetections} false`;
    console.log(`[21.defaults] small faces: whole frame ${fmt(whole)}; tiled (${info?.tiles} tiles) ${fmt(tiled)}`);
    expect(tiled.found).toBeGreaterThanOrEqual(57);
    expect(tiled.bySize[32]!.found).toBeGreaterThanOrEqual(19);
    expect(path.basename(sharedData('lfw-dev'))).toBe('lfw-dev');
  });
});
