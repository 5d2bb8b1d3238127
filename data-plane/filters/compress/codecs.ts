// SPDX-License-Identifier: Apache-2.0
// The two packet codecs of Compress, in Quilkin v0.9's wire formats:
// - SNAPPY: one raw Snappy block (varint of the uncompressed length, then the block); no
//   framing/stream header. The `snappy` package wraps the same Rust crate Quilkin uses.
// - LZ4: Quilkin's own varint of the uncompressed length (u16, see readLz4Size) followed by one
//   LZ4 block. `lz4-napi` wraps the same Rust crate (lz4_flex); its calls take and give a 4-byte
//   little-endian length prefix, which is swapped for the varint here.
// Every decoder checks the length the header claims against MAX_OUTPUT before anything is
// allocated, so a crafted header cannot make a packet allocate more than one datagram.
import { compressSync as lz4CompressPrepended, uncompressSync as lz4UncompressPrepended } from 'lz4-napi';
import { compressSync as snappyCompress, uncompressSync as snappyUncompress } from 'snappy';

/** The largest payload a filter may hand on: the IPv4 UDP limit, as the backends send. */
export const MAX_OUTPUT = 65507;

/** A codec result: the new payload, or why it could not be produced (logged, then dropped). */
export type CodecResult = { ok: true; contents: Buffer } | { ok: false; error: string };

export interface Codec {
  encode(contents: Buffer): CodecResult;
  decode(contents: Buffer): CodecResult;
}

const fail = (error: string): CodecResult => ({ ok: false, error });

function bounded(contents: Buffer, what: string): CodecResult {
  if (contents.length > MAX_OUTPUT) return fail(`${what} output of ${contents.length} bytes exceeds the ${MAX_OUTPUT}-byte datagram limit`);
  return { ok: true, contents };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Snappy's length preamble: a little-endian base-128 varint of at most 5 bytes holding a u32
 * (google/snappy format_description.txt). Undefined when truncated or malformed.
 */
export function readSnappyLength(data: Buffer): number | undefined {
  let value = 0;
  for (let i = 0; i < 5 && i < data.length; i++) {
    const byte = data[i]!;
    if (i === 4 && byte > 0x0f) return undefined; // would not fit in 32 bits
    value += (byte & 0x7f) * 2 ** (7 * i);
    if (byte < 0x80) return value;
  }
  return undefined;
}

export const snappyCodec: Codec = {
  encode(contents) {
    return bounded(snappyCompress(contents), 'snappy');
  },
  decode(contents) {
    const claimed = readSnappyLength(contents);
    if (claimed === undefined) return fail('snappy: truncated or malformed length header');
    if (claimed > MAX_OUTPUT) return fail(`snappy: header claims ${claimed} bytes, more than the ${MAX_OUTPUT}-byte datagram limit`);
    try {
      return { ok: true, contents: snappyUncompress(contents, { asBuffer: true }) as Buffer };
    } catch (err) {
      return fail(`snappy: ${message(err)}`);
    }
  },
};

/** Quilkin's LZ4 size prefix: a varint of the u16 length (1 to 3 bytes). */
export function writeLz4Size(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

/**
 * Reads Quilkin's LZ4 size prefix exactly as v0.9 does: bits are gathered into a u16, so a third
 * byte's bits above 16 are silently lost, and a fourth byte (shift 21) or a missing terminator
 * is a failure. Returns the size and the prefix length, or undefined.
 */
export function readLz4Size(data: Buffer): { size: number; length: number } | undefined {
  let n = 0;
  for (let i = 0, shift = 0; i < data.length && shift < 16; i++, shift += 7) {
    const byte = data[i]!;
    n = (n | ((byte & 0x7f) << shift)) & 0xffff;
    if (byte < 0x80) return { size: n, length: i + 1 };
  }
  return undefined;
}

export const lz4Codec: Codec = {
  encode(contents) {
    // lz4_flex prefixes a 4-byte LE length; Quilkin writes its varint instead.
    const block = lz4CompressPrepended(contents).subarray(4);
    return bounded(Buffer.concat([writeLz4Size(contents.length & 0xffff), block]), 'lz4');
  },
  decode(contents) {
    const header = readLz4Size(contents);
    if (!header) return fail('lz4: truncated or malformed size prefix');
    // The claimed size bounds the output (it is at most 65535 anyway); capping it at the
    // datagram limit turns a larger result into a decode error instead of an oversized packet.
    const capacity = Math.min(header.size, MAX_OUTPUT);
    const prepended = Buffer.allocUnsafe(4 + contents.length - header.length);
    prepended.writeUInt32LE(capacity, 0);
    contents.copy(prepended, 4, header.length);
    try {
      return { ok: true, contents: lz4UncompressPrepended(prepended) };
    } catch (err) {
      return fail(`lz4: ${message(err)}`);
    }
  },
};
