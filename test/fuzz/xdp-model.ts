// SPDX-License-Identifier: Apache-2.0
// A TypeScript model of bpf/xdp_redirect.bpf.c's verdict for one frame, written from its documented
// rules (bpf/README.md "What the program does") and reading only the frame's bytes. The fuzz test
// (xdp-program.test.ts) compares it with the real object under BPF_PROG_RUN, counters and events
// included. Rules that are judgements of the program, stated here so a change shows up as a diff:
//  - VLAN (802.1Q / 802.1ad, any depth) is never parsed: pass `vlan`, the kernel's VLAN devices serve it;
//  - IPv4 fragments (MF or offset) and IPv6 extension headers (any, even a chain ending in UDP) pass;
//  - header lengths are checked against the frame: frame too short → pass `truncated`; bad IP
//    version / IHL < 5 / tot_len < IHL → pass `malformed`. Ethernet padding after tot_len is fine;
//  - only a *matched* frame (our port, our address) has its UDP length checked: < 8 or beyond the IP
//    payload → drop `malformed` (drop reason 16), because userspace trusts that length;
//  - source address and source port are not looked at: martian sources and port 0 are the worker's
//    business (its drop reasons), the program redirects them like any other datagram;
//  - UDP checksums are not looked at either (the worker checks them);
//  - the port match comes first (listen, then QCMP, then the session range), then the address set.
import { COUNTERS, EVENT_KINDS, type MatchKind, type PassReason, dropCounterIndex, matchCounterIndex, passCounterIndex } from '../../bpf/abi';

export const DROP_MALFORMED = 16;
export const XDP_DROP = 1;
export const XDP_PASS = 2;
export const XDP_REDIRECT = 4;

export interface ModelConfig {
  /** false: config entry with QK_CFG_F_ENABLED clear. */
  enabled: boolean;
  listenPort: number;
  qcmpPort: number;
  sessionPortStart: number;
  sessionPortEnd: number;
  /** Local addresses as hex of the 4 (IPv4) or 16 (IPv6) network-order bytes; non-empty sets the flag. */
  localAddrs: ReadonlySet<string>;
  maxFrameLen: number;
  /** An AF_XDP socket sits on the frame's rx queue (false under BPF_PROG_RUN with an empty XSKMAP). */
  xsk: boolean;
}

export interface Verdict {
  /** 'refused': BPF_PROG_RUN rejects frames shorter than an Ethernet header. */
  action: 'pass' | 'drop' | 'redirect' | 'refused';
  reason?: PassReason | 'malformed_udp_len';
  match?: MatchKind;
  /** Parse offset where the decision was taken (the event's `offset`). */
  offset: number;
}

const ETH_IP = 0x0800;
const ETH_IPV6 = 0x86dd;
const VLAN_TYPES = [0x8100, 0x88a8];
/** IPv6 extension headers the program recognises (RFC 8200 + IANA): 0, 43, 44, 50, 51, 60, 135, 139, 140, 253, 254. */
export const IPV6_EXT_HDRS = [0, 43, 44, 50, 51, 60, 135, 139, 140, 253, 254];
const UDP = 17;

const pass = (reason: PassReason, offset: number): Verdict => ({ action: 'pass', reason, offset });

function matchPort(cfg: ModelConfig, port: number): MatchKind | undefined {
  if (cfg.listenPort !== 0 && port === cfg.listenPort) return 'listen';
  if (cfg.qcmpPort !== 0 && port === cfg.qcmpPort) return 'qcmp';
  if (cfg.sessionPortStart !== 0 && port >= cfg.sessionPortStart && port <= cfg.sessionPortEnd) return 'session';
  return undefined;
}

/** The program's verdict for `frame` under `cfg`. */
export function xdpVerdict(frame: Buffer, cfg: ModelConfig): Verdict {
  const len = frame.length;
  if (len < 14) return { action: 'refused', offset: 0 };
  if (!cfg.enabled) return pass('disabled', 0);
  const ethType = frame.readUInt16BE(12);
  let off = 14;
  if (VLAN_TYPES.includes(ethType)) return pass('vlan', off);
  if (ethType !== ETH_IP && ethType !== ETH_IPV6) return pass('not_ip', off);

  let l4Len: number;
  let dst: Buffer;
  if (ethType === ETH_IP) {
    if (len - off < 20) return pass('truncated', off);
    const version = frame[off] >> 4;
    const ihl = frame[off] & 0xf;
    if (version !== 4 || ihl < 5) return pass('malformed', off);
    const hdrLen = ihl * 4;
    const totLen = frame.readUInt16BE(off + 2);
    if (off + hdrLen > len) return pass('truncated', off);
    if (totLen < hdrLen) return pass('malformed', off);
    if (totLen > len - off) return pass('truncated', off);
    if (frame.readUInt16BE(off + 6) & 0x3fff) return pass('ipv4_fragment', off);
    if (frame[off + 9] !== UDP) return pass('not_udp', off);
    l4Len = totLen - hdrLen;
    dst = frame.subarray(off + 16, off + 20);
    off += hdrLen;
  } else {
    if (len - off < 40) return pass('truncated', off);
    if (frame[off] >> 4 !== 6) return pass('malformed', off);
    const payloadLen = frame.readUInt16BE(off + 4);
    if (40 + payloadLen > len - off) return pass('truncated', off);
    const next = frame[off + 6];
    if (IPV6_EXT_HDRS.includes(next)) return pass('ipv6_ext_hdr', off);
    if (next !== UDP) return pass('not_udp', off);
    l4Len = payloadLen;
    dst = frame.subarray(off + 24, off + 40);
    off += 40;
  }

  if (off + 8 > len) return pass('truncated', off);
  const match = matchPort(cfg, frame.readUInt16BE(off + 2));
  if (!match) return pass('other_port', off);
  if (cfg.localAddrs.size > 0 && !cfg.localAddrs.has(dst.toString('hex'))) return { ...pass('not_local_addr', off), match };
  const udpLen = frame.readUInt16BE(off + 4);
  if (udpLen < 8 || udpLen > l4Len) return { action: 'drop', reason: 'malformed_udp_len', match, offset: off };
  if (cfg.maxFrameLen !== 0 && len > cfg.maxFrameLen) return { ...pass('oversize', off), match };
  if (cfg.xsk) return { action: 'redirect', match, offset: off };
  return { ...pass('no_xsk', off), match };
}

/** What the program's counters and event ring show for a verdict: `index:packets:bytes` per moved counter, and the event. */
export function expectedEffects(v: Verdict, frameLen: number): { counters: string[]; event?: string } {
  const moved: number[] = [];
  let event: string | undefined;
  if (v.match) moved.push(matchCounterIndex(v.match));
  if (v.action === 'redirect') moved.push(COUNTERS.QK_CNT_REDIRECT);
  else if (v.action === 'drop') {
    moved.push(COUNTERS.QK_CNT_DROP, dropCounterIndex(DROP_MALFORMED));
    event = `${EVENT_KINDS.drop}:${DROP_MALFORMED}:${v.offset}`;
  } else if (v.action === 'pass') {
    const reason = v.reason as PassReason;
    moved.push(COUNTERS.QK_CNT_PASS, passCounterIndex(reason));
    if (reason === 'truncated' || reason === 'malformed')
      event = `${EVENT_KINDS.parse_error}:${passCounterIndex(reason) - COUNTERS.QK_CNT_PASS_BASE}:${v.offset}`;
  }
  return { counters: moved.sort((a, b) => a - b).map((i) => `${i}:1:${frameLen}`), event };
}
