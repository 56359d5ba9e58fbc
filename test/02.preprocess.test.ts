/**
 * Native preprocessing against straightforward TypeScript references:
 * every pixel format, odd sizes, padded strides, byte offsets, ROIs, every
 * SIMD level this CPU has; alignment geometry; typed errors on bad input.
 */
import { describe, expect, it } from 'vitest';
import {
  alignFaces,
  arcfaceTemplate,
  bestSimdLevel,
  buildInfo,
  convertColor,
  letterbox,
  setSimd,
  similarityTransform,
  simdLevel,
  validateFrame,
} from '../dist/index.js';
import type { Frame, LetterboxOptions, PixelFormat } from '../dist/index.js';
import { raw as native } from '../dist/native/index.js';

const FORMATS: PixelFormat[] = ['rgb', 'bgr', 'rgba', 'bgra', 'gray', 'nv12', 'i420'];

// Levels this machine can run: scalar always, then what the CPU offers.
const LEVELS = (() => {
  const best = bestSimdLevel();
  return best === 'avx512' ? ['scalar', 'avx2', 'avx512'] : best === 'avx2' ? ['scalar', 'avx2'] : ['scalar'];
})() as ('scalar' | 'avx2' | 'avx512')[];

// ---- reference implementation ---------------------------------------------------------

/** Deterministic pseudo-random bytes (xorshift). */
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s & 255;
  }
  return out;
}

/** A frame with extra stride padding and a non-zero byte offset into its buffer. */
function makeFrame(format: PixelFormat, width: number, height: number, extraStride: number, seed: number): Frame {
  const ch = format === 'rgb' || format === 'bgr' ? 3 : format === 'rgba' || format === 'bgra' ? 4 : 1;
  const minStride = format === 'nv12' ? 2 * Math.ceil(width / 2) : width * ch;
  const stride = minStride + extraStride;
  const probe = validateFrame({ data: new Uint8Array(1 << 22), width, height, format, stride });
  const buf = bytes(probe.byteLength + 13, seed);
  return { data: buf.subarray(13), width, height, format, stride };
}

function clamp255(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** BT.601 limited range, 8.8 fixed point (docs/preprocessing.md). */
function yuvToRgb(y: number, u: number, v: number): [number, number, number] {
  const c = 298 * (y - 16) + 128;
  const d = u - 128;
  const e = v - 128;
  return [clamp255((c + 409 * e) >> 8), clamp255((c - 100 * d - 208 * e) >> 8), clamp255((c + 516 * d) >> 8)];
}

function pixelRgb(f: Frame, x: number, y: number): [number, number, number] {
  const s = f.stride!;
  const d = f.data;
  const ch = Math.ceil(f.height / 2);
  switch (f.format) {
    case 'rgb':
      return [d[y * s + 3 * x]!, d[y * s + 3 * x + 1]!, d[y * s + 3 * x + 2]!];
    case 'bgr':
      return [d[y * s + 3 * x + 2]!, d[y * s + 3 * x + 1]!, d[y * s + 3 * x]!];
    case 'rgba':
      return [d[y * s + 4 * x]!, d[y * s + 4 * x + 1]!, d[y * s + 4 * x + 2]!];
    case 'bgra':
      return [d[y * s + 4 * x + 2]!, d[y * s + 4 * x + 1]!, d[y * s + 4 * x]!];
    case 'gray':
      return [d[y * s + x]!, d[y * s + x]!, d[y * s + x]!];
    case 'nv12': {
      const uv = s * f.height + (y >> 1) * s + 2 * (x >> 1);
      return yuvToRgb(d[y * s + x]!, d[uv]!, d[uv + 1]!);
    }
    case 'i420': {
      const cs = Math.ceil(s / 2);
      const u = s * f.height + (y >> 1) * cs + (x >> 1);
      return yuvToRgb(d[y * s + x]!, d[u]!, d[u + cs * ch]!);
    }
  }
}

/** Filter taps: bilinear (pixel centres) up to 2x shrink, area beyond. */
function taps(srcLen: number, dstLen: number, scale: number): [number, number][][] {
  const f = 1 / scale;
  const out: [number, number][][] = [];
  for (let i = 0; i < dstLen; i++) {
    if (f > 2) {
      const a = i * f;
      const b = Math.min((i + 1) * f, srcLen);
      const t: [number, number][] = [];
      let sum = 0;
      for (let px = Math.floor(a); px < Math.min(Math.ceil(b), srcLen); px++) {
        const ov = Math.min(px + 1, b) - Math.max(px, a);
        if (ov > 0) t.push([px, ov]), (sum += ov);
      }
      out.push(t.map(([p, w]) => [p, w / sum]));
    } else {
      const sx = Math.min(Math.max((i + 0.5) * f - 0.5, 0), srcLen - 1);
      const x0 = Math.floor(sx);
      out.push(x0 >= srcLen - 1 ? [[srcLen - 1, 1]] : [[x0, 1 - (sx - x0)], [x0 + 1, sx - x0]]);
    }
  }
  return out;
}

interface RefOpts {
  width: number;
  height: number;
  roi: { x: number; y: number; width: number; height: number };
  keepAspect: boolean;
  center: boolean;
  mean: number[];
  std: number[];
  bgr: boolean;
  pad: number;
}

function refLetterbox(f: Frame, o: RefOpts): { tensor: Float64Array; scale: number; padX: number; padY: number } {
  const { roi } = o;
  let sx: number, sy: number, cw: number, ch: number;
  if (o.keepAspect) {
    sx = sy = Math.min(o.width / roi.width, o.height / roi.height);
    cw = Math.min(o.width, Math.max(1, Math.round(roi.width * sx)));
    ch = Math.min(o.height, Math.max(1, Math.round(roi.height * sy)));
  } else {
    sx = o.width / roi.width;
    sy = o.height / roi.height;
    cw = o.width;
    ch = o.height;
  }
  const padX = o.center ? Math.floor((o.width - cw) / 2) : 0;
  const padY = o.center ? Math.floor((o.height - ch) / 2) : 0;
  const th = taps(roi.width, cw, sx);
  const tv = taps(roi.height, ch, sy);
  const plane = o.width * o.height;
  const t = new Float64Array(3 * plane);
  for (let c = 0; c < 3; c++) t.fill((o.pad - o.mean[c]!) / o.std[c]!, c * plane, (c + 1) * plane);
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      const acc = [0, 0, 0];
      for (const [py, wy] of tv[y]!) {
        for (const [px, wx] of th[x]!) {
          const p = pixelRgb(f, roi.x + px, roi.y + py);
          for (let c = 0; c < 3; c++) acc[c] += wy * wx * p[c]!;
        }
      }
      const order = o.bgr ? [2, 1, 0] : [0, 1, 2];
      for (let c = 0; c < 3; c++) {
        t[c * plane + (padY + y) * o.width + padX + x] = (acc[order[c]!]! - o.mean[c]!) / o.std[c]!;
      }
    }
  }
  return { tensor: t, scale: Math.min(sx, sy), padX, padY };
}

/** Largest difference in pixel levels (0..255) after un-normalising. */
function maxLevelDiff(a: Float32Array, b: Float64Array | Float32Array, std: number[], plane: number): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!) * std[Math.floor(i / plane)]!;
    if (d > m) m = d;
  }
  return m;
}

// ---- letterbox ---------------------------------------------------------------------------

describe('letterbox', () => {
  const cases: { name: string; w: number; h: number; opts: Partial<RefOpts> & { width: number; height: number } }[] = [
    { name: 'upscale 37x23 -> 64x48 centred', w: 37, h: 23, opts: { width: 64, height: 48, center: true } },
    { name: 'mild shrink 37x23 -> 30x20', w: 37, h: 23, opts: { width: 30, height: 20 } },
    { name: 'area shrink 37x23 -> 11x7 stretched', w: 37, h: 23, opts: { width: 11, height: 7, keepAspect: false } },
    {
      name: 'roi 20x15 at (5,3) -> 33x29, bgr, mean/std, pad 114',
      w: 37,
      h: 23,
      opts: { width: 33, height: 29, roi: { x: 5, y: 3, width: 20, height: 15 }, center: true, bgr: true, mean: [104, 117, 123], std: [1, 2, 3], pad: 114 },
    },
    { name: 'roi odd corner, area shrink 3.7x', w: 61, h: 47, opts: { width: 8, height: 9, roi: { x: 23, y: 13, width: 37, height: 33 } } },
    // Exact 1/3 shrinks take the integer 3x3 area kernel for rgb/bgr (the 1080p -> 640 camera case).
    { name: 'exact 1/3 shrink 201x57 -> 67x67 (integer area path, SIMD tails)', w: 201, h: 57, opts: { width: 67, height: 67 } },
    {
      name: 'exact 1/3 shrink of a roi 69x45 at (7,5) -> 23x23, bgr, mean/std, centred',
      w: 80,
      h: 53,
      opts: { width: 23, height: 23, roi: { x: 7, y: 5, width: 69, height: 45 }, center: true, bgr: true, mean: [104, 117, 123], std: [58, 57, 57] },
    },
  ];

  for (const format of FORMATS) {
    for (const c of cases) {
      it(`${format}: ${c.name} matches the TS reference on every SIMD level`, async () => {
        const frame = makeFrame(format, c.w, c.h, 5, 1234 + c.w);
        const o: RefOpts = {
          roi: { x: 0, y: 0, width: c.w, height: c.h },
          keepAspect: true,
          center: false,
          mean: [127.5, 127.5, 127.5],
          std: [128, 128, 128],
          bgr: false,
          pad: 0,
          ...c.opts,
        };
        const ref = refLetterbox(frame, o);
        const opts: LetterboxOptions = {
          width: o.width,
          height: o.height,
          keepAspect: o.keepAspect,
          align: o.center ? 'center' : 'topLeft',
          mean: o.mean,
          std: o.std,
          channelOrder: o.bgr ? 'bgr' : 'rgb',
          padValue: o.pad,
        };
        if (c.opts.roi) opts.roi = o.roi;
        const plane = o.width * o.height;
        const outs: Float32Array[] = [];
        try {
          for (const level of LEVELS) {
            expect(setSimd(level)).toBe(level);
            const r = await letterbox(frame, opts);
            expect(r.scale).toBe(ref.scale);
            expect([r.padX, r.padY]).toEqual([ref.padX, ref.padY]);
            // Measured: < 1e-3 levels (float32 vs float64); the contract is 1/255 of full scale = 1 level.
            expect(maxLevelDiff(r.tensor, ref.tensor, o.std, plane)).toBeLessThan(0.01);
            outs.push(r.tensor);
          }
        } finally {
          setSimd('auto');
        }
        for (const t of outs.slice(1)) expect(maxLevelDiff(t, outs[0]!, o.std, plane)).toBeLessThan(1 / 255);
      });
    }
  }

  it('geometry is exact: 1920x1080 -> 640x640 letterbox, centred and top-left, stretched', async () => {
    const frame = { data: new Uint8Array(1920 * 1080 * 3), width: 1920, height: 1080, format: 'rgb' as const };
    const tl = await letterbox(frame, { width: 640, height: 640 });
    expect(tl).toMatchObject({ scale: 1 / 3, padX: 0, padY: 0, contentWidth: 640, contentHeight: 360 });
    const c = await letterbox(frame, { width: 640, height: 640, align: 'center' });
    expect(c).toMatchObject({ scale: 1 / 3, padX: 0, padY: 140, contentWidth: 640, contentHeight: 360 });
    const s = await letterbox(frame, { width: 320, height: 240, keepAspect: false });
    expect(s).toMatchObject({ scaleX: 1 / 6, scaleY: 240 / 1080, padX: 0, padY: 0, contentWidth: 320, contentHeight: 240 });
    const r = await letterbox(frame, { width: 640, height: 640, roi: { x: 100, y: 50, width: 320, height: 160 }, align: 'center' });
    expect(r).toMatchObject({ scale: 2, padX: 0, padY: 160, contentWidth: 640, contentHeight: 320 });
  });

  it('pads with the normalised pad value and maps a bright square back to frame coordinates', async () => {
    const w = 200;
    const h = 100;
    const data = new Uint8Array(w * h * 3);
    for (let y = 40; y < 60; y++) for (let x = 120; x < 140; x++) data.fill(255, (y * w + x) * 3, (y * w + x) * 3 + 3);
    const r = await letterbox({ data, width: w, height: h, format: 'rgb' }, { width: 100, height: 100, align: 'center', padValue: 114, mean: 14, std: 2 });
    expect(r.tensor[0]).toBe(50); // (114 - 14) / 2 in the top padding
    // Bright square centre (130, 50) in the frame -> tensor (130 * 0.5 + 0, 50 * 0.5 + 25).
    const tx = 130 * r.scale + r.padX;
    const ty = 50 * r.scale + r.padY;
    expect(r.tensor[Math.floor(ty) * 100 + Math.floor(tx)]).toBeCloseTo((255 - 14) / 2, 3);
    expect((tx - r.padX) / r.scale).toBe(130);
  });

  it('a large job split over two threads gives exactly the one-thread result (rgb and nv12)', async () => {
    for (const format of ['rgb', 'nv12'] as const) {
      const frame = makeFrame(format, 1280, 720, 0, 42);
      for (const level of LEVELS) {
        setSimd(level);
        const one = await letterbox(frame, { width: 640, height: 640, threads: 1, mean: 127.5, std: 128 });
        const two = await letterbox(frame, { width: 640, height: 640, threads: 2, mean: 127.5, std: 128 });
        expect(Buffer.from(two.tensor.buffer).equals(Buffer.from(one.tensor.buffer))).toBe(true);
      }
      setSimd('auto');
    }
  });

  it('fills a caller-provided buffer in place and reuses it', async () => {
    const frame = makeFrame('rgb', 37, 23, 0, 9);
    const out = new Float32Array(3 * 16 * 16);
    const r = await letterbox(frame, { width: 16, height: 16 }, out);
    expect(r.tensor).toBe(out);
  });
});

// ---- colour conversion -------------------------------------------------------------------

describe('convertColor', () => {
  for (const format of FORMATS) {
    it(`${format} -> rgb, bgr, gray exactly as the reference, every SIMD level`, async () => {
      // 53 px wide: several 16-pixel SIMD blocks plus a tail.
      const frame = makeFrame(format, 53, 23, 3, 77);
      for (const level of LEVELS) {
        setSimd(level);
        const rgb = await convertColor(frame, 'rgb');
        const bgr = await convertColor(frame, 'bgr');
        const gray = await convertColor(frame, 'gray');
        expect(rgb).toMatchObject({ width: 53, height: 23, format: 'rgb' });
        let bad = 0;
        for (let y = 0; y < 23; y++) {
          for (let x = 0; x < 53; x++) {
            const [r, g, b] = pixelRgb(frame, x, y);
            const i = y * 53 + x;
            const luma = format === 'gray' ? r : (77 * r + 150 * g + 29 * b + 128) >> 8;
            if (rgb.data[3 * i] !== r || rgb.data[3 * i + 1] !== g || rgb.data[3 * i + 2] !== b) bad++;
            if (bgr.data[3 * i] !== b || bgr.data[3 * i + 1] !== g || bgr.data[3 * i + 2] !== r) bad++;
            if (gray.data[i] !== luma) bad++;
          }
        }
        expect(bad).toBe(0);
      }
      setSimd('auto');
    });
  }
});

// ---- alignment ---------------------------------------------------------------------------

/** Applies [a, -b, tx, b, a, ty] to points. */
function apply(m: ArrayLike<number>, pts: ArrayLike<number>): Float32Array {
  const out = new Float32Array(pts.length);
  for (let i = 0; i < pts.length; i += 2) {
    out[i] = m[0]! * pts[i]! + m[1]! * pts[i + 1]! + m[2]!;
    out[i + 1] = m[3]! * pts[i]! + m[4]! * pts[i + 1]! + m[5]!;
  }
  return out;
}

function similarity(scale: number, angleDeg: number, tx: number, ty: number): number[] {
  const a = scale * Math.cos((angleDeg * Math.PI) / 180);
  const b = scale * Math.sin((angleDeg * Math.PI) / 180);
  return [a, -b, tx, b, a, ty];
}

/** A frame with a Gaussian blob at each point (what a warp must carry to the template). */
function blobFrame(w: number, h: number, pts: Float32Array, sigma: number): Frame {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let v = 0;
      for (let k = 0; k < pts.length; k += 2) {
        const dx = x - pts[k]!;
        const dy = y - pts[k + 1]!;
        v += Math.exp(-(dx * dx + dy * dy) / (2 * sigma * sigma));
      }
      const b = Math.round(255 * Math.min(1, v));
      data[(y * w + x) * 3] = b;
      data[(y * w + x) * 3 + 1] = 255 - b;
      data[(y * w + x) * 3 + 2] = b >> 1;
    }
  }
  return { data, width: w, height: h, format: 'rgb' };
}

describe('similarityTransform', () => {
  it('recovers a known similarity from exact correspondences', () => {
    const m = similarity(1.7, 23, -40.5, 12.25);
    const src = Float32Array.from([3, 4, 50, 10, 20, 60, -7, 33, 41, 41]);
    const got = similarityTransform(src, apply(m, src));
    for (let i = 0; i < 6; i++) expect(got[i]).toBeCloseTo(m[i]!, 3);
  });

  it('is the least-squares fit under noise (residual no larger than the truth)', () => {
    const m = similarity(0.8, -10, 5, 7);
    const src = Float32Array.from([0, 0, 100, 0, 50, 40, 10, 90, 90, 90]);
    const dst = apply(m, src);
    const noise = [0.5, -0.3, -0.4, 0.2, 0.1, 0.6, -0.2, -0.5, 0.3, 0.1];
    noise.forEach((n, i) => (dst[i] += n));
    const fit = similarityTransform(src, dst);
    const res = (mm: ArrayLike<number>) => apply(mm, src).reduce((s, v, i) => s + (v - dst[i]!) ** 2, 0);
    expect(res(fit)).toBeLessThanOrEqual(res(m) + 1e-6);
  });
});

describe('alignFaces', () => {
  const template = arcfaceTemplate(112);

  it('identity: landmarks equal to the template on a 112x112 frame copy the frame exactly', async () => {
    const frame = makeFrame('rgb', 112, 112, 0, 5);
    for (const level of LEVELS) {
      setSimd(level);
      const crop = await alignFaces(frame, template);
      let m = 0;
      for (let c = 0; c < 3; c++) {
        for (let i = 0; i < 112 * 112; i++) m = Math.max(m, Math.abs(crop[c * 112 * 112 + i]! - frame.data[i * 3 + c]!));
      }
      expect(m).toBeLessThan(1e-3);
    }
    setSimd('auto');
  });

  it('a warp of a synthetic image with a known similarity puts each landmark on its template point', async () => {
    // Landmarks = known similarity of the template; blobs drawn there.
    const m = similarity(1.6, 25, 120, 40);
    const lm = apply(m, template);
    const frame = blobFrame(320, 260, lm, 4);
    for (const level of LEVELS) {
      setSimd(level);
      const crop = await alignFaces(frame, lm);
      for (let k = 0; k < 5; k++) {
        // Centroid of the red channel in a window around the template point.
        const cx = template[2 * k]!;
        const cy = template[2 * k + 1]!;
        let sx = 0;
        let sy = 0;
        let s = 0;
        for (let y = Math.round(cy) - 5; y <= Math.round(cy) + 5; y++) {
          for (let x = Math.round(cx) - 5; x <= Math.round(cx) + 5; x++) {
            const v = crop[y * 112 + x]!;
            sx += v * x;
            sy += v * y;
            s += v;
          }
        }
        expect(Math.hypot(sx / s - cx, sy / s - cy)).toBeLessThan(0.5);
      }
    }
    setSimd('auto');
  });

  it('many faces per call, every format, partly outside the frame and much larger than the crop: SIMD agrees with scalar', async () => {
    const faces = new Float32Array([
      ...apply(similarity(0.9, 10, 30, 20), template),
      ...apply(similarity(1.3, -35, -40, -30), template), // partly outside (top-left)
      ...apply(similarity(5, 5, 10, 5), template), // 5x larger than the crop: box-filtered
      ...apply(similarity(0.4, 170, 200, 150), template), // small, upside down
    ]);
    for (const format of FORMATS) {
      const frame = makeFrame(format, 301, 251, 7, 31);
      const res: Float32Array[] = [];
      for (const level of LEVELS) {
        setSimd(level);
        res.push(await alignFaces(frame, faces, { size: 96, mean: 127.5, std: 127.5, channelOrder: 'bgr', padValue: 20 }));
      }
      setSimd('auto');
      expect(res[0]!.length).toBe(4 * 3 * 96 * 96);
      for (const r of res.slice(1)) expect(maxLevelDiff(r, res[0]!, [127.5, 127.5, 127.5, 127.5], r.length)).toBeLessThan(1 / 255);
      // The face partly outside the frame shows the pad value ((20 - 127.5) / 127.5) in its top-left corner.
      expect(res[0]![3 * 96 * 96]).toBeCloseTo((20 - 127.5) / 127.5, 5);
    }
  });

  it('accepts Face objects and a subset of points', async () => {
    const lm = apply(similarity(1, 0, 10, 10), template);
    const face = { box: { x: 0, y: 0, width: 100, height: 100 }, score: 1, landmarks: [0, 1, 2, 3, 4].map((k) => [lm[2 * k]!, lm[2 * k + 1]!] as [number, number]) };
    const frame = makeFrame('rgb', 150, 150, 0, 3);
    const a = await alignFaces(frame, [face]);
    const b = await alignFaces(frame, lm, { points: [0, 1, 2] });
    expect(maxLevelDiff(a, b, [1, 1, 1], a.length)).toBeLessThan(1e-3);
  });
});

// ---- memory ------------------------------------------------------------------------------

describe('no native leaks', () => {
  it('RSS stays flat over 300 letterbox and 300 x 8-face alignment calls', async () => {
    // A leaked row cache or warp region would cost ~1 MB per call here (hundreds of MB in all).
    const frame = makeFrame('nv12', 640, 480, 0, 8);
    const lm = new Float32Array(8 * 10);
    for (let i = 0; i < 8; i++) lm.set(apply(similarity(1.5, i * 10, 40 + i * 60, 100), arcfaceTemplate(112)), i * 10);
    const out = new Float32Array(3 * 320 * 320);
    const crops = new Float32Array(8 * 3 * 112 * 112);
    const run = async (n: number) => {
      for (let i = 0; i < n; i++) {
        await letterbox(frame, { width: 320, height: 320 }, out);
        await alignFaces(frame, lm, {}, crops);
      }
    };
    await run(30);
    const before = process.memoryUsage().rss;
    await run(300);
    const grown = (process.memoryUsage().rss - before) / 2 ** 20;
    expect(grown).toBeLessThan(48);
  });
});

// ---- SIMD switch ---------------------------------------------------------------------------

describe('setSimd / simdLevel', () => {
  it('switches levels and reports them; auto picks the best', () => {
    const info = buildInfo();
    expect(setSimd('scalar')).toBe('scalar');
    expect(simdLevel()).toBe('scalar');
    const best = setSimd('auto');
    expect(best).toBe(info.simdCompiled && info.cpu.avx512 ? 'avx512' : info.simdCompiled && info.cpu.avx2 ? 'avx2' : 'scalar');
    expect(simdLevel()).toBe(best);
  });
  it('rejects unknown or unavailable levels with typed errors naming level', () => {
    expect(() => setSimd('sse' as never)).toThrow(expect.objectContaining({ name: 'RangeError', message: expect.stringMatching(/level/) }));
    expect(() => setSimd(3 as never)).toThrow(expect.objectContaining({ name: 'TypeError', message: expect.stringMatching(/level/) }));
  });
});

// ---- bad input --------------------------------------------------------------------------------

describe('bad input gives typed errors naming the parameter', () => {
  const frame = makeFrame('rgb', 37, 23, 0, 1);
  const lm = apply(similarity(0.3, 0, 0, 0), arcfaceTemplate(112));

  const cases: [string, () => Promise<unknown>, string, RegExp][] = [
    ['buffer too small', () => letterbox({ ...frame, data: frame.data.subarray(0, 100) }, { width: 8, height: 8 }), 'RangeError', /frame\.data/],
    ['stride too small', () => letterbox({ ...frame, stride: 50 }, { width: 8, height: 8 }), 'RangeError', /frame\.stride/],
    ['unknown format', () => letterbox({ ...frame, format: 'yuyv' as never }, { width: 8, height: 8 }), 'RangeError', /frame\.format/],
    ['data not bytes', () => letterbox({ ...frame, data: [1, 2] as never }, { width: 8, height: 8 }), 'TypeError', /frame\.data/],
    ['missing options', () => letterbox(frame, undefined as never), 'TypeError', /options/],
    ['unknown option', () => letterbox(frame, { width: 8, height: 8, bogus: 1 } as never), 'RangeError', /options\.bogus/],
    ['zero width', () => letterbox(frame, { width: 0, height: 8 }), 'RangeError', /options\.width/],
    ['roi outside', () => letterbox(frame, { width: 8, height: 8, roi: { x: 30, y: 0, width: 10, height: 5 } }), 'RangeError', /options\.roi\.width/],
    ['std zero', () => letterbox(frame, { width: 8, height: 8, std: [1, 0, 1] }), 'RangeError', /options\.std\[1\]/],
    ['mean wrong length', () => letterbox(frame, { width: 8, height: 8, mean: [1, 2] }), 'RangeError', /options\.mean/],
    ['bad threads', () => letterbox(frame, { width: 8, height: 8, threads: 3 }), 'RangeError', /options\.threads/],
    ['bad align', () => letterbox(frame, { width: 8, height: 8, align: 'middle' as never }), 'RangeError', /options\.align/],
    ['out wrong length', () => letterbox(frame, { width: 8, height: 8 }, new Float32Array(10)), 'RangeError', /\bout\b/],
    ['out wrong type', () => letterbox(frame, { width: 8, height: 8 }, new Float64Array(192) as never), 'TypeError', /\bout\b/],
    ['NaN landmark', () => alignFaces(frame, Float32Array.from(lm, (v, i) => (i === 3 ? NaN : v))), 'RangeError', /landmarks\[3\]/],
    ['landmarks length', () => alignFaces(frame, new Float32Array(9)), 'RangeError', /landmarks/],
    ['landmarks type', () => alignFaces(frame, 'x' as never), 'TypeError', /landmarks/],
    ['face without landmarks', () => alignFaces(frame, [{ box: { x: 0, y: 0, width: 5, height: 5 }, score: 1, landmarks: [] }]), 'RangeError', /landmarks\[0\]\.landmarks/],
    ['coincident landmarks', () => alignFaces(frame, new Float32Array(10).fill(5)), 'RangeError', /landmarks\[0\]/],
    ['align out wrong length', () => alignFaces(frame, lm, {}, new Float32Array(5)), 'RangeError', /\bout\b/],
    ['align unknown option', () => alignFaces(frame, lm, { sizes: 3 } as never), 'RangeError', /options\.sizes/],
    ['align bad points', () => alignFaces(frame, lm, { points: [0, 7] }), 'RangeError', /options\.points\[1\]/],
    ['convert bad target', () => convertColor(frame, 'hsv' as never), 'RangeError', /\bto\b/],
  ];
  for (const [name, fn, cls, re] of cases) {
    it(name, async () => {
      await expect(fn()).rejects.toMatchObject({ name: cls, message: expect.stringMatching(re) });
    });
  }

  it('similarityTransform: mismatched or degenerate points', () => {
    expect(() => similarityTransform([0, 0, 1, 1], [0, 0])).toThrow(expect.objectContaining({ name: 'RangeError', message: expect.stringMatching(/dst/) }));
    expect(() => similarityTransform([1, 1, 1, 1], [0, 0, 2, 2])).toThrow(expect.objectContaining({ name: 'RangeError', message: expect.stringMatching(/src/) }));
  });

  it('the native core re-checks sizes itself (called directly, bypassing TS validation)', () => {
    const raw = native() as unknown as { letterbox: (...a: unknown[]) => unknown; alignFaces: (...a: unknown[]) => unknown };
    const params = { roiX: 0, roiY: 0, roiW: 37, roiH: 23, dstW: 8, dstH: 8, contentW: 8, contentH: 5, padX: 0, padY: 0, scaleX: 0.2, scaleY: 0.2, mean: [0, 0, 0], std: [1, 1, 1], bgr: false, padValue: 0, threads: 1 };
    const f = { data: frame.data.subarray(0, 500), width: 37, height: 23, format: 'rgb', stride: 111 };
    expect(() => raw.letterbox(f, params, new Float32Array(192))).toThrow(/frame\.data/);
    expect(() => raw.letterbox({ ...f, data: frame.data }, { ...params, roiW: 99 }, new Float32Array(192))).toThrow(/roi\.width/);
    expect(() => raw.letterbox({ ...f, data: frame.data }, params, new Float32Array(191))).toThrow(/out/);
    expect(() => raw.alignFaces({ ...f, data: frame.data }, new Float32Array(7), {}, new Float32Array(1))).toThrow(/landmarks/);
  });
});
