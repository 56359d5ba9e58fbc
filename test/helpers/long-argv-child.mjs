/**
 * A library process with a long command line (test/15.worker-spawn.test.ts):
 * the arguments are ignored; it loads the default detector and embedder,
 * detects and embeds one photo, and prints what it found and what the
 * inference workers were started with.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { Detector, Embedder, loadImage } from '../../dist/index.js';
import { inferenceWorkerOptions } from '../../dist/inference/spawn.js';

const require = createRequire(import.meta.url);
const sample = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo', 'sample1.jpg');
const detector = await Detector.load({});
const embedder = await Embedder.load({});
const frame = await loadImage(sample);
const faces = await detector.detect(frame);
const embeddings = await embedder.embed(frame, faces);
process.stdout.write(
  JSON.stringify({
    pid: process.pid,
    faces: faces.length,
    values: embeddings.length,
    dim: embedder.dim,
    cmdline: readFileSync('/proc/self/cmdline').length,
    telemetry: process.env.ORT_DISABLE_TELEMETRY ?? null,
    spawn: inferenceWorkerOptions(),
  }) + '\n',
);
