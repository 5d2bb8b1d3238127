// SPDX-License-Identifier: Apache-2.0
// The Internet checksum (RFC 1071) for the tests that build and check raw frames.

/** The 16-bit big-endian word sum of `buf` (an odd last byte is the high half), plus `start`. */
export function wordSum(buf: Buffer, start = 0): number {
  let s = start;
  for (let i = 0; i + 1 < buf.length; i += 2) s += buf.readUInt16BE(i);
  if (buf.length & 1) s += buf[buf.length - 1] << 8;
  return s;
}

/** Folds carries and complements: the checksum field's value for a sum taken with the field zero. */
export function foldComplement(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

function pseudoHeaderSum(src: Buffer, dst: Buffer, udpLength: number): number {
  return wordSum(src) + wordSum(dst) + 17 + udpLength;
}

/** A correct UDP checksum over the pseudo-header (0 means "none" for IPv4; 0xffff stands in). */
export function udpChecksum(src: Buffer, dst: Buffer, udp: Buffer): number {
  const c = foldComplement(wordSum(udp, pseudoHeaderSum(src, dst, udp.length)));
  return c === 0 ? 0xffff : c;
}

/** A datagram (checksum field included) whose UDP checksum verifies; a zero field does not. */
export function udpChecksumValid(src: Buffer, dst: Buffer, udp: Buffer): boolean {
  return udp.readUInt16BE(6) !== 0 && foldComplement(wordSum(udp, pseudoHeaderSum(src, dst, udp.length))) === 0;
}

/** An IPv4 header (checksum field included) whose header checksum verifies. */
export function ipv4HeaderChecksumValid(header: Buffer): boolean {
  return foldComplement(wordSum(header)) === 0;
}
