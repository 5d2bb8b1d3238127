// SPDX-License-Identifier: Apache-2.0
/**
 * TypeScript mirror of bpf/lib/abi.h and bpf/lib/map_names.h: the names,
 * layouts and indices userspace needs to read and write the XDP program's
 * maps. bpf/abi.test.ts compiles a C program against the headers and fails if
 * anything here drifts from them; change the header first, then this file.
 */

/** Map names of bpf/obj/xdp_redirect.bpf.o (map_names.h QK_XDP_MAPS). */
export const XDP_MAP_NAMES = {
  config: 'qk_config',
  localAddrs: 'qk_local_addrs',
  localHit: 'qk_local_hit',
  xsks: 'qk_xsks',
  counters: 'qk_counters',
  events: 'qk_events',
  // The fast path (fast_abi.h, mirrored in fast-abi.ts).
  fastCtl: 'qk_fast_ctl',
  fastBanks: 'qk_fast_banks',
  fastSteps: 'qk_fast_steps',
  fastEndpoints: 'qk_fast_eps',
  fastTokens: 'qk_fast_tokens',
  fastFirewall: 'qk_fast_fw',
  fastFlows: 'qk_fast_flows',
  fastState: 'qk_fast_state',
  fastTrace: 'qk_fast_trace',
  fastSeed: 'qk_fast_seed',
  fastCells: 'qk_fast_cells',
  fastIfaces: 'qk_fast_ifaces',
} as const;

/** Program (function) names, as bpf_object__find_program_by_name takes them. */
export const XDP_PROGRAM_NAMES = {
  redirect: 'qk_xdp_redirect',
  pass: 'qk_xdp_pass',
} as const;

/** Committed objects, relative to the repository root. */
export const XDP_OBJECTS = {
  redirect: 'bpf/obj/xdp_redirect.bpf.o',
  pass: 'bpf/obj/xdp_pass.bpf.o',
} as const;

/** Byte offset and size of one struct field. */
export interface FieldLayout {
  readonly offset: number;
  readonly size: number;
}

export interface StructLayout {
  readonly size: number;
  readonly fields: Readonly<Record<string, FieldLayout>>;
}

const f = (offset: number, size: number): FieldLayout => ({ offset, size });

/** Layouts of every key/value struct in abi.h (little-endian host, x86-64 and BPF agree). */
export const STRUCTS = {
  qk_xdp_config: {
    size: 24,
    fields: {
      listen_port: f(0, 2),
      qcmp_port: f(2, 2),
      session_port_start: f(4, 2),
      session_port_end: f(6, 2),
      flags: f(8, 4),
      max_frame_len: f(12, 4),
      xsk_ifindex: f(16, 4),
      local_addrs_gen: f(20, 4),
    },
  },
  qk_local_addr_key: {
    size: 20,
    fields: { family: f(0, 1), _pad: f(1, 3), addr: f(4, 16) },
  },
  qk_local_addr_value: { size: 4, fields: { flags: f(0, 4) } },
  qk_local_hit: { size: 24, fields: { gen: f(0, 4), key: f(4, 20) } },
  qk_counter: { size: 16, fields: { packets: f(0, 8), bytes: f(8, 8) } },
  qk_xdp_event: {
    size: 32,
    fields: {
      timestamp_ns: f(0, 8),
      kind: f(8, 4),
      reason: f(12, 4),
      ifindex: f(16, 4),
      rx_queue: f(20, 4),
      frame_len: f(24, 4),
      offset: f(28, 2),
      eth_proto: f(30, 2),
    },
  },
} as const satisfies Record<string, StructLayout>;

/** Scalar constants of abi.h. */
export const CONSTANTS = {
  QK_CFG_F_ENABLED: 1,
  QK_CFG_F_MATCH_LOCAL_ADDR: 2,
  QK_CONFIG_KEY: 0,
  QK_ADDR_V4: 4,
  QK_ADDR_V6: 6,
  QK_LOCAL_ADDRS_MAX: 64,
  QK_XSKS_MAX: 128,
  QK_EVENTS_BYTES: 256 * 1024,
} as const;

/** enum qk_pass_reason, in index order; the strings are metric label values. */
export const PASS_REASONS = [
  'disabled',
  'not_ip',
  'vlan',
  'truncated',
  'malformed',
  'ipv4_fragment',
  'ipv6_ext_hdr',
  'not_udp',
  'other_port',
  'not_local_addr',
  'no_xsk',
  'oversize',
  'forward_iface',
] as const;
export type PassReason = (typeof PASS_REASONS)[number];

/** enum qk_match_kind, in index order. */
export const MATCH_KINDS = ['listen', 'qcmp', 'session'] as const;
export type MatchKind = (typeof MATCH_KINDS)[number];

/** enum qk_event_kind. */
export const EVENT_KINDS = { drop: 1, parse_error: 2 } as const;

/** enum qk_counter_index: where each counter sits in the per-CPU array. */
export const COUNTERS = {
  QK_CNT_REDIRECT: 0,
  QK_CNT_PASS: 1,
  QK_CNT_DROP: 2,
  QK_CNT_EVENTS_LOST: 3,
  QK_CNT_TX: 4,
  QK_CNT_FORWARD: 5,
  QK_CNT_MATCH_BASE: 8,
  QK_CNT_PASS_BASE: 16,
  QK_CNT_DROP_BASE: 64,
  QK_CNT_DROP_SLOTS: 128,
  QK_CNT__MAX: 192,
} as const;

export function passCounterIndex(reason: PassReason): number {
  return COUNTERS.QK_CNT_PASS_BASE + PASS_REASONS.indexOf(reason);
}

export function matchCounterIndex(kind: MatchKind): number {
  return COUNTERS.QK_CNT_MATCH_BASE + MATCH_KINDS.indexOf(kind);
}

/** `id` is a drop reason id from data-plane/drop_reasons.json. */
export function dropCounterIndex(id: number): number {
  if (!Number.isInteger(id) || id < 0 || id >= COUNTERS.QK_CNT_DROP_SLOTS) {
    throw new RangeError(`drop reason id ${id} outside 0..${COUNTERS.QK_CNT_DROP_SLOTS - 1}`);
  }
  return COUNTERS.QK_CNT_DROP_BASE + id;
}
