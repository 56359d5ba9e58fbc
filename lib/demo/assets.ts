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
 *
 * Neither package is a dependency of livefr's npm package: setup copies
 * the pictures the demo uses into `assets/<package>/<file>` with
 * `assets/assets.json` (package, version, sha256 of each file) and the
 * packages' licence texts (`assets/licences/`), and `npm pack` ships that
 * folder (scripts/pack-check.mjs checks it). assetPath() reads the bundled
 * copy first, else the package when installed (a development clone).
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sha256File } from '../models/hash.js';
import { writeLicenceNotice } from '../models/notices.js';
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

/** The folder of the bundled demo pictures (shipped in the npm package). */
export const ASSETS_DIR = path.join(packageRoot, 'assets');

export function assetPath(pkg: string, file: string): string | null {
  const bundled = path.join(ASSETS_DIR, pkg, file);
  if (existsSync(bundled)) return bundled;
  const dir = packageDir(pkg);
  if (!dir) return null;
  const p = path.join(dir, file);
  return existsSync(p) ? p : null;
}

/** Every picture the demo reads, as [package, file]. */
export function demoAssetFiles(): [string, string][] {
  const all: [string, string][] = [
    ...DEMO_PEOPLE.map((p): [string, string] => [p.package, p.file]),
    [DEMO_SCENE.package, DEMO_SCENE.file],
    ...FALLBACK_SCENE.files.map((f): [string, string] => [FALLBACK_SCENE.package, f]),
  ];
  const seen = new Set<string>();
  return all.filter(([p, f]) => !seen.has(`${p}/${f}`) && (seen.add(`${p}/${f}`), true)).sort((a, b) => `${a[0]}/${a[1]}`.localeCompare(`${b[0]}/${b[1]}`));
}

export interface BundledAsset {
  package: string;
  version: string;
  file: string;
  sha256: string;
  bytes: number;
  licence: string;
  licenceFile: string;
}

/** The bundle's record (assets/assets.json), or null. */
export function readAssetsRecord(dir = ASSETS_DIR): { files: BundledAsset[] } | null {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'assets.json'), 'utf8')) as { files: BundledAsset[] };
  } catch {
    return null;
  }
}

/** Problems with the bundle in `dir` (missing files, changed bytes, missing licence texts); empty when complete. */
export function checkDemoAssets(dir = ASSETS_DIR): string[] {
  const rec = readAssetsRecord(dir);
  if (!rec) return [`${path.join(dir, 'assets.json')} is missing`];
  const problems: string[] = [];
  for (const [pkg, file] of demoAssetFiles()) {
    const r = rec.files.find((x) => x.package === pkg && x.file === file);
    const p = path.join(dir, pkg, file);
    if (!r) problems.push(`${pkg}/${file} is not recorded in assets.json`);
    else if (!existsSync(p)) problems.push(`${p} is missing`);
    else if (sha256File(p).sha256 !== r.sha256) problems.push(`${p} does not match its sha256 in assets.json`);
    if (r && !existsSync(path.join(dir, r.licenceFile))) problems.push(`${path.join(dir, r.licenceFile)} (licence of ${pkg}) is missing`);
  }
  return problems;
}

/**
 * Copies the demo pictures from their installed packages into `dir` (setup
 * calls it; idempotent). A package that is not installed leaves the bundle
 * as it is when that is complete, else it is an error naming the package.
 */
export function bundleDemoAssets(log: (line: string) => void = () => {}, dir = ASSETS_DIR): void {
  if (checkDemoAssets(dir).length === 0) return log(`demo pictures: bundled in ${dir}`);
  const files: BundledAsset[] = [];
  const licences = new Map<string, string>();
  for (const [pkg, file] of demoAssetFiles()) {
    const src = packageDir(pkg);
    if (!src || !existsSync(path.join(src, file))) throw new Error(`The demo picture ${pkg}/${file} is not installed: run \`npm ci\` (${pkg} is a development dependency)`);
    const pj = JSON.parse(readFileSync(path.join(src, 'package.json'), 'utf8')) as { version: string; license?: string };
    if (!licences.has(pkg)) licences.set(pkg, writeLicenceNotice(src, pkg, pj.version, dir));
    const out = path.join(dir, pkg, file);
    mkdirSync(path.dirname(out), { recursive: true });
    copyFileSync(path.join(src, file), out);
    const { sha256, bytes } = sha256File(out);
    files.push({ package: pkg, version: pj.version, file, sha256, bytes: bytes.byteLength, licence: pj.license ?? 'unknown', licenceFile: licences.get(pkg)! });
  }
  writeFileSync(path.join(dir, 'assets.json'), JSON.stringify({ description: "The livefr demo's pictures (lib/demo/assets.ts), copied from the npm packages named", files }, null, 2) + '\n');
  log(`demo pictures: ${files.length} files bundled in ${dir}`);
}
