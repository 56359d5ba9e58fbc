/**
 * AES-256-GCM (node:crypto) for livefr's files: 32-byte keys, a fresh
 * random 96-bit nonce per message, a 128-bit tag, and a key id (an HMAC of
 * the key, not the key) so a wrong key is told apart from tampering.
 *
 * Keys come from the caller, never from a file beside the data: a Buffer of
 * 32 bytes, or its hex (64 digits) or base64 (44 characters) text.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { invalidType, outOfRange } from '../errors.js';

export const KEY_BYTES = 32;
export const IV_BYTES = 12;
export const TAG_BYTES = 16;

/** A 32-byte key from bytes or hex/base64 text. The result is a private copy. */
export function parseKey(param: string, value: unknown): Buffer {
  if (value instanceof Uint8Array) {
    if (value.byteLength !== KEY_BYTES) throw outOfRange(param, `a ${KEY_BYTES}-byte AES-256 key`, `${value.byteLength} bytes`);
    return Buffer.from(value);
  }
  if (typeof value === 'string') {
    const s = value.trim();
    if (/^[0-9a-fA-F]{64}$/.test(s)) return Buffer.from(s, 'hex');
    if (/^[A-Za-z0-9+/]{43}=$/.test(s) || /^[A-Za-z0-9_-]{43}$/.test(s)) {
      const b = Buffer.from(s, s.includes('-') || s.includes('_') || !s.endsWith('=') ? 'base64url' : 'base64');
      if (b.length === KEY_BYTES) return b;
    }
    throw outOfRange(param, `a ${KEY_BYTES}-byte key as 64 hex digits or 44 base64 characters (e.g. \`openssl rand -hex 32\`)`, '<key text>');
  }
  throw invalidType(param, `a ${KEY_BYTES}-byte key (Buffer, or hex / base64 text)`, value);
}

/** 16 hex digits identifying a key (HMAC-SHA256 of a constant under the key): tells a wrong key from a damaged file. */
export function keyId(key: Uint8Array): string {
  return createHmac('sha256', key).update('livefr key id v1').digest('hex').slice(0, 16);
}

export interface Sealed {
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

/** Encrypts `plaintext` (one or more chunks) under `key`, authenticating `aad` too. */
export function seal(key: Uint8Array, plaintext: readonly Uint8Array[], aad: Uint8Array): Sealed {
  const iv = randomBytes(IV_BYTES);
  const c = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  c.setAAD(aad);
  const parts = plaintext.map((p) => c.update(p));
  parts.push(c.final());
  return { iv, ciphertext: Buffer.concat(parts), tag: c.getAuthTag() };
}

/** Decrypts; throws (a plain Error from node:crypto) when the key, the aad or any byte is not the one sealed. */
export function unseal(key: Uint8Array, sealed: Sealed, aad: Uint8Array): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, sealed.iv, { authTagLength: TAG_BYTES });
  d.setAAD(aad);
  d.setAuthTag(sealed.tag);
  return Buffer.concat([d.update(sealed.ciphertext), d.final()]);
}
