/**
 * Alert crops on disk: the JPEG of the one face that raised an alert, kept
 * only until the alert is rejected, expires unreviewed, its deployment ends
 * unconfirmed, or its person is erased. Nothing else about a face is ever
 * written. With a key, crops are AES-256-GCM encrypted (`.jpg.lfenc`).
 *
 * Paths in audit records are relative to the audit log's folder, so a log
 * and its crops can move together.
 */
import { readFileSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { FileFormatError, StateError } from '../errors.js';
import { keyId, seal, unseal, IV_BYTES, TAG_BYTES } from '../util/aead.js';
import { removeFileScrubbed, writeFileAtomicSync } from '../util/atomic-file.js';

const MAGIC = Buffer.from('LFRCROP1', 'latin1');

export class CropStore {
  /** Folder relative paths are resolved against (the audit log's). */
  readonly base: string;
  /** Folder crops are written to. */
  readonly root: string;
  readonly #key: Buffer | undefined;

  constructor(base: string, root: string, key?: Buffer) {
    this.base = path.resolve(base);
    this.root = path.resolve(this.base, root);
    this.#key = key;
  }

  /** Writes the crop of alert `alertId`; returns its path relative to `base`. */
  write(alertId: string, jpeg: Uint8Array): string {
    if (!/^[A-Za-z0-9_-]+$/.test(alertId)) throw new StateError(`Invalid alert id ${JSON.stringify(alertId)}`);
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    let file = path.join(this.root, `${alertId}.jpg`);
    let chunks: Uint8Array[] = [jpeg];
    if (this.#key) {
      file += '.lfenc';
      const kid = Buffer.from(keyId(this.#key), 'hex');
      const aad = Buffer.concat([MAGIC, Buffer.from(alertId)]);
      const s = seal(this.#key, [jpeg], aad);
      chunks = [MAGIC, kid, s.iv, s.tag, s.ciphertext];
    }
    writeFileAtomicSync(file, chunks);
    return path.relative(this.base, file);
  }

  /** The JPEG bytes of a stored crop (decrypted with the store's key). */
  read(relative: string): Buffer {
    const file = this.resolve(relative);
    const bytes = readFileSync(file);
    if (!file.endsWith('.lfenc')) return bytes;
    if (!this.#key) throw new StateError(`${file} is encrypted: give the key it was written with`);
    const head = MAGIC.length + 8 + IV_BYTES + TAG_BYTES;
    if (bytes.length < head || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) throw new FileFormatError(`${file}: not a livefr encrypted crop`);
    if (bytes.subarray(MAGIC.length, MAGIC.length + 8).toString('hex') !== keyId(this.#key)) {
      throw new FileFormatError(`${file}: encrypted under another key`);
    }
    const alertId = path.basename(file).replace(/\.jpg\.lfenc$/, '');
    let o = MAGIC.length + 8;
    const iv = bytes.subarray(o, (o += IV_BYTES));
    const tag = bytes.subarray(o, (o += TAG_BYTES));
    try {
      return unseal(this.#key, { iv, tag, ciphertext: bytes.subarray(o) }, Buffer.concat([MAGIC, Buffer.from(alertId)]));
    } catch (err) {
      throw new FileFormatError(`${file}: the crop was modified (authentication failed)`, { cause: err });
    }
  }

  /** Scrubs and removes a crop; false when it was already gone. */
  delete(relative: string): boolean {
    return removeFileScrubbed(this.resolve(relative));
  }

  resolve(relative: string): string {
    const file = path.resolve(this.base, relative);
    // A path from a record must stay inside the crops folder or the log's.
    if (!file.startsWith(this.base + path.sep)) throw new FileFormatError(`Crop path ${JSON.stringify(relative)} leaves ${this.base}`);
    return file;
  }
}

/**
 * JPEG of one face of a frame (its box with a margin), for an alert's
 * reviewers. Only ever called for faces that raised an alert.
 */
export async function cropJpeg(frame: { data: Uint8Array; width: number; height: number; format: string; stride?: number }, box: { x: number; y: number; width: number; height: number }, options?: { margin?: number; quality?: number }): Promise<Buffer> {
  const channels = frame.format === 'gray' ? 1 : frame.format === 'rgb' || frame.format === 'bgr' ? 3 : frame.format === 'rgba' || frame.format === 'bgra' ? 4 : 0;
  if (channels === 0) throw new StateError(`cropJpeg: frames of format ${frame.format} are not supported (rgb, bgr, rgba, bgra, gray)`);
  if (frame.stride !== undefined && frame.stride !== frame.width * channels) throw new StateError('cropJpeg: frames with padded rows are not supported');
  const m = options?.margin ?? 0.25;
  const left = Math.max(0, Math.floor(box.x - m * box.width));
  const top = Math.max(0, Math.floor(box.y - m * box.height));
  const right = Math.min(frame.width, Math.ceil(box.x + (1 + m) * box.width));
  const bottom = Math.min(frame.height, Math.ceil(box.y + (1 + m) * box.height));
  if (right - left < 1 || bottom - top < 1) throw new StateError('cropJpeg: the box lies outside the frame');
  const { default: sharp } = await import('sharp');
  let img = sharp(Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.width * frame.height * channels), {
    raw: { width: frame.width, height: frame.height, channels: channels as 1 | 3 | 4 },
  }).extract({ left, top, width: right - left, height: bottom - top });
  if (channels === 4) img = img.removeAlpha();
  if (frame.format === 'bgr' || frame.format === 'bgra') img = img.recomb([[0, 0, 1], [0, 1, 0], [1, 0, 0]]);
  return img.jpeg({ quality: options?.quality ?? 85 }).toBuffer();
}
