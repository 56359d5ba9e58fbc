/**
 * Watchlist files at rest: plain (format version 1, format.ts) or
 * encrypted with AES-256-GCM (version 2, this module), written atomically.
 *
 * Version 2 wraps the complete version-1 byte image:
 *
 *   offset  size  field
 *   0       8     magic "LFRWATCH"
 *   8       4     format version (u32 LE) = 2
 *   12      4     flags (u32 LE) = 1: AES-256-GCM
 *   16      8     key id: HMAC-SHA256(key, "livefr key id v1"), first 8 bytes
 *   24      12    nonce (random per save)
 *   36      16    GCM tag
 *   52      8     ciphertext length C (u64 LE)
 *   60      C     AES-256-GCM(version-1 file), authenticating bytes 0-23 and 52-59
 *
 * Keys: `options.key` (32 bytes, or their hex / base64 text, or a callback
 * returning them, given the file and, on load, its key id), else the
 * environment variable LIVEFR_WATCHLIST_KEY; `key: null` writes a plain
 * file even when the variable is set. No key is ever written anywhere.
 *
 * Loading checks, in order: magic, version (newer: FileFormatError reason
 * 'newer-version'), length ('truncated'), key id (KeyError 'wrong-key'),
 * authentication ('tampered'), then everything format.ts checks ('corrupt',
 * 'invalid'). Nothing is built until all of it passed: never a partial
 * watchlist.
 */
import { readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { KeyError, invalidType, outOfRange } from '../errors.js';
import { keyId, parseKey, seal, unseal, IV_BYTES, TAG_BYTES } from '../util/aead.js';
import { removeStaleTemps } from '../util/atomic-file.js';
import { FORMAT_VERSION, MAGIC, fileError, writeFileAtomic } from './format.js';

export const WATCHLIST_KEY_ENV = 'LIVEFR_WATCHLIST_KEY';
export const ENCRYPTED_VERSION = 2;
const FLAG_AES_GCM = 1;
const SEALED_HEADER = 60;

/** Key material, or where to get it. */
export type WatchlistKeySource =
  | Uint8Array
  | string
  | null
  | ((context: { file: string; keyId?: string }) => Uint8Array | string | Promise<Uint8Array | string>);

export interface WatchlistFileOptions {
  /** AES-256 key, or a callback giving it (default: LIVEFR_WATCHLIST_KEY; null: none). */
  key?: WatchlistKeySource;
}

/** The key to use: the option, its callback, the environment, or none. */
export async function resolveWatchlistKey(param: string, source: WatchlistKeySource | undefined, context: { file: string; keyId?: string }): Promise<Buffer | undefined> {
  if (source === null) return undefined;
  if (source === undefined) {
    const env = process.env[WATCHLIST_KEY_ENV];
    return env === undefined || env === '' ? undefined : parseKey(WATCHLIST_KEY_ENV, env);
  }
  if (typeof source === 'function') {
    let v: unknown;
    try {
      v = await source(context);
    } catch (err) {
      throw outOfRange(param, `a key callback that resolves (it threw: ${(err as Error).message})`, 'function');
    }
    return parseKey(`${param} (callback result)`, v);
  }
  if (typeof source === 'string' || source instanceof Uint8Array) return parseKey(param, source);
  throw invalidType(param, 'a 32-byte key (Buffer, hex or base64 text), a callback returning one, or null', source);
}

export function checkFileOptions(param: string, options: unknown): WatchlistFileOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw invalidType(param, 'an options object { key? }', options);
  for (const k of Object.keys(options)) if (k !== 'key') throw outOfRange(`${param}.${k}`, 'one of the known options (key)', k);
  return options as WatchlistFileOptions;
}

/** Wraps a version-1 byte image (as chunks) into an encrypted version-2 file. */
export function sealWatchlist(plain: readonly Uint8Array[], key: Buffer): Buffer[] {
  const header = Buffer.alloc(SEALED_HEADER);
  MAGIC.copy(header, 0);
  header.writeUInt32LE(ENCRYPTED_VERSION, 8);
  header.writeUInt32LE(FLAG_AES_GCM, 12);
  Buffer.from(keyId(key), 'hex').copy(header, 16);
  const length = plain.reduce((n, c) => n + c.byteLength, 0);
  header.writeBigUInt64LE(BigInt(length), 52);
  const s = seal(key, plain, aadOf(header));
  s.iv.copy(header, 24);
  s.tag.copy(header, 36);
  return [header, s.ciphertext];
}

function aadOf(header: Buffer): Buffer {
  return Buffer.concat([header.subarray(0, 24), header.subarray(52, 60)]);
}

/** The key id of an encrypted file's bytes, or undefined for a plain file. */
export function keyIdOfFile(bytes: Uint8Array): string | undefined {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < SEALED_HEADER || !b.subarray(0, 8).equals(MAGIC) || b.readUInt32LE(8) !== ENCRYPTED_VERSION) return undefined;
  return b.subarray(16, 24).toString('hex');
}

/**
 * The version-1 byte image inside a file's bytes: the bytes themselves for
 * a plain file, decrypted and authenticated for an encrypted one.
 */
export async function openWatchlistBytes(bytes: Buffer, source: string, keySource: WatchlistKeySource | undefined, param = 'options.key'): Promise<Buffer> {
  const bad = fileError(source);
  if (bytes.length >= 8 && !bytes.subarray(0, 8).equals(MAGIC)) throw bad('not a livefr watchlist (bad magic)', undefined, 'not-livefr');
  if (bytes.length < 16) throw bad(`too short for a livefr watchlist (${bytes.length} bytes)`, undefined, 'truncated');
  const version = bytes.readUInt32LE(8);
  if (version === FORMAT_VERSION) return bytes; // plain: format.ts checks the rest
  if (version > ENCRYPTED_VERSION) {
    throw bad(`format version ${version} was written by a newer livefr (this one reads versions ${FORMAT_VERSION} and ${ENCRYPTED_VERSION})`, undefined, 'newer-version');
  }
  if (version !== ENCRYPTED_VERSION) throw bad(`format version ${version} is not a livefr watchlist version`, undefined, 'corrupt');
  if (bytes.length < SEALED_HEADER) throw bad(`too short for an encrypted livefr watchlist (${bytes.length} bytes)`, undefined, 'truncated');
  const flags = bytes.readUInt32LE(12);
  if (flags !== FLAG_AES_GCM) throw bad(`unknown encryption flags ${flags}`, undefined, flags > FLAG_AES_GCM ? 'newer-version' : 'corrupt');
  const length = bytes.readBigUInt64LE(52);
  const expected = BigInt(SEALED_HEADER) + length;
  if (expected !== BigInt(bytes.length)) {
    throw bad(`truncated or extended: the header announces ${expected} bytes, the file has ${bytes.length}`, undefined, expected > BigInt(bytes.length) ? 'truncated' : 'corrupt');
  }
  const fileKeyId = bytes.subarray(16, 24).toString('hex');
  const key = await resolveWatchlistKey(param, keySource, { file: source, keyId: fileKeyId });
  if (key === undefined) {
    throw new KeyError('key-required', `${source} is encrypted (key ${fileKeyId}): give its key (options.key, a key callback, or ${WATCHLIST_KEY_ENV})`);
  }
  if (keyId(key) !== fileKeyId) {
    throw new KeyError('wrong-key', `${source} is encrypted under key ${fileKeyId}, not under the given key ${keyId(key)}`);
  }
  const header = bytes.subarray(0, SEALED_HEADER);
  try {
    return unseal(
      key,
      { iv: Buffer.from(header.subarray(24, 24 + IV_BYTES)), tag: Buffer.from(header.subarray(36, 36 + TAG_BYTES)), ciphertext: bytes.subarray(SEALED_HEADER) },
      aadOf(Buffer.from(header)),
    );
  } catch (err) {
    throw bad('authentication failed: the encrypted file was modified or damaged', err, 'tampered');
  } finally {
    key.fill(0);
  }
}

/** Encrypts (when there is a key) and writes atomically; removes what dead writers left. */
export async function writeWatchlistFile(target: string, plain: readonly Uint8Array[], keySource: WatchlistKeySource | undefined, param = 'options.key'): Promise<void> {
  const key = await resolveWatchlistKey(param, keySource, { file: target });
  try {
    await writeFileAtomic(target, key === undefined ? plain : sealWatchlist(plain, key));
  } finally {
    key?.fill(0);
  }
}

/**
 * Reads a watchlist file's bytes after removing what dead writers left. A
 * file replaced while it was being read (its old bytes are zeroed once
 * replaced) is read again, so a concurrent save never fails a load.
 */
export async function readWatchlistFile(source: string, decode: (bytes: Buffer) => Promise<unknown>): Promise<void> {
  try {
    removeStaleTemps(source);
  } catch {
    /* a read-only folder: nothing to clean */
  }
  for (let attempt = 0; ; attempt++) {
    const before = inodeOf(source);
    let bytes: Buffer;
    try {
      bytes = await readFile(source);
    } catch (err) {
      throw fileError(source)(`cannot read the watchlist file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, err, 'unreadable');
    }
    try {
      await decode(bytes);
      return;
    } catch (err) {
      if (attempt < 3 && before !== undefined && inodeOf(source) !== before) continue;
      throw err;
    }
  }
}

function inodeOf(file: string): number | undefined {
  try {
    return statSync(file).ino;
  } catch {
    return undefined;
  }
}

/**
 * Key rotation: re-encrypts a watchlist file under `newKey` (or writes it
 * plain with `newKey: null`), atomically, without loading its index. The
 * old ciphertext's bytes are zeroed once replaced.
 */
export async function rekeyWatchlistFile(file: string, options: { key?: WatchlistKeySource; newKey: WatchlistKeySource }): Promise<{ from: string | null; to: string | null }> {
  if (typeof file !== 'string' || file.length === 0) throw invalidType('file', 'a watchlist file path', file);
  if (!options || typeof options !== 'object' || !('newKey' in options)) throw invalidType('options.newKey', 'the new key (or null to store the file unencrypted)', undefined);
  const bytes = (() => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw fileError(file)(`cannot read the watchlist file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, err, 'unreadable');
    }
  })();
  const from = keyIdOfFile(bytes) ?? null;
  const plain = await openWatchlistBytes(bytes, file, options.key, 'options.key');
  // Check the inner file before re-encrypting it: a rotation never launders a damaged file.
  const { decodeWatchlist } = await import('./format.js');
  decodeWatchlist(plain, file);
  const newKey = await resolveWatchlistKey('options.newKey', options.newKey, { file });
  try {
    await writeFileAtomic(file, newKey === undefined ? [plain] : sealWatchlist([plain], newKey), 'file');
    return { from, to: newKey === undefined ? null : keyId(newKey) };
  } finally {
    newKey?.fill(0);
    plain.fill(0);
  }
}
