#!/usr/bin/env node
// Tries livefr the way a new user meets it: `npm pack`, a fresh project in
// a temporary folder, `ONNXRUNTIME_NODE_INSTALL=skip npm install <tarball>`
// with no compiler on PATH (packages installed and their size are
// reported), then the README's quick start on a picture the tarball ships
// (it must exit by itself and convert nothing: the default models are in
// the tarball), `livefr demo`, require() from CommonJS, `livefr --version`
// and `livefr info`, a non-default model (the error names the package to
// install; once installed, `livefr models convert` builds it), and, with
// ../shared/data present, `livefr enroll` + `livefr match` on a folder of
// hundreds of LFW images. Needs the npm registry; takes minutes.
//
//   node scripts/try-tarball.mjs [--keep] [--images N]
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const keep = argv.includes('--keep');
const nImages = Number(argv[argv.indexOf('--images') + 1] ?? 300) || 300;
const log = (m) => process.stderr.write(`[try-tarball] ${m}\n`);
let failures = 0;
const check = (ok, what) => {
  log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
};

function run(cmd, args, opts = {}) {
  const t = Date.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 << 20, ...opts });
  return { ...r, seconds: (Date.now() - t) / 1000 };
}

// A PATH with node and npm but no compiler, cmake or make: the install must not need them.
const work = mkdtempSync(path.join(os.tmpdir(), 'livefr-try-'));
const bin = path.join(work, 'bin');
mkdirSync(bin);
for (const tool of ['node', 'npm', 'npx', 'sh', 'bash', 'env', 'ldd', 'uname', 'cat', 'rm', 'mkdir', 'cp', 'ls', 'sed', 'grep', 'git']) {
  const found = run('sh', ['-c', `command -v ${tool}`]).stdout.trim();
  if (found) symlinkSync(found, path.join(bin, tool));
}
const env = { ...process.env, PATH: bin, ONNXRUNTIME_NODE_INSTALL: 'skip' };
delete env.LIVEFR_NATIVE_PATH;

log(`packing ${root}`);
const pack = run('npm', ['pack', '--pack-destination', work], { cwd: root, env: process.env });
check(pack.status === 0, `npm pack (${pack.stderr.match(/package size: .*/)?.[0] ?? pack.stderr.slice(-300)})`);
const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
if (!tarball) process.exit(1);

const app = path.join(work, 'app');
mkdirSync(app);
writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'try-livefr', version: '1.0.0', type: 'module', private: true }, null, 2));
log('installing into a fresh project (no compiler on PATH)');
const inst = run('npm', ['install', '--no-audit', '--no-fund', path.join(work, tarball)], { cwd: app, env });
check(inst.status === 0, `npm install of the tarball, ${inst.seconds.toFixed(0)} s`);
if (inst.status !== 0) log(inst.stderr.slice(-2000));
const warned = /install-scripts/.test(inst.stderr);
log(`npm printed: ${warned ? inst.stderr.split('\n').filter((l) => /install-scripts/.test(l)).slice(0, 3).join(' | ') : '(no install-scripts warning)'}`);
const pkgDir = path.join(app, 'node_modules', 'livefr');
const installed = Object.keys(JSON.parse(readFileSync(path.join(app, 'node_modules', '.package-lock.json'), 'utf8')).packages).filter(Boolean).length;
const mb = Number(run('du', ['-sk', path.join(app, 'node_modules')]).stdout.split('\t')[0]) / 1024;
log(`installed: ${installed} packages, ${mb.toFixed(0)} MB in node_modules (${inst.stdout.trim().split('\n').filter((l) => /added/.test(l)).join(' ')})`);
check(!existsSync(path.join(app, 'node_modules', 'faceplugin-face-recognition-js')) && !existsSync(path.join(app, 'node_modules', 'jest')), 'no model source package (nor its jest/webpack tree) was installed');
check(!existsSync(path.join(pkgDir, 'build')), 'nothing was compiled (no build/ in node_modules/livefr)');
const ldd = run('ldd', [path.join(pkgDir, 'prebuilds', `${process.platform}-${process.arch}`, 'livefr.napi.node')]);
log(`ldd of the installed prebuild:\n${ldd.stdout}`);

// A picture the tarball itself ships (the demo's).
copyFileSync(path.join(pkgDir, 'assets', '@vladmandic', 'face-api', 'demo', 'sample1.jpg'), path.join(app, 'alice.jpg'));
writeFileSync(
  path.join(app, 'quick.mjs'),
  `import { Detector, Embedder, Watchlist, loadImage } from 'livefr';
const detector = await Detector.load();
const embedder = await Embedder.load();
const watchlist = new Watchlist({ dim: embedder.dim, threshold: embedder.suggestedThreshold });
const photo = await loadImage('alice.jpg');
const [face] = await detector.detect(photo);
await watchlist.add('alice', await embedder.embed(photo, [face]), { reason: 'missing person' });
const faces = await detector.detect(photo);
const results = await watchlist.match(await embedder.embed(photo, faces), { k: 3 });
for (const [i, r] of results.entries()) if (r.alert) console.log('ALERT', r.best.id, r.best.score.toFixed(3), Math.round(faces[i].box.x));
`,
);
const quick = run('node', ['quick.mjs'], { cwd: app, env, timeout: 300_000 });
check(quick.status === 0 && /ALERT alice/.test(quick.stdout), `quick start alerts and exits by itself (${quick.seconds.toFixed(1)} s, first run converts the models)`);
if (quick.status !== 0) log(quick.stderr.slice(-1500));
check(!/converting|fetching/.test(quick.stderr), 'the quick start converted and fetched nothing (the default models come in the tarball)');
const demo = run('npx', ['livefr', 'demo', '--no-shared'], { cwd: app, env, timeout: 600_000 });
const scene = demo.stdout.split('\n').find((l) => /faces? found/.test(l)) ?? '';
check(demo.status === 0 && existsSync(path.join(app, 'out', 'demo.jpg')), `livefr demo (${demo.seconds.toFixed(1)} s): ${scene.trim()}`);
if (demo.status !== 0) log(demo.stderr.slice(-1500));
const other = run('node', ['--input-type=module', '-e', "import { Embedder } from 'livefr'; await Embedder.load({ model: 'faceapi-resnet' });"], { cwd: app, env });
check(other.status !== 0 && /npm install @vladmandic\/face-api/.test(other.stderr), `a non-default model names the package to install: ${other.stderr.split('\n').find((l) => /^SourcePackageError/.test(l.trim()))?.trim().slice(0, 400)}`);
const addPkg = run('npm', ['install', '--no-audit', '--no-fund', '@vladmandic/face-api@1.7.15'], { cwd: app, env });
const conv = run('npx', ['livefr', 'models', 'convert', 'faceapi-resnet'], { cwd: app, env, timeout: 300_000 });
check(addPkg.status === 0 && conv.status === 0, `once @vladmandic/face-api is installed, livefr models convert faceapi-resnet builds it (${conv.seconds.toFixed(1)} s)`);
if (conv.status !== 0) log(conv.stderr.slice(-1500));
const cjs = run('node', ['-e', "require('livefr')"], { cwd: app, env });
check(cjs.status !== 0 && /await import\('livefr'\)/.test(cjs.stderr), 'require() says livefr is an ES module and shows the import() line');
const version = run('npx', ['livefr', '--version'], { cwd: app, env });
check(version.status === 0 && /\d+\.\d+\.\d+/.test(version.stdout), `livefr --version: ${version.stdout.trim()}`);
const info = run('npx', ['livefr', 'info'], { cwd: app, env });
check(info.status === 0, 'livefr info');
log(`livefr info:\n${info.stdout}`);

const lfw = path.join(root, '..', 'shared', 'data', 'lfw-dev', 'images');
if (existsSync(lfw)) {
  // Enrol 20 people with several photos; match a folder of other photos of everyone.
  const people = readdirSync(lfw).sort();
  const many = people.filter((p) => readdirSync(path.join(lfw, p)).length >= 4).slice(0, 20);
  const gallery = path.join(app, 'gallery');
  const probes = path.join(app, 'probes');
  mkdirSync(probes);
  for (const p of many) {
    const files = readdirSync(path.join(lfw, p)).sort();
    mkdirSync(path.join(gallery, p), { recursive: true });
    copyFileSync(path.join(lfw, p, files[0]), path.join(gallery, p, files[0]));
    for (const f of files.slice(1)) copyFileSync(path.join(lfw, p, f), path.join(probes, f));
  }
  for (const p of people) {
    if (readdirSync(probes).length >= nImages) break;
    if (many.includes(p)) continue;
    const f = readdirSync(path.join(lfw, p))[0];
    copyFileSync(path.join(lfw, p, f), path.join(probes, f));
  }
  const enroll = run('npx', ['livefr', 'enroll', 'wl.lfr', 'gallery', '--quiet'], { cwd: app, env });
  check(enroll.status === 0, `livefr enroll: ${enroll.stdout.trim()}`);
  const match = run('npx', ['livefr', 'match', 'wl.lfr', 'probes', '--quiet'], { cwd: app, env, timeout: 1_800_000 });
  const last = match.stdout.trim().split('\n').pop();
  check(match.status === 0, `livefr match on a folder of ${readdirSync(probes).length} images, ${match.seconds.toFixed(0)} s: ${last}`);
  if (match.status !== 0) log(match.stderr.slice(-1500));
} else log('../shared/data absent: the enroll/match run is skipped');

if (!keep) rmSync(work, { recursive: true, force: true });
else log(`kept ${work}`);
log(failures ? `${failures} check(s) failed` : 'all checks passed');
process.exitCode = failures ? 1 : 0;
