/**
 * Runs the ORIGINAL face-api networks (its own code and its own weight
 * loading: `dist/face-api.node-wasm.js` on @tensorflow/tfjs + the WASM
 * backend, both devDependencies) in a child process, for exactness tests and
 * measurements. Nothing in the library imports this at run time.
 *
 * `runFaceApiReference(jobs)` spawns `node reference.js`, writes the jobs as
 * JSON on stdin and reads JSON results from stdout. Pixels travel as base64
 * RGB bytes (HWC); float results as base64 little-endian float32.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export type ReferenceJob =
  /** face descriptor of a 150x150 RGB crop (no resize inside face-api). */
  | { op: 'descriptor'; width: number; height: number; rgb: Uint8Array }
  /** raw SSD forward pass on a 512x512 RGB image: decoded boxes [5118*4] (ymin,xmin,ymax,xmax) and scores [5118]. */
  | { op: 'ssd'; width: number; height: number; rgb: Uint8Array }
  /** face-api's locateFaces on any image: boxes in pixels and scores after its NMS. */
  | { op: 'locate'; width: number; height: number; rgb: Uint8Array; minConfidence?: number }
  /** face-api's detectAllFaces(SSD).withFaceLandmarks() on any image: per face box, score and 68 points in pixels. */
  | { op: 'full'; width: number; height: number; rgb: Uint8Array; minConfidence?: number }
  /** landmark net output [136] (relative 0..1) on a 112x112 RGB crop. */
  | { op: 'landmarks' | 'landmarks-tiny'; width: number; height: number; rgb: Uint8Array };

export interface ReferenceResult {
  /** Float outputs by name (descriptor | boxes, scores | landmarks). */
  [name: string]: Float32Array | { x: number; y: number; width: number; height: number; score: number; points?: [number, number][] }[];
}

function f32ToB64(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}
function b64ToF32(s: string): Float32Array {
  const b = Buffer.from(s, 'base64');
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

/** Runs the jobs through face-api in a fresh child process. */
export async function runFaceApiReference(jobs: ReferenceJob[]): Promise<ReferenceResult[]> {
  const payload = JSON.stringify(jobs.map((j) => ({ ...j, rgb: Buffer.from(j.rgb.buffer, j.rgb.byteOffset, j.rgb.byteLength).toString('base64') })));
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => err.push(d));
  const done = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? -1));
  });
  child.stdin.end(payload);
  const code = await done;
  if (code !== 0) throw new Error(`face-api reference process failed (exit ${code}): ${Buffer.concat(err).toString().slice(-2000)}`);
  const parsed = JSON.parse(Buffer.concat(out).toString()) as Record<string, unknown>[];
  return parsed.map((r) => {
    const res: ReferenceResult = {};
    for (const [k, v] of Object.entries(r)) res[k] = typeof v === 'string' ? b64ToF32(v) : (v as ReferenceResult[string]);
    return res;
  });
}

/* eslint-disable @typescript-eslint/no-explicit-any */
async function childMain(): Promise<void> {
  const require = createRequire(import.meta.url);
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as any;
  const tf = faceapi.tf as any;
  await tf.setBackend('wasm');
  await tf.ready();
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const jobs = JSON.parse(Buffer.concat(chunks).toString()) as (Omit<ReferenceJob, 'rgb'> & { rgb: string })[];
  const dir = require('node:path').join(require('node:path').dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
  const nets = faceapi.nets as Record<string, any>;
  const need = new Set(jobs.map((j) => j.op));
  if (need.has('descriptor')) await nets.faceRecognitionNet.loadFromDisk(dir);
  if (need.has('ssd') || need.has('locate')) await nets.ssdMobilenetv1.loadFromDisk(dir);
  if (need.has('full')) {
    await nets.ssdMobilenetv1.loadFromDisk(dir);
    await nets.faceLandmark68Net.loadFromDisk(dir);
  }
  if (need.has('landmarks')) await nets.faceLandmark68Net.loadFromDisk(dir);
  if (need.has('landmarks-tiny')) await nets.faceLandmark68TinyNet.loadFromDisk(dir);
  const results: Record<string, unknown>[] = [];
  for (const j of jobs) {
    const bytes = Buffer.from(j.rgb, 'base64');
    const img = tf.tensor3d(new Int32Array(bytes), [j.height, j.width, 3], 'int32');
    if (j.op === 'descriptor') {
      const d = (await nets.faceRecognitionNet.computeFaceDescriptor(img)) as Float32Array;
      results.push({ descriptor: f32ToB64(d) });
    } else if (j.op === 'ssd') {
      const input = await faceapi.toNetInput(img);
      const { boxes, scores } = nets.ssdMobilenetv1.forwardInput(input);
      results.push({ boxes: f32ToB64(await boxes[0].data()), scores: f32ToB64(await scores[0].data()) });
      tf.dispose([boxes, scores]);
    } else if (j.op === 'locate') {
      const opts = new faceapi.SsdMobilenetv1Options({ minConfidence: (j as { minConfidence?: number }).minConfidence ?? 0.5 });
      const dets = (await nets.ssdMobilenetv1.locateFaces(img, opts)) as any[];
      results.push({
        faces: dets.map((d) => ({ x: d.box.x, y: d.box.y, width: d.box.width, height: d.box.height, score: d.score })),
      });
    } else if (j.op === 'full') {
      const opts = new faceapi.SsdMobilenetv1Options({ minConfidence: (j as { minConfidence?: number }).minConfidence ?? 0.5 });
      const dets = (await faceapi.detectAllFaces(img, opts).withFaceLandmarks()) as any[];
      results.push({
        faces: dets.map((d) => ({
          x: d.detection.box.x,
          y: d.detection.box.y,
          width: d.detection.box.width,
          height: d.detection.box.height,
          score: d.detection.score,
          points: d.landmarks.positions.map((p: any) => [p.x, p.y]),
        })),
      });
    } else {
      const net = j.op === 'landmarks' ? nets.faceLandmark68Net : nets.faceLandmark68TinyNet;
      const input = await faceapi.toNetInput(img);
      const t = net.forwardInput(input);
      results.push({ landmarks: f32ToB64(await t.data()) });
      tf.dispose(t);
    }
    img.dispose();
  }
  process.stdout.write(JSON.stringify(results));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  childMain().catch((e: unknown) => {
    process.stderr.write(String((e as Error)?.stack ?? e));
    process.exit(1);
  });
}
