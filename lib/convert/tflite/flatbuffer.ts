/**
 * A minimal FlatBuffers reader (little-endian), enough to read a TFLite
 * model: tables through their vtables, scalars, strings, vectors of
 * scalars, tables or bytes. Every offset is bounds-checked: a truncated or
 * corrupt file is an error, never a read past the buffer.
 */
export class FlatBufferError extends Error {}

export class Table {
  private readonly vtable: number;
  private readonly vtableSize: number;

  constructor(readonly buf: DataView, readonly pos: number) {
    check(buf, pos, 4);
    this.vtable = pos - buf.getInt32(pos, true);
    check(buf, this.vtable, 4);
    this.vtableSize = buf.getUint16(this.vtable, true);
    check(buf, this.vtable, this.vtableSize);
  }

  /** Byte position of field `i` (0-based), or 0 when absent. */
  private field(i: number): number {
    const o = 4 + 2 * i;
    if (o + 2 > this.vtableSize) return 0;
    const rel = this.buf.getUint16(this.vtable + o, true);
    return rel === 0 ? 0 : this.pos + rel;
  }

  has(i: number): boolean {
    return this.field(i) !== 0;
  }

  u8(i: number, dflt = 0): number {
    const p = this.field(i);
    if (!p) return dflt;
    check(this.buf, p, 1);
    return this.buf.getUint8(p);
  }

  i8(i: number, dflt = 0): number {
    const p = this.field(i);
    if (!p) return dflt;
    check(this.buf, p, 1);
    return this.buf.getInt8(p);
  }

  bool(i: number, dflt = false): boolean {
    return this.u8(i, dflt ? 1 : 0) !== 0;
  }

  i32(i: number, dflt = 0): number {
    const p = this.field(i);
    if (!p) return dflt;
    check(this.buf, p, 4);
    return this.buf.getInt32(p, true);
  }

  u32(i: number, dflt = 0): number {
    const p = this.field(i);
    if (!p) return dflt;
    check(this.buf, p, 4);
    return this.buf.getUint32(p, true);
  }

  f32(i: number, dflt = 0): number {
    const p = this.field(i);
    if (!p) return dflt;
    check(this.buf, p, 4);
    return this.buf.getFloat32(p, true);
  }

  u64(i: number, dflt = 0): number {
    const p = this.field(i);
    if (!p) return dflt;
    check(this.buf, p, 8);
    return Number(this.buf.getBigUint64(p, true));
  }

  /** Position of what an offset field points to. */
  private indirect(i: number): number {
    const p = this.field(i);
    if (!p) return 0;
    check(this.buf, p, 4);
    return p + this.buf.getUint32(p, true);
  }

  table(i: number): Table | null {
    const p = this.indirect(i);
    return p ? new Table(this.buf, p) : null;
  }

  string(i: number): string | null {
    const bytes = this.bytes(i);
    return bytes ? new TextDecoder().decode(bytes) : null;
  }

  /** A vector's element count and first element position, or null. */
  private vector(i: number, elemSize: number): { n: number; start: number } | null {
    const p = this.indirect(i);
    if (!p) return null;
    check(this.buf, p, 4);
    const n = this.buf.getUint32(p, true);
    check(this.buf, p + 4, n * elemSize);
    return { n, start: p + 4 };
  }

  bytes(i: number): Uint8Array | null {
    const v = this.vector(i, 1);
    return v ? new Uint8Array(this.buf.buffer, this.buf.byteOffset + v.start, v.n) : null;
  }

  i32s(i: number): number[] {
    const v = this.vector(i, 4);
    if (!v) return [];
    return Array.from({ length: v.n }, (_, k) => this.buf.getInt32(v.start + 4 * k, true));
  }

  f32s(i: number): number[] {
    const v = this.vector(i, 4);
    if (!v) return [];
    return Array.from({ length: v.n }, (_, k) => this.buf.getFloat32(v.start + 4 * k, true));
  }

  i64s(i: number): number[] {
    const v = this.vector(i, 8);
    if (!v) return [];
    return Array.from({ length: v.n }, (_, k) => Number(this.buf.getBigInt64(v.start + 8 * k, true)));
  }

  tables(i: number): Table[] {
    const v = this.vector(i, 4);
    if (!v) return [];
    return Array.from({ length: v.n }, (_, k) => {
      const p = v.start + 4 * k;
      return new Table(this.buf, p + this.buf.getUint32(p, true));
    });
  }
}

function check(buf: DataView, pos: number, len: number): void {
  if (!(pos >= 0 && len >= 0 && pos + len <= buf.byteLength)) {
    throw new FlatBufferError(`offset ${pos} + ${len} is outside the ${buf.byteLength}-byte buffer`);
  }
}

/** The root table of a FlatBuffer (optionally checking the 4-byte file identifier). */
export function rootTable(bytes: Uint8Array, identifier?: string): Table {
  const buf = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  check(buf, 0, 8);
  if (identifier !== undefined) {
    const id = new TextDecoder().decode(bytes.subarray(4, 8));
    if (id !== identifier) throw new FlatBufferError(`file identifier is ${JSON.stringify(id)}, expected ${JSON.stringify(identifier)}`);
  }
  return new Table(buf, buf.getUint32(0, true));
}
