// What a native binary was built from: one SHA-256 over CMakeLists.txt and
// every file under native/ (paths and contents, in path order). A prebuild
// records it in prebuilds/<platform>-<arch>/livefr.json and a local build
// in build/Release/livefr.json; the loader (lib/native/select.ts), setup
// and the install script use a binary only when its record matches the
// sources beside it, so a committed prebuild never shadows newer sources.
// CommonJS so that both the .mjs scripts and the compiled library can
// require it synchronously.
'use strict';
const { createHash } = require('node:crypto');
const { existsSync, readFileSync, readdirSync, statSync } = require('node:fs');
const path = require('node:path');

const SOURCE_EXT = /\.(cc|cpp|c|h|hpp|inc)$/;

/** Relative paths (forward slashes) of the files the hash covers, sorted. */
function nativeSourceFiles(root) {
  const out = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (SOURCE_EXT.test(e.name)) out.push(path.relative(root, p).split(path.sep).join('/'));
    }
  };
  if (existsSync(path.join(root, 'native'))) walk(path.join(root, 'native'));
  if (existsSync(path.join(root, 'CMakeLists.txt'))) out.push('CMakeLists.txt');
  return out.sort();
}

/** The sources' hash (hex), or null where there are no native sources (nothing to compare). */
function nativeSourceHash(root) {
  const files = nativeSourceFiles(root);
  if (!files.includes('CMakeLists.txt') || files.length < 2) return null;
  const h = createHash('sha256');
  for (const f of files) {
    const data = readFileSync(path.join(root, f));
    h.update(`${f}\0${data.length}\0`);
    h.update(data);
  }
  return h.digest('hex');
}

/** The record beside a binary (livefr.json in its folder), or null. */
function readBuildRecord(binary) {
  const file = path.join(path.dirname(binary), 'livefr.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

const platformDir = (root) => path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
const prebuildPath = (root) => path.join(platformDir(root), 'livefr.napi.node');
const localBuildPath = (root) => path.join(root, 'build', 'Release', 'livefr.node');

/**
 * Which binary fits the sources: { path, kind: 'prebuild' | 'local', reason }
 * or { path: null, reason } (what is wrong, for the error message).
 * A binary fits when its record names the current source hash; without
 * sources (nothing to compare) the prebuild, then the local build, fit.
 * A local build without a record (built by hand with cmake-js) fits when it
 * is newer than every source file.
 */
function chooseNativeBinary(root) {
  const hash = nativeSourceHash(root);
  const pre = prebuildPath(root);
  const local = localBuildPath(root);
  const candidates = [
    { path: local, kind: 'local' },
    { path: pre, kind: 'prebuild' },
  ].filter((c) => existsSync(c.path));
  if (hash === null) {
    const c = candidates.find((x) => x.kind === 'prebuild') ?? candidates[0];
    return c ? { ...c, reason: 'no native sources to compare with' } : { path: null, reason: 'no prebuilt binary and no local build' };
  }
  for (const c of candidates) {
    const rec = readBuildRecord(c.path);
    if (rec && rec.sources === hash) return { ...c, reason: 'built from these native sources' };
  }
  if (existsSync(local) && !readBuildRecord(local)) {
    const newestSource = Math.max(...nativeSourceFiles(root).map((f) => statSync(path.join(root, f)).mtimeMs));
    if (statSync(local).mtimeMs >= newestSource) return { path: local, kind: 'local', reason: 'newer than every native source (no build record)' };
  }
  const stale = candidates.map((c) => `${path.relative(root, c.path)} was built from other sources`);
  return { path: null, reason: stale.length ? stale.join('; ') : 'no prebuilt binary and no local build' };
}

module.exports = { nativeSourceFiles, nativeSourceHash, readBuildRecord, chooseNativeBinary, prebuildPath, localBuildPath, platformDir };
