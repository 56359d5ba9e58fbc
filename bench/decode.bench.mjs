// What decoding costs the live pipeline: ffmpeg's CPU time to decode the
// pipeline bench's 20 s 1080p25 H.264 walk video (needs ../shared and
// ffmpeg) with the video sources' own arguments (`-threads 1`, raw frames),
// to /dev/null, for each output the sources could ask for:
// - I420 (`-pix_fmt yuv420p`, the decoder's own layout; the sources' default),
// - NV12 (`-pix_fmt nv12`, what the sources asked for until 2026-12-02: a
//   conversion of every frame),
// - I420 without the in-loop deblocking filter (`deblock: false`:
//   `-skip_loop_filter all`).
// The cases run in turn, RUNS (5) rounds after one warm-up round, so a drift
// of the machine's speed falls on all of them; per case the median CPU-s and
// the median ratio to I420 of the same round.
// Usage: node bench/run.mjs decode   (RUNS=5; about 1 minute)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { childCpuMs, report, repoRoot, sharedDir } from './util.mjs';

const lfw = path.join(sharedDir, 'data', 'lfw-dev', 'images');
if (!existsSync(lfw) || spawnSync('sh', ['-c', 'command -v ffmpeg'], { stdio: 'ignore' }).status !== 0) {
  console.log(`decode: needs ../shared at ${sharedDir} and ffmpeg on PATH; skipped`);
  process.exit(0);
}
const RUNS = Number(process.env.RUNS ?? 5);
if (!Number.isInteger(RUNS) || RUNS < 1 || RUNS > 50) throw new RangeError(`RUNS: expected an integer from 1 to 50 but received ${process.env.RUNS}`);
const { buildWalkVideo, walkerList } = await import(path.join(repoRoot, 'test', 'helpers', 'walk-video.mjs'));
// The pipeline bench's video (the same arguments, so the same cached file).
const video = await buildWalkVideo({
  scene: path.join(sharedDir, 'data', 'scenes', 'wild_1.jpg'),
  width: 1920,
  height: 1080,
  seconds: 20,
  walkers: walkerList(lfw, 12, 60).map(({ id, file, enrolled, lane }) => ({ id, file, enrolled, lane })),
});

const cases = [
  { name: 'I420 (default)', input: [], pixFmt: 'yuv420p' },
  { name: 'NV12 (before 2026-12-02)', input: [], pixFmt: 'nv12' },
  { name: 'I420, deblock: false', input: ['-skip_loop_filter', 'all'], pixFmt: 'yuv420p' },
];
const decodeCpuS = (c) => {
  const before = childCpuMs();
  const r = spawnSync('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-threads', '1', ...c.input, '-i', video.file, '-an', '-sn', '-dn', '-map', '0:v:0', '-f', 'rawvideo', '-pix_fmt', c.pixFmt, 'pipe:1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`ffmpeg failed (${c.name}): ${r.stderr}`);
  return (childCpuMs() - before) / 1000;
};
for (const c of cases) decodeCpuS(c); // warm-up: the file in the page cache
const samples = cases.map(() => []);
for (let k = 0; k < RUNS; k++) cases.forEach((c, i) => samples[i].push(decodeCpuS(c)));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const rows = cases.map((c, i) => ({
  output: c.name,
  'CPU-s, median': median(samples[i]).toFixed(2),
  'CPU-s, range': `${Math.min(...samples[i]).toFixed(2)}-${Math.max(...samples[i]).toFixed(2)}`,
  'ms per frame': ((1000 * median(samples[i])) / video.frames).toFixed(2),
  'vs I420, median of rounds': median(samples[i].map((s, k) => s / samples[0][k])).toFixed(3),
}));
report('decode', rows, { video: { file: path.basename(video.file), width: video.width, height: video.height, frames: video.frames }, runs: RUNS });
