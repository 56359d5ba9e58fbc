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

export function findPackageDir(pkg: string, model: string, opts: SourceOptions = {}): string {
  const override = opts.packageDirs?.[pkg];
  const candidates: string[] = [];
  if (override !== undefined) candidates.push(override);
  else {
    let dir = packageRoot;
    for (;;) {
      candidates.push(path.join(dir, 'node_modules', pkg));
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  for (const c of candidates) {
    if (existsSync(path.join(c, 'package.json'))) return c;
  }
  throw new SourcePackageError(
    pkg,
    `Model ${model} is converted from the npm package ${pkg}, which is not installed ` +
      `(looked in ${candidates.slice(0, 2).join(', ')}${candidates.length > 2 ? ', ...' : ''}). ` +
      `Install it with \`npm install ${pkg}\` (or run \`npm run setup\`).`,
  );
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
