/**
 * `livefr detect <image|folder|-...> [--list FILE]`: finds faces in image files and prints them as
 * a table or, with --json, one JSON line per image on stdout (nothing else
 * goes to stdout). An unreadable image is reported on stderr and the run
 * goes on; the exit code is then 1.
 */
import { Detector, type DetectOptions } from '../../detector.js';
import { LivefrError, LivefrRangeError, LivefrTypeError } from '../../errors.js';
import { loadImage, type Frame } from '../../frame.js';
import type { Face } from '../../types.js';
import { parseArgs, usage, UsageError, type FlagSpec } from '../args.js';
import { collectImages, INPUT_FLAGS } from '../inputs.js';
import { DETECTOR_FLAGS, detectOptions, detectorOptions } from '../model-flags.js';
import { Progress } from '../progress.js';

const SPEC: Record<string, FlagSpec> = {
  ...INPUT_FLAGS,
  ...DETECTOR_FLAGS,
  tile: { type: 'string', description: "tiling for small faces in large images: auto, on or off", default: 'auto' },
  'smallest-face': { type: 'number', description: 'smallest face side (px) tiling must make visible', default: 32 },
  json: { type: 'boolean', description: 'print one JSON line per image on stdout' },
  quiet: { type: 'boolean', description: 'no progress bar' },
  help: { type: 'boolean', description: 'show this help' },
};

const SYNOPSIS = '<image|folder|-...> [--list FILE] [--detector FAMILY --detector-model PATH] [--min-score S] [--json]';

const r2 = (v: number) => Math.round(v * 100) / 100;

function faceJson(f: Face) {
  return {
    box: { x: r2(f.box.x), y: r2(f.box.y), width: r2(f.box.width), height: r2(f.box.height) },
    score: Math.round(f.score * 10000) / 10000,
    landmarks: f.landmarks.map(([x, y]) => [r2(x), r2(y)]),
  };
}

function table(file: string, frame: Frame, faces: Face[]): string {
  const lines = [`${file}  ${frame.width}x${frame.height}  ${faces.length} face${faces.length === 1 ? '' : 's'}`];
  faces.forEach((f, i) => {
    const b = f.box;
    lines.push(
      `  #${String(i + 1).padEnd(3)} score ${f.score.toFixed(3)}  box ${b.x.toFixed(0)},${b.y.toFixed(0)} ${b.width.toFixed(0)}x${b.height.toFixed(0)}` +
        (f.landmarks.length ? `  eyes ${f.landmarks.slice(0, 2).map(([x, y]) => `${x.toFixed(0)},${y.toFixed(0)}`).join(' ')}` : ''),
    );
  });
  return lines.join('\n');
}

async function loadDetector(flags: Record<string, unknown>): Promise<Detector> {
  const options = detectorOptions(flags as never);
  try {
    return await Detector.load(options as never);
  } catch (err) {
    if (options.model === undefined && (err instanceof LivefrError || err instanceof LivefrRangeError || err instanceof LivefrTypeError)) {
      throw new UsageError(
        '--detector-model',
        `No usable default detector model (${err.message}). Pass one: --detector FAMILY --detector-model PATH ` +
          `(families yunet, scrfd, retinaface, ultraface, ...), or set LIVEFR_DETECTOR and LIVEFR_DETECTOR_MODEL.`,
      );
    }
    throw err;
  }
}

function tileOption(v: unknown): DetectOptions['tile'] {
  if (v === 'auto') return 'auto';
  if (v === 'on') return true;
  if (v === 'off') return false;
  throw new UsageError('--tile', `Expected auto, on or off for --tile but received ${JSON.stringify(v)}`);
}

export async function run(argv: string[]): Promise<number> {
  const { positional, flags } = parseArgs(argv, SPEC);
  if (flags.help) {
    process.stdout.write(usage('detect', SYNOPSIS, SPEC) + '\n');
    return 0;
  }
  const images = collectImages(positional, (flags.list as string[] | undefined) ?? []);
  if (images.length === 0) {
    process.stderr.write(`livefr detect: no image given\n\n${usage('detect', SYNOPSIS, SPEC)}\n`);
    return 2;
  }
  const options: DetectOptions = {
    ...(detectOptions(flags) as DetectOptions),
    tile: tileOption(flags.tile),
    smallestFace: flags['smallest-face'] as number,
  };
  const detector = await loadDetector(flags);
  const progress = new Progress({ label: 'detect', total: images.length, quiet: Boolean(flags.quiet) || images.length < 2 });
  let failed = 0;
  try {
    // Decode the next image while the current one is being detected.
    const decode = (file: string) => loadImage(file).then((frame) => ({ frame }), (error: unknown) => ({ error }));
    let next = decode(images[0]!);
    for (let i = 0; i < images.length; i++) {
      const file = images[i]!;
      const got = await next;
      if (i + 1 < images.length) next = decode(images[i + 1]!);
      try {
        if ('error' in got) throw got.error;
        const faces = await detector.detect(got.frame, options);
        const out = flags.json
          ? JSON.stringify({ file, width: got.frame.width, height: got.frame.height, faces: faces.map(faceJson) })
          : table(file, got.frame, faces);
        process.stdout.write(out + '\n');
      } catch (err) {
        if (err instanceof LivefrRangeError || err instanceof LivefrTypeError) {
          if (err instanceof UsageError || err.parameter.startsWith('options')) throw err;
        }
        failed++;
        process.stderr.write(`livefr detect: ${file}: ${(err as Error).message}\n`);
      }
      progress.tick();
    }
  } finally {
    progress.finish();
    await detector.close();
  }
  if (failed) process.stderr.write(`livefr detect: ${failed} of ${images.length} image${images.length === 1 ? '' : 's'} failed\n`);
  return failed ? 1 : 0;
}
