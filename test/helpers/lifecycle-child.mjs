/**
 * A child process for the lifecycle tests (test/14.worker-lifecycle.test.ts)
 * and `npm run fuzz` (test/helpers/lifecycle-trials.mjs): loads the default models, starts work, and ends in
 * one of several ways while that work is in flight.
 *
 *   node lifecycle-child.mjs <mode> <delayMs> [calls]
 *
 * mode: close   close() the detector and embedder after delayMs; print how each
 *               call settled (JSON) and end by itself (exit 0)
 *       exit    process.exit(7) after delayMs
 *       throw   throw from a timer after delayMs (uncaught exception: exit 1)
 *       reject  an unhandled rejection after delayMs (exit 1)
 *       load    process.exit(7) after delayMs while the models are loading
 *       idle    finish the work, never call close() (must exit 0 by itself)
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { Detector, Embedder, loadImage } from '../../dist/index.js';

const [mode, delayArg, callsArg] = process.argv.slice(2);
const delay = Number(delayArg ?? 0);
const calls = Number(callsArg ?? 10);
const require = createRequire(import.meta.url);
const sample = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo', 'sample1.jpg');
const settle = (p) => p.then(() => 'ok', (e) => e?.name ?? String(e));

if (mode === 'load') setTimeout(() => process.exit(7), delay);
const detector = await Detector.load({});
const embedder = await Embedder.load({});
const frame = await loadImage(sample);
const faces = await detector.detect(frame);

if (mode === 'idle') {
  await embedder.embed(frame, faces);
  process.stdout.write(JSON.stringify({ faces: faces.length }) + '\n');
} else if (mode !== 'load') {
  const work = [];
  for (let i = 0; i < calls; i++) {
    work.push(settle(detector.detect(frame)));
    work.push(settle(embedder.embed(frame, faces)));
  }
  setTimeout(async () => {
    if (mode === 'close') {
      await Promise.all([detector.close(), embedder.close()]);
      const outcomes = await Promise.all(work);
      process.stdout.write(JSON.stringify({ outcomes }) + '\n');
    } else if (mode === 'exit') {
      process.exit(7);
    } else if (mode === 'throw') {
      throw new Error('deliberate uncaught exception');
    } else if (mode === 'reject') {
      Promise.reject(new Error('deliberate unhandled rejection'));
    }
  }, delay);
}
