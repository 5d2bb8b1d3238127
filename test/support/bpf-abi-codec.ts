// SPDX-License-Identifier: Apache-2.0
/**
 * Encoders/decoders between typed values and the byte layouts of bpf/abi.ts,
 * for tests that write the XDP maps or drain its event ring from JS (the product's
 * XDP backend does this in native code).
 */
import * as net from 'node:net';

import { CONSTANTS, STRUCTS } from '../../bpf/abi';

export interface XdpConfig {
  /** Game traffic port; 0 = none. */
  listenPort: number;
  /** QCMP port; 0 = none. */
  qcmpPort: number;
  /** Session port range, inclusive; start 0 = no range. */
  sessionPortStart: number;
  sessionPortEnd: number;
  enabled: boolean;
  /** Set when the local address map is non-empty. */
  matchLocalAddr: boolean;
  /** Longer matched frames are passed as `oversize`; 0 or absent = no limit. */
  maxFrameLen?: number;
  /** The interface with AF_XDP sockets; 0 or absent = any. */
  xskIfindex?: number;
  /** The local address generation: a new one after every change of qk_local_addrs. */
  localAddrsGen?: number;
}

export interface XdpEvent {
  timestampNs: bigint;
  kind: number;
  reason: number;
  ifindex: number;
  rxQueue: number;
  frameLen: number;
  offset: number;
  ethProto: number;
}

function checkPort(name: string, port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
    throw new RangeError(`${name}: ${port} is not a port number (0..65535)`);
  }
}

/** The value of the config map entry (struct qk_xdp_config). */
export function encodeConfig(config: XdpConfig): Buffer {
  const layout = STRUCTS.qk_xdp_config;
  const out = Buffer.alloc(layout.size);
  checkPort('listenPort', config.listenPort);
  checkPort('qcmpPort', config.qcmpPort);
  checkPort('sessionPortStart', config.sessionPortStart);
  checkPort('sessionPortEnd', config.sessionPortEnd);
  out.writeUInt16LE(config.listenPort, layout.fields.listen_port.offset);
  out.writeUInt16LE(config.qcmpPort, layout.fields.qcmp_port.offset);
  out.writeUInt16LE(config.sessionPortStart, layout.fields.session_port_start.offset);
  out.writeUInt16LE(config.sessionPortEnd, layout.fields.session_port_end.offset);
  const flags = (config.enabled ? CONSTANTS.QK_CFG_F_ENABLED : 0) | (config.matchLocalAddr ? CONSTANTS.QK_CFG_F_MATCH_LOCAL_ADDR : 0);
  out.writeUInt32LE(flags, layout.fields.flags.offset);
  out.writeUInt32LE(config.maxFrameLen ?? 0, layout.fields.max_frame_len.offset);
  out.writeUInt32LE(config.xskIfindex ?? 0, layout.fields.xsk_ifindex.offset);
  out.writeUInt32LE(config.localAddrsGen ?? 0, layout.fields.local_addrs_gen.offset);
  return out;
}

/** The key of the local address map (struct qk_local_addr_key) for an IP literal. */
export function encodeLocalAddrKey(ip: string): Buffer {
  const layout = STRUCTS.qk_local_addr_key;
  const out = Buffer.alloc(layout.size);
  const addrAt = layout.fields.addr.offset;
  if (net.isIPv4(ip)) {
    out.writeUInt8(CONSTANTS.QK_ADDR_V4, layout.fields.family.offset);
    ip.split('.').forEach((octet, i) => out.writeUInt8(Number(octet), addrAt + i));
    return out;
  }
  if (!net.isIPv6(ip)) throw new TypeError(`${ip} is not an IPv4 or IPv6 address`);
  out.writeUInt8(CONSTANTS.QK_ADDR_V6, layout.fields.family.offset);
  expandIPv6(ip.replace(/%.*$/, '')).forEach((group, i) => out.writeUInt16BE(group, addrAt + 2 * i));
  return out;
}

/** Eight 16-bit groups of an IPv6 literal (handles "::" and an embedded IPv4 tail). */
function expandIPv6(ip: string): number[] {
  let text = ip;
  const v4Tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4Tail) {
    const [a, b, c, d] = v4Tail.slice(1).map(Number);
    const hex = (hi: number, lo: number): string => ((hi << 8) | lo).toString(16);
    text = `${text.slice(0, v4Tail.index)}${hex(a, b)}:${hex(c, d)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  return [...headGroups, ...Array<string>(zeros).fill('0'), ...tailGroups].map((g) => parseInt(g, 16));
}

/** One record of the event ring buffer (struct qk_xdp_event). */
export function decodeEvent(buf: Buffer): XdpEvent {
  const layout = STRUCTS.qk_xdp_event;
  if (buf.length !== layout.size) {
    throw new RangeError(`event record is ${buf.length} bytes, want ${layout.size}`);
  }
  const at = layout.fields;
  return {
    timestampNs: buf.readBigUInt64LE(at.timestamp_ns.offset),
    kind: buf.readUInt32LE(at.kind.offset),
    reason: buf.readUInt32LE(at.reason.offset),
    ifindex: buf.readUInt32LE(at.ifindex.offset),
    rxQueue: buf.readUInt32LE(at.rx_queue.offset),
    frameLen: buf.readUInt32LE(at.frame_len.offset),
    offset: buf.readUInt16LE(at.offset.offset),
    ethProto: buf.readUInt16LE(at.eth_proto.offset),
  };
}
