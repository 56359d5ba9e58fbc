/**
 * On-disk embedding cache, so a second evaluation run with another
 * threshold, watchlist size or group file takes seconds.
 *
 * One file per configuration: `<dir>/<configKey>.bin`, where configKey is a
 * sha256 over the detector family, the detector and embedder model bytes
 * (sha256), the embedder normalisation, the detection options and the
 * degradation. Each record is keyed by the sha256 of the image file bytes,
 * so renamed or moved images hit and edited images miss.
 *
 * Layout (little-endian): header 'LFRC' u32 version u32 dim; then fixed-size
 * records: 32-byte image hash, u32 flag (1 face, 0 no face), 15 float32 face
 * fields (x, y, width, height, score, 5 landmarks x/y; NaN when absent), dim
 * float32 embedding values. Records are appended as they are computed, so
 * an interrupted run keeps its work; a truncated last record is ignored.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, openSync, closeSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { FileFormatError } from '../errors.js';
import { asLandmarks, type Face } from '../types.js';
import { writeFileAtomic } from '../util/atomic-file.js';

const MAGIC = 0x4352464c; // 'LFRC'
const VERSION = 1;
const HEADER = 12;
const FACE_FIELDS = 15;

export interface CachedEncoding {
  /** L2-normalised embedding, or null when no face was found. */
  embedding: Float32Array | null;
  face: Face | null;
}

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function faceToFields(face: Face | null): Float32Array {
  const f = new Float32Array(FACE_FIELDS).fill(NaN);
  if (!face) return f;
  f.set([face.box.x, face.box.y, face.box.width, face.box.height, face.score]);
  face.landmarks.slice(0, 5).forEach((p, i) => {
    f[5 + 2 * i] = p[0];
    f[6 + 2 * i] = p[1];
  });
  return f;
}

function fieldsToFace(f: Float32Array): Face | null {
  if (Number.isNaN(f[0]!)) return null;
  const landmarks: [number, number][] = [];
  for (let i = 0; i < 5; i++) if (!Number.isNaN(f[5 + 2 * i]!)) landmarks.push([f[5 + 2 * i]!, f[6 + 2 * i]!]);
  return { box: { x: f[0]!, y: f[1]!, width: f[2]!, height: f[3]! }, score: f[4]!, landmarks: landmarks.length === 5 ? asLandmarks(landmarks) : [] };
}

export class EmbeddingCache {
  private readonly map = new Map<string, CachedEncoding>();
  private readonly recordBytes: number;

  private constructor(readonly file: string | null, readonly dim: number) {
    this.recordBytes = 32 + 4 + 4 * FACE_FIELDS + 4 * dim;
  }

  /** Opens (or creates) the cache file for a configuration; `dir` null keeps it in memory only. */
  static open(dir: string | null, configKey: string, dim: number): EmbeddingCache {
    if (dir === null) return new EmbeddingCache(null, dim);
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${configKey}.bin`);
    const cache = new EmbeddingCache(file, dim);
    if (existsSync(file)) cache.load();
    else {
      const head = Buffer.alloc(HEADER);
      head.writeUInt32LE(MAGIC, 0);
      head.writeUInt32LE(VERSION, 4);
      head.writeUInt32LE(dim, 8);
      const fd = openSync(file, 'w');
      writeSync(fd, head);
      closeSync(fd);
    }
    return cache;
  }

  private load(): void {
    const buf = readFileSync(this.file!);
    if (buf.length < HEADER || buf.readUInt32LE(0) !== MAGIC || buf.readUInt32LE(4) !== VERSION || buf.readUInt32LE(8) !== this.dim) {
      throw new FileFormatError(`Embedding cache ${this.file} is not a version ${VERSION} cache of ${this.dim}-d embeddings; delete it`);
    }
    for (let off = HEADER; off + this.recordBytes <= buf.length; off += this.recordBytes) {
      const hash = buf.subarray(off, off + 32).toString('hex');
      const flag = buf.readUInt32LE(off + 32);
      const fields = new Float32Array(buf.buffer.slice(buf.byteOffset + off + 36, buf.byteOffset + off + 36 + 4 * FACE_FIELDS));
      const eo = off + 36 + 4 * FACE_FIELDS;
      const embedding = flag === 1 ? new Float32Array(buf.buffer.slice(buf.byteOffset + eo, buf.byteOffset + eo + 4 * this.dim)) : null;
      this.map.set(hash, { embedding, face: fieldsToFace(fields) });
    }
  }

  get size(): number {
    return this.map.size;
  }

  get(imageHash: string): CachedEncoding | undefined {
    return this.map.get(imageHash);
  }

  set(imageHash: string, value: CachedEncoding): void {
    this.map.set(imageHash, value);
    if (!this.file) return;
    const rec = Buffer.alloc(this.recordBytes);
    Buffer.from(imageHash, 'hex').copy(rec, 0);
    rec.writeUInt32LE(value.embedding ? 1 : 0, 32);
    Buffer.from(faceToFields(value.face).buffer).copy(rec, 36);
    if (value.embedding) Buffer.from(value.embedding.buffer, value.embedding.byteOffset, 4 * this.dim).copy(rec, 36 + 4 * FACE_FIELDS);
    appendFileSync(this.file, rec);
  }
}

/**
 * Rewrites a cache file without the records whose embedding `drop` selects
 * (erasure: lib/governance/erase.ts). Atomic, and the replaced file's bytes
 * are zeroed. Files that are not embedding caches are left alone (returns
 * null); returns the number of records dropped otherwise.
 */
export async function dropCacheRecords(file: string, drop: (embedding: Float32Array) => boolean): Promise<number | null> {
  const buf = readFileSync(file);
  if (buf.length < HEADER || buf.readUInt32LE(0) !== MAGIC || buf.readUInt32LE(4) !== VERSION) return null;
  const dim = buf.readUInt32LE(8);
  const recordBytes = 32 + 4 + 4 * FACE_FIELDS + 4 * dim;
  const keep: Buffer[] = [buf.subarray(0, HEADER)];
  let dropped = 0;
  for (let off = HEADER; off + recordBytes <= buf.length; off += recordBytes) {
    const rec = buf.subarray(off, off + recordBytes);
    const eo = 36 + 4 * FACE_FIELDS;
    if (rec.readUInt32LE(32) === 1 && drop(new Float32Array(rec.buffer.slice(rec.byteOffset + eo, rec.byteOffset + eo + 4 * dim)))) dropped++;
    else keep.push(rec);
  }
  // A torn last record (an interrupted run) holds part of an embedding: it goes too.
  const tail = (buf.length - HEADER) % recordBytes;
  if (dropped === 0 && tail === 0) return 0;
  await writeFileAtomic(file, keep, { scrubPrevious: true });
  buf.fill(0);
  return dropped;
}
