// SPDX-License-Identifier: Apache-2.0
// Ethernet/IP/UDP frames for the BPF conformance runner: builds the frame a packet arrives in, and
// takes apart the frame the program sends, listing everything wrong with it (checksums, lengths)
// so a bad rewrite fails the case instead of passing on its payload alone.
import { canonicalIpLiteral, type SocketAddr, socketAddr } from '../../../config/address';
import { ipBytes } from '../../../data-plane/compiler/ip-bytes';
import { buildUdpFrame } from '../../fuzz/xdp-frames';
import { ipv4HeaderChecksumValid, udpChecksumValid } from '../../support/inet-checksum';

const ETH_HLEN = 14;
const IPV4_HLEN = 20;
const IPV6_HLEN = 40;
const UDP_HLEN = 8;
const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;

export interface UdpFrameSpec {
  readonly src: SocketAddr;
  readonly dst: SocketAddr;
  readonly payload: Buffer;
  readonly ethSrc: Buffer;
  readonly ethDst: Buffer;
}

/** A well-formed frame with correct IPv4 header and UDP checksums; src and dst share a family. */
export function buildFrame(spec: UdpFrameSpec): Buffer {
  if (spec.src.family !== spec.dst.family) throw new Error(`a frame from IPv${spec.src.family} to IPv${spec.dst.family}`);
  return buildUdpFrame({
    v6: spec.src.family === 6,
    src: addrBytes(spec.src),
    dst: addrBytes(spec.dst),
    srcPort: spec.src.port,
    dstPort: spec.dst.port,
    payload: spec.payload,
    srcMac: spec.ethSrc,
    dstMac: spec.ethDst,
  });
}

function addrBytes(a: SocketAddr): Buffer {
  const { bytes } = ipBytes(a.ip);
  return a.family === 4 ? bytes.subarray(0, 4) : bytes;
}

function ipText(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(2 * i).toString(16));
  return canonicalIpLiteral(groups.join(':'));
}

export interface ParsedFrame {
  readonly ethDst: Buffer;
  readonly ethSrc: Buffer;
  readonly family: 4 | 6;
  readonly src: SocketAddr;
  readonly dst: SocketAddr;
  readonly payload: Buffer;
}

/** The frame's addresses and payload, or every way it is not a consistent IP/UDP datagram. */
export function parseFrame(frame: Buffer): { frame: ParsedFrame } | { problems: string[] } {
  const problems: string[] = [];
  if (frame.length < ETH_HLEN) return { problems: [`${frame.length} bytes: no Ethernet header`] };
  const ethType = frame.readUInt16BE(12);
  const ip = frame.subarray(ETH_HLEN);
  let family: 4 | 6;
  let src: Buffer;
  let dst: Buffer;
  let udp: Buffer;
  if (ethType === ETH_P_IP) {
    family = 4;
    if (ip.length < IPV4_HLEN) return { problems: [`IPv4 header truncated (${ip.length} bytes)`] };
    const ihl = (ip[0] & 0x0f) * 4;
    if (ip[0] >> 4 !== 4 || ihl !== IPV4_HLEN) problems.push(`IPv4 version/IHL byte 0x${ip[0].toString(16)}, want 0x45`);
    const total = ip.readUInt16BE(2);
    if (total !== ip.length) problems.push(`IPv4 total length ${total}, frame carries ${ip.length}`);
    if ((ip.readUInt16BE(6) & 0x3fff) !== 0) problems.push('IPv4 fragment bits set');
    if (ip[9] !== 17) problems.push(`IPv4 protocol ${ip[9]}, want 17`);
    if (!ipv4HeaderChecksumValid(ip.subarray(0, IPV4_HLEN))) problems.push(`IPv4 header checksum 0x${ip.readUInt16BE(10).toString(16)} is wrong`);
    src = ip.subarray(12, 16);
    dst = ip.subarray(16, 20);
    udp = ip.subarray(IPV4_HLEN);
  } else if (ethType === ETH_P_IPV6) {
    family = 6;
    if (ip.length < IPV6_HLEN) return { problems: [`IPv6 header truncated (${ip.length} bytes)`] };
    if (ip[0] >> 4 !== 6) problems.push(`IPv6 version ${ip[0] >> 4}`);
    const payloadLen = ip.readUInt16BE(4);
    if (payloadLen !== ip.length - IPV6_HLEN) problems.push(`IPv6 payload length ${payloadLen}, frame carries ${ip.length - IPV6_HLEN}`);
    if (ip[6] !== 17) problems.push(`IPv6 next header ${ip[6]}, want 17`);
    src = ip.subarray(8, 24);
    dst = ip.subarray(24, 40);
    udp = ip.subarray(IPV6_HLEN);
  } else {
    return { problems: [`ethertype 0x${ethType.toString(16)} is not IP`] };
  }
  if (udp.length < UDP_HLEN) return { problems: [...problems, `UDP header truncated (${udp.length} bytes)`] };
  const udpLen = udp.readUInt16BE(4);
  if (udpLen !== udp.length) problems.push(`UDP length ${udpLen}, IP carries ${udp.length}`);
  else if (!udpChecksumValid(src, dst, udp)) problems.push(`UDP checksum 0x${udp.readUInt16BE(6).toString(16)} is wrong`);
  if (problems.length) return { problems };
  return {
    frame: {
      ethDst: Buffer.from(frame.subarray(0, 6)),
      ethSrc: Buffer.from(frame.subarray(6, 12)),
      family,
      src: socketAddr(ipText(src), udp.readUInt16BE(0)),
      dst: socketAddr(ipText(dst), udp.readUInt16BE(2)),
      payload: Buffer.from(udp.subarray(UDP_HLEN)),
    },
  };
}
