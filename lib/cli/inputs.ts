/**
 * The images a command works on: file arguments, folders (their images,
 * recursively, sorted by path), `--list FILE` (one path per line) and `-`
 * (the same list read from stdin). A command line of any length works
 * (lib/inference/spawn.ts), but a list file is the way to pass a whole
 * collection without the shell's argument limit.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError, type FlagSpec } from './args.js';

export const IMAGE_EXT = /\.(jpe?g|png|webp)$/i;

export const INPUT_FLAGS: Record<string, FlagSpec> = {
  list: { type: 'list', description: "read image paths from a file, one per line ('-': stdin); may repeat" },
};

/** The image files under a folder, recursively, in path order; hidden entries are skipped. */
export function imagesIn(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    const entries = readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (IMAGE_EXT.test(e.name) && (e.isFile() || e.isSymbolicLink())) out.push(p);
    }
  };
  walk(dir);
  return out;
}

function readList(source: string, stdin: () => string): string[] {
  let text: string;
  if (source === '-') text = stdin();
  else {
    try {
      text = readFileSync(source, 'utf8');
    } catch (err) {
      throw new UsageError('--list', `Cannot read the image list ${JSON.stringify(source)}: ${(err as Error).message}`);
    }
  }
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/**
 * Expands arguments and lists into image paths. A folder gives its images
 * (an empty one is an error); a list entry that is a folder is expanded
 * the same way; `-` may appear once, as an argument or a list.
 */
export function collectImages(args: readonly string[], lists: readonly string[] = [], stdin: () => string = () => readFileSync(0, 'utf8')): string[] {
  let stdinUsed = false;
  const readStdin = () => {
    if (stdinUsed) throw new UsageError('-', "Stdin ('-') can be read only once");
    stdinUsed = true;
    return stdin();
  };
  const out: string[] = [];
  const add = (p: string) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      out.push(p); // reported per image by the command (the run goes on)
      return;
    }
    if (st.isDirectory()) {
      const found = imagesIn(p);
      if (found.length === 0) throw new UsageError('arguments', `No images (.jpg, .jpeg, .png, .webp) in the folder ${JSON.stringify(p)}`);
      out.push(...found);
    } else out.push(p);
  };
  for (const a of args) {
    if (a === '-') for (const p of readList('-', readStdin)) add(p);
    else add(a);
  }
  for (const l of lists) for (const p of readList(l, readStdin)) add(p);
  return out;
}
