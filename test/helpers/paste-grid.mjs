/**
 * Pastes LFW faces into an RGB frame on a 12 x 6 grid of cells (one face at a
 * seeded spot in each chosen cell, so pasted faces stay apart), each scaled so
 * the face (about the central 100 of LFW's 250 px) is `size` px across.
 * Shared by test/13.blazeface.test.ts and scripts/measure-blazeface.mjs.
 * Returns the pasted faces' boxes in frame pixels.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

export async function pasteFaceGrid(frame, W, H, { lfw, people, rnd, count, size }) {
  const cols = 12;
  const rows = 6;
  const cw = W / cols;
  const ch = H / rows;
  const cells = Array.from({ length: cols * rows }, (_, i) => i).sort(() => rnd() - 0.5).slice(0, count);
  const boxes = [];
  for (const cell of cells) {
    const person = people[Math.floor(rnd() * people.length)];
    const file = readdirSync(path.join(lfw, person)).sort()[0];
    const side = Math.round((250 * size) / 100);
    const crop = await sharp(path.join(lfw, person, file)).resize(side, side).removeAlpha().raw().toBuffer();
    const x0 = Math.floor((cell % cols) * cw + rnd() * Math.max(1, cw - side));
    const y0 = Math.floor(Math.floor(cell / cols) * ch + rnd() * Math.max(1, ch - side));
    for (let y = 0; y < side && y0 + y < H; y++) crop.copy(frame, ((y0 + y) * W + x0) * 3, y * side * 3, Math.min(side, W - x0) * 3 + y * side * 3);
    const off = (side - size) / 2;
    boxes.push({ x: x0 + off, y: y0 + off * 0.9, width: size, height: size * 1.2 });
  }
  return boxes;
}
