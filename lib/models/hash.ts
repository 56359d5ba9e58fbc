/** SHA-256 of files and bytes, as lowercase hex. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export function sha256Bytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Reads the whole file (models are a few MB) and returns [hex digest, bytes]. */
export function sha256File(file: string): { sha256: string; bytes: Buffer } {
  const bytes = readFileSync(file);
  return { sha256: sha256Bytes(bytes), bytes };
}
