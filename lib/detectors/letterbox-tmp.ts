/**
 * TEMPORARY stand-in for lib/preprocess.ts `letterbox` (native, being
 * written by another engineer). Same signature; delete once it lands.
 */
import type { Frame } from '../frame.js';
import { channelsOf, validateFrame } from '../frame.js';

export interface LetterboxOptions {
  width: number;
  height: number;
  roi?: { x: number; y: number; width: number; height: number };
  keepAspect?: boolean;
  align?: 'topLeft' | 'center';
  mean?: [number, number, number];
  std?: [number, number, number];
  channelOrder?: 'rgb' | 'bgr';
  padValue?: number;
}

export async function letterbox(frame: Frame, o: LetterboxOptions, out?: Float32Array) {
  const f = validateFrame(frame);
  const ch = channelsOf(f.format);
  if (f.format === 'nv12' || f.format === 'i420') throw new Error('tmp letterbox: no yuv');
  const roi = o.roi ?? { x: 0, y: 0, width: f.width, height: f.height };
  const W = o.width, H = o.height;
  const scale = Math.min(W / roi.width, H / roi.height);
  const cw = Math.min(W, Math.round(roi.width * scale)), chh = Math.min(H, Math.round(roi.height * scale));
  const padX = o.align === 'center' ? Math.floor((W - cw) / 2) : 0;
  const padY = o.align === 'center' ? Math.floor((H - chh) / 2) : 0;
  const mean = o.mean ?? [0, 0, 0], std = o.std ?? [1, 1, 1];
  const tensor = out ?? new Float32Array(3 * W * H);
  const plane = W * H;
  // source channel index for tensor channel c
  const isBgrSrc = f.format === 'bgr' || f.format === 'bgra';
  const wantBgr = o.channelOrder === 'bgr';
  const map = [0, 1, 2].map((c) => {
    if (ch === 1) return 0;
    const rgbIdx = wantBgr ? 2 - c : c; // which rgb channel tensor c holds
    return isBgrSrc ? 2 - rgbIdx : rgbIdx;
  });
  const pv = o.padValue ?? 0;
  for (let c = 0; c < 3; c++) tensor.fill((pv - mean[c]!) / std[c]!, c * plane, (c + 1) * plane);
  const d = f.data, stride = f.stride;
  for (let y = 0; y < chh; y++) {
    let sy = (y + 0.5) / scale - 0.5 + roi.y;
    sy = Math.max(roi.y, Math.min(roi.y + roi.height - 1, sy));
    const y0 = Math.floor(sy), y1 = Math.min(y0 + 1, roi.y + roi.height - 1), fy = sy - y0;
    for (let x = 0; x < cw; x++) {
      let sx = (x + 0.5) / scale - 0.5 + roi.x;
      sx = Math.max(roi.x, Math.min(roi.x + roi.width - 1, sx));
      const x0 = Math.floor(sx), x1 = Math.min(x0 + 1, roi.x + roi.width - 1), fx = sx - x0;
      const o00 = y0 * stride + x0 * ch, o01 = y0 * stride + x1 * ch, o10 = y1 * stride + x0 * ch, o11 = y1 * stride + x1 * ch;
      const ti = (y + padY) * W + x + padX;
      for (let c = 0; c < 3; c++) {
        const m = map[c]!;
        const v = (d[o00 + m]! * (1 - fx) + d[o01 + m]! * fx) * (1 - fy) + (d[o10 + m]! * (1 - fx) + d[o11 + m]! * fx) * fy;
        tensor[c * plane + ti] = (v - mean[c]!) / std[c]!;
      }
    }
  }
  return { tensor, scale, padX, padY };
}
