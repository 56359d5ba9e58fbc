/**
 * Evaluation data sets: a folder `images/<id>/*.{jpg,jpeg,png,webp}` (one
 * folder per person) plus, for verification, an LFW-format `pairs.txt`.
 *
 * pairs.txt: the first line is `<folds> <pairsPerHalf>` (or one number,
 * the pairs of each kind per fold; some copies use a tab); then per fold
 * `pairsPerHalf` matched lines `id i j` followed by `pairsPerHalf`
 * mismatched lines `id1 i id2 j`. Image numbers are 1-based: LFW files are
 * named `<id>_<NNNN>.jpg`, any other naming means the i-th file of the
 * person in sorted order. LFW's people.txt is not needed (and not read).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { FileFormatError, invalidType, outOfRange } from '../errors.js';

const IMAGE_EXT = /\.(jpe?g|png|webp)$/i;

export interface Person {
  id: string;
  /** Absolute paths, sorted. */
  images: string[];
}

export interface Pair {
  a: string;
  b: string;
  /** Same person. */
  genuine: boolean;
  fold: number;
  /** The two ids. */
  idA: string;
  idB: string;
}

export interface Dataset {
  root: string;
  people: Person[];
  /** Person id of each image path. */
  personOf: Map<string, string>;
  /** pairs.txt when present. */
  pairs: Pair[] | null;
  folds: number;
}

function imageByNumber(person: Person, n: number, where: string): string {
  const lfw = path.join(path.dirname(person.images[0] ?? ''), `${person.id}_${String(n).padStart(4, '0')}.jpg`);
  if (person.images.includes(lfw)) return lfw;
  const p = person.images[n - 1];
  if (!p) throw new FileFormatError(`${where}: ${person.id} has no image number ${n} (it has ${person.images.length})`);
  return p;
}

/** Parses LFW-format pairs.txt text against a set of people. */
export function parsePairs(text: string, people: Map<string, Person>, name = 'pairs.txt'): { pairs: Pair[]; folds: number } {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  const head = (lines[0] ?? '').split(/\s+/).map(Number);
  if (head.length === 0 || head.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new FileFormatError(`${name}: the first line must be "<folds> <pairs per half>" but is ${JSON.stringify(lines[0] ?? '')}`);
  }
  const folds = head.length >= 2 ? head[0]! : 1;
  const per = head.length >= 2 ? head[1]! : head[0]!;
  if (lines.length - 1 !== folds * per * 2) {
    throw new FileFormatError(`${name}: expected ${folds} folds x ${2 * per} pairs = ${folds * per * 2} lines after the header, found ${lines.length - 1}`);
  }
  const pairs: Pair[] = [];
  for (let li = 1; li < lines.length; li++) {
    const where = `${name} line ${li + 1}`;
    const cells = lines[li]!.split(/\s+/);
    const k = li - 1;
    const fold = Math.floor(k / (2 * per));
    const genuine = k % (2 * per) < per;
    const [idA, ia, idB, ib] = genuine && cells.length === 3 ? [cells[0]!, cells[1]!, cells[0]!, cells[2]!] : cells.length === 4 ? (cells as [string, string, string, string]) : [];
    if (!idA || (genuine && cells.length !== 3) || (!genuine && cells.length !== 4)) {
      throw new FileFormatError(`${where}: expected ${genuine ? '"id i j"' : '"id1 i id2 j"'} but found ${JSON.stringify(lines[li])}`);
    }
    const pa = people.get(idA);
    const pb = people.get(idB!);
    if (!pa || !pb) throw new FileFormatError(`${where}: no folder images/${!pa ? idA : idB}`);
    pairs.push({ a: imageByNumber(pa, Number(ia), where), b: imageByNumber(pb, Number(ib), where), genuine, fold, idA, idB: idB! });
  }
  return { pairs, folds };
}

/** Opens a data set folder (see the module comment). */
export async function openDataset(dir: string, param = 'dir'): Promise<Dataset> {
  if (typeof dir !== 'string' || dir.length === 0) throw invalidType(param, 'a data set folder path', dir);
  const root = path.resolve(dir);
  const imagesDir = path.join(root, 'images');
  if (!existsSync(imagesDir) || !statSync(imagesDir).isDirectory()) {
    throw outOfRange(param, `a folder containing images/<id>/*.jpg (no ${imagesDir})`, dir);
  }
  const people: Person[] = [];
  for (const id of readdirSync(imagesDir).sort()) {
    const pdir = path.join(imagesDir, id);
    if (!statSync(pdir).isDirectory()) continue;
    const images = readdirSync(pdir).filter((f) => IMAGE_EXT.test(f)).sort().map((f) => path.join(pdir, f));
    if (images.length > 0) people.push({ id, images });
  }
  if (people.length === 0) throw outOfRange(param, 'a folder with at least one images/<id>/ image', dir);
  const byId = new Map(people.map((p) => [p.id, p]));
  const personOf = new Map<string, string>();
  for (const p of people) for (const im of p.images) personOf.set(im, p.id);
  const pairsFile = path.join(root, 'pairs.txt');
  let pairs: Pair[] | null = null;
  let folds = 0;
  if (existsSync(pairsFile)) {
    ({ pairs, folds } = parsePairs(await readFile(pairsFile, 'utf8'), byId, pairsFile));
  }
  return { root, people, personOf, pairs, folds };
}

/** Every image of the data set, in people order. */
export function allImages(ds: Dataset): string[] {
  return ds.people.flatMap((p) => p.images);
}
