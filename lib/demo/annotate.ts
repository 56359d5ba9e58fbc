/**
 * Draws boxes and labels on an image with sharp (an SVG overlay composited
 * on the decoded picture) and writes a JPEG. Unlabelled boxes are drawn
 * anonymous: a thin grey frame, nothing else.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Box } from '../types.js';

export interface Mark {
  box: Box;
  /** Text above the box; none for an anonymous face. */
  label?: string;
  /** CSS colour of the frame (default grey for anonymous, red for labelled). */
  colour?: string;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

export function overlaySvg(width: number, height: number, marks: Mark[]): string {
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 400));
  const font = Math.max(12, Math.round(Math.min(width, height) / 60));
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">`];
  for (const m of marks) {
    const { x, y, width: w, height: h } = m.box;
    const colour = m.colour ?? (m.label ? '#ff2a2a' : '#b0b0b0');
    const sw = m.label ? stroke + 1 : stroke;
    parts.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}" fill="none" stroke="${colour}" stroke-width="${sw}"/>`);
    if (m.label) {
      const text = escapeXml(m.label);
      const tw = Math.ceil(text.length * font * 0.6) + 8;
      const ty = y - font - 6 >= 0 ? y - font - 6 : y + h;
      parts.push(`<rect x="${x.toFixed(1)}" y="${ty.toFixed(1)}" width="${tw}" height="${font + 6}" fill="${colour}"/>`);
      parts.push(
        `<text x="${(x + 4).toFixed(1)}" y="${(ty + font).toFixed(1)}" font-family="DejaVu Sans, Arial, sans-serif" font-size="${font}" fill="#ffffff">${text}</text>`,
      );
    }
  }
  parts.push('</svg>');
  return parts.join('');
}

/** Writes `image` (RGB pixels) with the marks drawn on it as a JPEG at `file`. */
export async function writeAnnotated(
  image: { data: Uint8Array; width: number; height: number },
  marks: Mark[],
  file: string,
): Promise<void> {
  const { default: sharp } = await import('sharp');
  mkdirSync(path.dirname(file), { recursive: true });
  const svg = Buffer.from(overlaySvg(image.width, image.height, marks));
  await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .composite([{ input: svg, top: 0, left: 0 }])
    .jpeg({ quality: 88 })
    .toFile(file);
}
