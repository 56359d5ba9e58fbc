// Preprocessing: letterbox of a 1920x1080 RGB frame to a 640x640 NCHW float
// tensor (native at each SIMD level) against sharp resize + a JS normalise
// loop, and against plain copies of the same bytes; alignment warps per face.
import sharp from 'sharp';
import { alignFaces, arcfaceTemplate, bestSimdLevel, letterbox, setSimd } from '../dist/index.js';
import { fmt, report, time } from './util.mjs';

const W = 1920;
const H = 1080;
const D = 640;
const src = new Uint8Array(W * H * 3);
for (let y = 0; y < H; y++) {
  for (let x = 0; x < W; x++) {
    const i = (y * W + x) * 3;
    src[i] = (x * 255) / W;
    src[i + 1] = (y * 255) / H;
    src[i + 2] = (x ^ y) & 255;
  }
}
const frame = { data: src, width: W, height: H, format: 'rgb' };
const mean = [127.5, 127.5, 127.5];
const std = [128, 128, 128];
const out = new Float32Array(3 * D * D);
const levels = { avx512: ['avx512', 'avx2', 'scalar'], avx2: ['avx2', 'scalar'], scalar: ['scalar'] }[bestSimdLevel()];
const opts = { iterations: 60, warmup: 8, minMs: 1500 };

const rows = [];
const add = (name, t) => {
  rows.push({ case: name, mean: fmt(t.mean), p50: fmt(t.p50), min: fmt(t.min), n: t.n });
  return t;
};

const native = {};
for (const level of levels) {
  setSimd(level);
  native[level] = add(`letterbox native ${level}`, await time(() => letterbox(frame, { width: D, height: D, mean, std }, out), opts));
}
setSimd('auto');
// The camera path: the same frame as NV12 (Y plane + interleaved UV), converted on the fly.
const nv12 = { data: new Uint8Array(W * H * 1.5).map((_, i) => (i * 13) & 255), width: W, height: H, format: 'nv12' };
for (const level of [levels[0], 'scalar']) {
  setSimd(level);
  add(`letterbox native ${level}, NV12 source`, await time(() => letterbox(nv12, { width: D, height: D, mean, std }, out), opts));
}
setSimd('auto');
const oneThread = add(`letterbox native ${levels[0]}, 1 thread`, await time(() => letterbox(frame, { width: D, height: D, mean, std, threads: 1 }, out), opts));

// The usual alternative: sharp resizes (and pads), then JS normalises into NCHW.
const sharpOut = new Float32Array(3 * D * D);
async function sharpLetterbox() {
  const { data } = await sharp(src, { raw: { width: W, height: H, channels: 3 } })
    .resize(D, D, { fit: 'contain', position: 'left top', background: { r: 0, g: 0, b: 0 }, kernel: 'linear' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const plane = D * D;
  for (let i = 0; i < plane; i++) {
    sharpOut[i] = (data[3 * i] - 127.5) / 128;
    sharpOut[plane + i] = (data[3 * i + 1] - 127.5) / 128;
    sharpOut[2 * plane + i] = (data[3 * i + 2] - 127.5) / 128;
  }
}
const sharpT = add('sharp resize + JS normalise', await time(sharpLetterbox, opts));

// Plain copies of the bytes involved.
const srcCopy = Buffer.allocUnsafe(src.length);
const srcBuf = Buffer.from(src.buffer, src.byteOffset, src.length);
const copySrc = add(`Buffer.copy of the source (${(src.length / 1e6).toFixed(1)} MB)`, await time(() => srcBuf.copy(srcCopy), opts));
const outCopy = new Float32Array(out.length);
const copyOut = add(`Float32Array.set of the output (${((out.length * 4) / 1e6).toFixed(1)} MB)`, await time(() => outCopy.set(out), opts));

// Alignment: n faces per call, 112x112 crops, faces of ~200 px in the frame.
const t112 = arcfaceTemplate(112);
const warpRows = [];
for (const n of [1, 8, 32]) {
  const lm = new Float32Array(n * 10);
  for (let i = 0; i < n; i++) {
    const s = 1.8;
    const a = ((i % 7) - 3) * 0.08;
    const ox = 100 + (i % 8) * 220;
    const oy = 100 + Math.floor(i / 8) * 230;
    for (let k = 0; k < 5; k++) {
      const x = t112[2 * k];
      const y = t112[2 * k + 1];
      lm[i * 10 + 2 * k] = ox + s * (Math.cos(a) * x - Math.sin(a) * y);
      lm[i * 10 + 2 * k + 1] = oy + s * (Math.sin(a) * x + Math.cos(a) * y);
    }
  }
  const crops = new Float32Array(n * 3 * 112 * 112);
  for (const level of levels) {
    setSimd(level);
    const t = await time(() => alignFaces(frame, lm, { mean, std }, crops), { iterations: 100, warmup: 10, minMs: 800 });
    warpRows.push({ case: `alignFaces ${n} face(s)/call ${level}`, perCall: fmt(t.p50), perFace: fmt(t.p50 / n) });
  }
}
setSimd('auto');

const best = native[levels[0]];
// Medians and minimums: the machine is shared, so medians carry other jobs' load.
const ratios = {
  sharpOverNative: sharpT.p50 / best.p50,
  nativeOverSourceCopy: best.p50 / copySrc.p50,
  nativeOverOutputCopy: best.p50 / copyOut.p50,
  scalarOverBest: native.scalar.p50 / best.p50,
  oneThreadOverBest: oneThread.p50 / best.p50,
  min: {
    sharpOverNative: sharpT.min / best.min,
    nativeOverSourceCopy: best.min / copySrc.min,
    nativeOverOutputCopy: best.min / copyOut.min,
    scalarOverBest: native.scalar.min / best.min,
  },
};
report('preprocess', rows, { ratios, warps: warpRows });
console.table(warpRows);
console.log(
  `letterbox 1920x1080 -> 640x640 (${levels[0]}): ${ratios.sharpOverNative.toFixed(1)}x faster than sharp + JS; ` +
    `${ratios.nativeOverSourceCopy.toFixed(1)}x a copy of the source bytes, ${ratios.nativeOverOutputCopy.toFixed(1)}x a copy of the output bytes; ` +
    `scalar is ${ratios.scalarOverBest.toFixed(1)}x slower than ${levels[0]} (medians)\n` +
    `minimums: ${ratios.min.sharpOverNative.toFixed(1)}x faster than sharp + JS; ${ratios.min.nativeOverSourceCopy.toFixed(1)}x / ` +
    `${ratios.min.nativeOverOutputCopy.toFixed(1)}x the copies; scalar ${ratios.min.scalarOverBest.toFixed(1)}x slower`,
);
