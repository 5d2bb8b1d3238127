// SPDX-License-Identifier: Apache-2.0
// Little-endian byte writer/reader for the native engine's binary formats (chain description,
// test batches). Mirrors native/engine/desc_reader.h and byte_writer.h.

export class ByteWriter {
  private buf = Buffer.alloc(256);
  private len = 0;

  private reserve(n: number): number {
    if (this.len + n > this.buf.length) {
      const next = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
      this.buf.copy(next, 0, 0, this.len);
      this.buf = next;
    }
    const at = this.len;
    this.len += n;
    return at;
  }

  u8(v: number): this {
    const at = this.reserve(1); // before reading this.buf: reserve may replace it
    this.buf[at] = v & 0xff;
    return this;
  }
  u16(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`${v} does not fit in 16 bits`);
    const at = this.reserve(2);
    this.buf.writeUInt16LE(v, at);
    return this;
  }
  u32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${v} does not fit in 32 bits`);
    const at = this.reserve(4);
    this.buf.writeUInt32LE(v, at);
    return this;
  }
  u64(v: number | bigint): this {
    const at = this.reserve(8);
    this.buf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(v)), at);
    return this;
  }
  i64(v: number): this {
    const at = this.reserve(8);
    this.buf.writeBigInt64LE(BigInt(Math.trunc(v)), at);
    return this;
  }
  raw(b: Uint8Array): this {
    const at = this.reserve(b.length);
    this.buf.set(b, at);
    return this;
  }
  str16(s: string): this {
    // Encoded in place: a Buffer per string was most of a 100k-endpoint description's cost.
    const n = Buffer.byteLength(s, 'utf8');
    this.u16(n);
    const at = this.reserve(n);
    this.buf.write(s, at, n, 'utf8');
    return this;
  }
  /** `n` zero bytes; returns where they start, for the caller to fill through `view`. */
  zeros(n: number): number {
    const at = this.reserve(n);
    this.buf.fill(0, at, at + n);
    return at;
  }
  /** The written bytes at `at` (valid until the next write may grow the buffer). */
  view(at: number, n: number): Buffer {
    return this.buf.subarray(at, at + n);
  }
  bytes32(b: Uint8Array): this {
    return this.u32(b.length).raw(b);
  }

  get length(): number {
    return this.len;
  }

  /** A copy of what was written. */
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }
}

export class ByteReader {
  private off = 0;

  constructor(private readonly buf: Buffer) {}

  private take(n: number, what: string): number {
    if (this.off + n > this.buf.length) throw new RangeError(`truncated ${what} at offset ${this.off}`);
    const at = this.off;
    this.off += n;
    return at;
  }

  u8(what = 'u8'): number {
    return this.buf[this.take(1, what)];
  }
  u16(what = 'u16'): number {
    return this.buf.readUInt16LE(this.take(2, what));
  }
  u32(what = 'u32'): number {
    return this.buf.readUInt32LE(this.take(4, what));
  }
  u64(what = 'u64'): bigint {
    return this.buf.readBigUInt64LE(this.take(8, what));
  }
  f64(what = 'f64'): number {
    return this.buf.readDoubleLE(this.take(8, what));
  }
  bytes(n: number, what = 'bytes'): Buffer {
    const at = this.take(n, what);
    return Buffer.from(this.buf.subarray(at, at + n));
  }
  str16(what = 'string'): string {
    return this.bytes(this.u16(what), what).toString('utf8');
  }
  bytes32(what = 'bytes'): Buffer {
    return this.bytes(this.u32(what), what);
  }
  get remaining(): number {
    return this.buf.length - this.off;
  }
}
