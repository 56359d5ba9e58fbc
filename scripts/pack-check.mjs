#!/usr/bin/env node
// What `npm pack` checks (prepack, after the prebuild check) before it
// builds livefr's tarball: the tarball carries the default models, so a
// user's `npm install livefr` converts nothing and installs no model source
// package. Refuses to pack unless
//   - dist/ is built from the current lib/ (dist/.stamp newer than every .ts);
//   - every default model (and what it requires) is in models/ with its
//     manifest, the file's sha256 is the manifest's and the catalog's
//     (ModelSpec.sha256), and its source package's licence text is there;
//   - package.json "files" lists exactly those model files and licences;
//   - the demo's pictures are bundled in assets/ with their record and
//     licence texts (lib/demo/assets.ts).
// Run `node scripts/setup.mjs` to produce what is missing.
//
//   node scripts/pack-check.mjs [--root DIR]     exit 1 with the list of problems
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function newest(dir, filter) {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p, filter));
    else if (filter(e.name)) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}
const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The model files the tarball must carry: [relative path] for each default model, its manifest and its source's licence. */
export async function packedModelFiles(root = here) {
  const catalog = await import(pathToFileURL(path.join(root, 'dist', 'models', 'catalog.js')).href);
  const notices = await import(pathToFileURL(path.join(root, 'dist', 'models', 'notices.js')).href);
  const files = [];
  for (const name of catalog.defaultModelNames()) {
    const spec = catalog.findSpec(name);
    files.push(`models/${name}.onnx`, `models/${name}.json`, `models/${notices.LICENCE_DIR}/${notices.licenceFileName(spec.source.package)}`);
  }
  return [...new Set(files)].sort();
}

/** Problems that keep `root` from being packed (empty when it is ready). */
export async function packProblems(root = here) {
  const problems = [];
  const dist = path.join(root, 'dist');
  if (!existsSync(path.join(dist, 'index.js'))) return ['dist/ is not built (node scripts/setup.mjs)'];
  const stamp = path.join(dist, '.stamp');
  const src = newest(path.join(root, 'lib'), (n) => n.endsWith('.ts'));
  if (!existsSync(stamp) || statSync(stamp).mtimeMs < src) problems.push('dist/ is older than lib/ (npx tsc -p tsconfig.json, then touch dist/.stamp, or node scripts/setup.mjs)');

  const catalog = await import(pathToFileURL(path.join(dist, 'models', 'catalog.js')).href);
  const models = path.join(root, 'models');
  for (const name of catalog.defaultModelNames()) {
    const spec = catalog.findSpec(name);
    const file = path.join(models, `${name}.onnx`);
    const mf = path.join(models, `${name}.json`);
    if (!existsSync(file) || !existsSync(mf)) {
      problems.push(`models/${name}.onnx or its manifest is missing (node scripts/setup.mjs converts the defaults)`);
      continue;
    }
    const manifest = JSON.parse(readFileSync(mf, 'utf8'));
    const got = sha256(file);
    if (got !== manifest.model?.sha256) problems.push(`models/${name}.onnx: sha256 ${got} is not its manifest's ${manifest.model?.sha256}`);
    if (!spec.sha256) problems.push(`the catalog gives no sha256 for the default model ${name} (lib/models/catalog.ts)`);
    else if (got !== spec.sha256) {
      problems.push(`models/${name}.onnx: sha256 ${got} is not the catalog's ${spec.sha256} (converter or source changed: re-check the model and update the catalog)`);
    }
    if (manifest.source?.package !== spec.source.package) problems.push(`models/${name}.json names source ${manifest.source?.package}, the catalog ${spec.source.package}`);
    if (!manifest.licenceFile || !existsSync(path.join(models, manifest.licenceFile))) {
      problems.push(`models/${name}.json: the licence text of ${spec.source.package} is missing (livefr models convert --force ${name})`);
    }
  }

  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const listed = (pkg.files ?? []).filter((f) => f.startsWith('models/')).sort();
  const want = await packedModelFiles(root);
  for (const f of want) if (!listed.includes(f)) problems.push(`package.json "files" does not list ${f}`);
  for (const f of listed) if (!want.includes(f)) problems.push(`package.json "files" lists ${f}, which is not a default model's file`);

  const assets = await import(pathToFileURL(path.join(dist, 'demo', 'assets.js')).href);
  for (const p of assets.checkDemoAssets(path.join(root, 'assets'))) problems.push(`demo pictures: ${p} (node scripts/setup.mjs bundles them)`);
  if (!(pkg.files ?? []).includes('assets/')) problems.push('package.json "files" does not list assets/');
  return problems;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--root');
  const root = i > 0 ? path.resolve(process.argv[i + 1]) : here;
  const problems = await packProblems(root);
  for (const p of problems) process.stderr.write(`[livefr pack-check] ${p}\n`);
  if (problems.length) {
    process.stderr.write('[livefr pack-check] refusing to pack\n');
    process.exit(1);
  }
  process.stderr.write(`[livefr pack-check] default models (${(await packedModelFiles(root)).filter((f) => f.endsWith('.onnx')).length}), their manifests and licence texts, and the demo pictures are present and match the catalog\n`);
}
