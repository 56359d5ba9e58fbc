/**
 * The demo's pictures, all shipped inside npm packages livefr installs (MIT):
 *
 * - @vladmandic/face-api `demo/sample1..6.jpg`: group photos (1920 px wide,
 *   faces of 150-250 px). Six people are enrolled from them, one photo each.
 * - @vladmandic/human `assets/screenshot-facematch.jpg`: a screenshot of
 *   Human's face-match demo. Its top-left "Selected Face" panel gives a
 *   seventh person; its lower part is a grid of about 110 face thumbnails
 *   (faces of 50-70 px) cut from some 30 photos: that grid is the scene.
 *   The seventh person appears in about ten different photos there; the six
 *   others appear as downscaled copies of their sample photos. Everyone else
 *   in the grid is a passer-by, who must come out as an anonymous box.
 *
 * No names are known for these people; the demo calls them A..G.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../util/package-root.js';
import type { Box } from '../types.js';

export interface DemoPerson {
  id: string;
  /** npm package and file inside it. */
  package: string;
  file: string;
  /** Crop of the file to use (pixels), before the face is looked for. */
  region?: Box;
  /** Pad the crop on every side by this fraction of its size (tight face crops need room). */
  pad?: number;
  /** Approximate centre of the face to enrol, in file pixels (the face nearest to it is taken). */
  near: [number, number];
}

export const FACEAPI = '@vladmandic/face-api';
export const HUMAN = '@vladmandic/human';

export const DEMO_PEOPLE: readonly DemoPerson[] = [
  { id: 'A', package: HUMAN, file: 'assets/screenshot-facematch.jpg', region: { x: 0, y: 20, width: 330, height: 240 }, pad: 0.5, near: [88, 105] },
  { id: 'B', package: FACEAPI, file: 'demo/sample3.jpg', near: [1185, 320] },
  { id: 'C', package: FACEAPI, file: 'demo/sample5.jpg', near: [463, 976] },
  { id: 'D', package: FACEAPI, file: 'demo/sample5.jpg', near: [872, 196] },
  { id: 'E', package: FACEAPI, file: 'demo/sample6.jpg', near: [360, 611] },
  { id: 'F', package: FACEAPI, file: 'demo/sample6.jpg', near: [1585, 377] },
  { id: 'G', package: FACEAPI, file: 'demo/sample1.jpg', near: [507, 450] },
];

export interface DemoScene {
  name: string;
  package: string;
  file: string;
  region?: Box;
  description: string;
}

export const DEMO_SCENE: DemoScene = {
  name: 'facematch-grid',
  package: HUMAN,
  file: 'assets/screenshot-facematch.jpg',
  region: { x: 0, y: 280, width: 1920, height: 674 },
  description: "the face grid of Human's face-match screenshot (about 110 faces of 50-70 px from some 30 photos)",
};

/**
 * Fallback scene when @vladmandic/human is not installed: face-api's six
 * samples, mirrored and shrunk to 640 px wide (faces of 50-80 px), tiled
 * 3x2 on a 1920x1080 frame. The enrolled people then appear as mirrored,
 * downscaled copies of their enrolment photos, and everyone else in the
 * samples is a passer-by.
 */
export const FALLBACK_SCENE = {
  name: 'faceapi-samples-collage',
  package: FACEAPI,
  files: ['demo/sample1.jpg', 'demo/sample2.jpg', 'demo/sample3.jpg', 'demo/sample4.jpg', 'demo/sample5.jpg', 'demo/sample6.jpg'],
  description: "a 1920x1080 collage of face-api's six samples, mirrored and shrunk 3x (faces of 50-80 px)",
};

/** Folder of an installed package (walking up node_modules folders), or null. */
export function packageDir(pkg: string): string | null {
  let dir = packageRoot;
  for (;;) {
    const c = path.join(dir, 'node_modules', pkg);
    if (existsSync(path.join(c, 'package.json'))) return c;
    const up = path.dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

export function assetPath(pkg: string, file: string): string | null {
  const dir = packageDir(pkg);
  if (!dir) return null;
  const p = path.join(dir, file);
  return existsSync(p) ? p : null;
}
