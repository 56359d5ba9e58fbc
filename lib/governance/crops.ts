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
