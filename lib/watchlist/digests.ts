/**
 * Exact duplicate templates: a digest of every template's bytes, so an
 * add() whose row is bit for bit a template already enrolled (of anyone)
 * or another row of the same call is refused. A duplicate adds nothing to a
 * match, and many of them make an HNSW build quadratic (2,000 copies of one
 * vector took 24 s against 0.5 s for distinct ones; docs/watchlist.md).
 */
import { createHash } from 'node:crypto';

export function digestRow(vectors: Float32Array, row: number, dim: number): string {
  const bytes = new Uint8Array(vectors.buffer, vectors.byteOffset + row * dim * 4, dim * 4);
  return createHash('sha1').update(bytes).digest('base64');
}

export class TemplateDigests {
  readonly #byDigest = new Map<string, number>();
  readonly #ofTemplate = new Map<number, string>();
  /** False for a watchlist loaded from a file until its templates were read back once. */
  complete: boolean;

  constructor(complete: boolean) {
    this.complete = complete;
  }

  /** The template a digest belongs to, if any. */
  find(digest: string): number | undefined {
    return this.#byDigest.get(digest);
  }

  add(templateId: number, digest: string): void {
    this.#byDigest.set(digest, templateId);
    this.#ofTemplate.set(templateId, digest);
  }

  remove(templateId: number): void {
    const d = this.#ofTemplate.get(templateId);
    if (d === undefined) return;
    this.#ofTemplate.delete(templateId);
    if (this.#byDigest.get(d) === templateId) this.#byDigest.delete(d);
  }
}
