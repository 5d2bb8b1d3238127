// SPDX-License-Identifier: Apache-2.0
// QCMP (Quilkin Control Message Protocol) wire format: big-endian, timestamps in ns since the epoch.

export const QCMP_MAGIC = Buffer.from('QLKN', 'ascii');
export const QCMP_VERSION = 0;
export const PING_LENGTH = 17;
export const PONG_LENGTH = 33;
const PING_PAYLOAD = 9;
const PONG_PAYLOAD = 25;

export type QcmpMessage =
  | { kind: 'ping'; nonce: number; clientTransmit: bigint }
  | { kind: 'pong'; nonce: number; clientTransmit: bigint; serverReceive: bigint; serverTransmit: bigint };

export class QcmpError extends Error {}

/** Returns undefined for datagrams that are not QCMP at all (wrong magic); throws for malformed QCMP. */
export function decodeQcmp(data: Buffer): QcmpMessage | undefined {
  if (data.length < PING_LENGTH) throw new QcmpError(`length mismatch: ${data.length} bytes is shorter than a ping`);
  if (!data.subarray(0, 4).equals(QCMP_MAGIC)) return undefined;
  if (data[4] !== QCMP_VERSION) throw new QcmpError(`unknown version ${data[4]}`);
  const kind = data[5];
  if (kind !== 0 && kind !== 1) throw new QcmpError(`unknown command ${kind}`);
  const expected = kind === 0 ? PING_PAYLOAD : PONG_PAYLOAD;
  if (kind === 1 && data.length < PONG_LENGTH) throw new QcmpError(`length mismatch: ${data.length} bytes is shorter than a pong`);
  const length = data.readUInt16BE(6);
  if (length !== expected || data.length - 8 !== length) {
    throw new QcmpError(`length mismatch: length field ${length}, ${data.length - 8} bytes follow, expected ${expected}`);
  }
  const nonce = data[8];
  const clientTransmit = data.readBigInt64BE(9);
  if (kind === 0) return { kind: 'ping', nonce, clientTransmit };
  return { kind: 'pong', nonce, clientTransmit, serverReceive: data.readBigInt64BE(17), serverTransmit: data.readBigInt64BE(25) };
}

function header(kind: 0 | 1, payload: number, total: number): Buffer {
  const out = Buffer.alloc(total);
  QCMP_MAGIC.copy(out, 0);
  out[4] = QCMP_VERSION;
  out[5] = kind;
  out.writeUInt16BE(payload, 6);
  return out;
}

export function encodePing(nonce: number, clientTransmit: bigint): Buffer {
  const out = header(0, PING_PAYLOAD, PING_LENGTH);
  out[8] = nonce;
  out.writeBigInt64BE(clientTransmit, 9);
  return out;
}

export function encodePong(nonce: number, clientTransmit: bigint, serverReceive: bigint, serverTransmit: bigint): Buffer {
  const out = header(1, PONG_PAYLOAD, PONG_LENGTH);
  out[8] = nonce;
  out.writeBigInt64BE(clientTransmit, 9);
  out.writeBigInt64BE(serverReceive, 17);
  out.writeBigInt64BE(serverTransmit, 25);
  return out;
}

/** Offset from the monotonic clock to Unix time, taken once so timestamps never go backwards. */
const EPOCH_OFFSET = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

/** Nanoseconds since the Unix epoch (QCMP timestamps are UTC wall time), monotonic within a process. */
export function nowNanos(): bigint {
  return process.hrtime.bigint() + EPOCH_OFFSET;
}

/** NTP-style round trip: total time minus the server's processing time. */
export function roundTripNanos(pong: Extract<QcmpMessage, { kind: 'pong' }>, clientReceive: bigint): bigint {
  return clientReceive - pong.clientTransmit - (pong.serverTransmit - pong.serverReceive);
}
