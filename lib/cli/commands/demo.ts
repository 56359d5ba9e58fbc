/**
 * livefr demo: enrols a small watchlist from pictures shipped in npm
 * packages, finds and matches the faces of a crowded scene with the default
 * models, prints the alerts and the time per stage, and writes an annotated
 * picture (out/demo.jpg). Faces that match nobody are never reported: they
 * are anonymous boxes in the picture.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../util/package-root.js';
import { runDemo, type DemoSceneResult } from '../../demo/run.js';
import { parseArgs, usage, UsageError, type FlagSpec } from '../args.js';
import { count } from '../format.js';
import { findSpec } from '../../models/catalog.js';

const SPEC: Record<string, FlagSpec> = {
  out: { type: 'string', default: 'out/demo.jpg', description: 'annotated picture to write' },
  threshold: { type: 'number', description: "alert threshold on cosine similarity (default: the embedder's calibrated one)" },
  scene: { type: 'string', default: 'auto', description: "'grid' (Human's face-grid screenshot), 'collage' (face-api's samples) or 'auto'" },
  // The same model flags as detect, enroll and match: --detector is a family, --detector-model a model.
  detector: { type: 'string', env: 'LIVEFR_DETECTOR', description: 'detector family (default: the one of --detector-model)' },
  'detector-model': { type: 'string', env: 'LIVEFR_DETECTOR_MODEL', description: 'detector registry name or .onnx path (default: the registry default)' },
  'embedder-model': { type: 'string', env: 'LIVEFR_EMBEDDER_MODEL', description: 'embedder registry name or .onnx path (default: the registry default)' },
  'no-shared': { type: 'boolean', description: 'do not use ../shared/data even when it exists' },
  json: { type: 'boolean', description: 'print the result as JSON' },
  help: { type: 'boolean', description: 'show this help' },
};

const ms = (v: number) => `${v.toFixed(v < 10 ? 1 : 0)} ms`;

function printScene(s: DemoSceneResult): void {
  const out = (l: string) => process.stdout.write(l + '\n');
  out(`\n${s.scene}: ${count(s.faces, 'face')} found, ${s.alerts.length} on the watchlist`);
  for (const a of s.alerts.sort((x, y) => x.id.localeCompare(y.id) || y.score - x.score)) {
    const b = a.box;
    out(`  ALERT ${a.id}  score ${a.score.toFixed(3)}  at (${Math.round(b.x)}, ${Math.round(b.y)}) ${Math.round(b.width)}x${Math.round(b.height)}`);
  }
  const t = s.times;
  const per = s.faces > 0 ? ` (${ms(t.embed / s.faces)} per face)` : '';
  out(`  time: decode ${ms(t.decode)}, detect ${ms(t.detect)}, embed ${ms(t.embed)}${per}, match ${ms(t.match)}`);
  out(`  annotated picture: ${s.out}`);
}

export async function run(argv: string[]): Promise<number> {
  const { positional, flags } = parseArgs(argv, SPEC);
  if (flags.help) {
    process.stdout.write(usage('demo', '[options]', SPEC) + '\n');
    return 0;
  }
  if (positional.length > 0) throw new UsageError('arguments', `livefr demo takes no arguments (received ${positional.join(' ')})`);
  const threshold = flags.threshold as number | undefined;
  if (threshold !== undefined && !(threshold > -1 && threshold < 1)) {
    throw new UsageError('--threshold', `Expected a number between -1 and 1 for --threshold but received ${threshold}`);
  }
  const scene = flags.scene as string;
  if (!['auto', 'grid', 'collage'].includes(scene)) throw new UsageError('--scene', `Expected 'auto', 'grid' or 'collage' for --scene but received ${JSON.stringify(scene)}`);
  const sharedDir = path.resolve(packageRoot, '..', 'shared');
  const shared = !flags['no-shared'] && existsSync(path.join(sharedDir, 'data')) ? sharedDir : null;
  const result = await runDemo({
    out: flags.out as string,
    ...(threshold !== undefined ? { threshold } : {}),
    shared,
    scene: scene as 'auto' | 'grid' | 'collage',
    ...(typeof flags['detector-model'] === 'string' ? { detector: flags['detector-model'] } : {}),
    ...(typeof flags.detector === 'string' ? { detectorFamily: flags.detector } : {}),
    ...(typeof flags['embedder-model'] === 'string' ? { embedder: flags['embedder-model'] } : {}),
    log: flags.json ? () => {} : (l) => process.stdout.write(l + '\n'),
  });
  if (flags.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
    return 0;
  }
  for (const s of result.scenes) printScene(s);
  // Say where the threshold comes from: the live-like operating point, LFW's, or the user's.
  const spec = findSpec(result.embedder);
  const origin =
    threshold !== undefined
      ? 'the one given with --threshold'
      : spec?.live && spec.live.threshold === result.threshold
        ? `${result.embedder}'s live-like operating point (FPIR ${spec.live.fpir} on LFW faces of 32-64 px pasted into crowd scenes)`
        : spec?.threshold === result.threshold
          ? `the one measured for ${result.embedder} at a false accept rate of 1e-3 on LFW pairs (sharp celebrity photos, mostly of men)`
          : 'a placeholder (this embedder has no measured operating point)';
  process.stdout.write(
    `\nThe alert threshold ${result.threshold} is ${origin}. The demo's faces are of another population and other cameras, so expect ` +
      'the odd false alert: look at the labelled faces in the picture. A deployment calibrates its own threshold on its own ' +
      'cameras and population (livefr calibrate).\n',
  );
  if (!shared) process.stdout.write('\n(no ../shared folder: the demo used only pictures from npm packages)\n');
  process.stdout.write('\nFaces that matched nobody were not logged or stored: they are grey boxes in the picture, nothing more.\n');
  return 0;
}
