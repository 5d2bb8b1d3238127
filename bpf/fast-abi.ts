// SPDX-License-Identifier: Apache-2.0
/**
 * TypeScript mirror of bpf/lib/fast_abi.h: the in-kernel fast path's map layouts, constants and
 * enums. bpf/abi.test.ts compiles a C program against the header and fails if anything here drifts
 * from it; change the header first, then this file. Encoders: data-plane/compiler/kernel-wire.ts.
 */
import type { FieldLayout, StructLayout } from './abi';

const f = (offset: number, size: number): FieldLayout => ({ offset, size });

/** Scalar constants of fast_abi.h. */
export const FAST = {
  QK_FAST_BANKS: 2,
  QK_FAST_DIRS: 2,
  QK_FAST_STEPS: 32,
  QK_FAST_VALUE_MAX: 32,
  QK_FAST_KEYS: 4,
  QK_FAST_DESTS: 8,
  QK_FAST_ENDPOINTS: 8192,
  QK_FAST_TOKENS: 32768,
  QK_FAST_FW_RULES: 64,
  QK_FAST_FW_CIDRS: 8,
  QK_FAST_FW_PORTS: 8,
  QK_FAST_SESSIONS: 262144,
  QK_FAST_WINDOW: 64,
  QK_FAST_CELLS: 256,
  QK_FAST_IFACES: 8,
  QK_FAST_PENDING_CELLS: 8,
  QK_FAST_DIR_READ: 0,
  QK_FAST_DIR_WRITE: 1,
  QK_FAST_F_ENABLED: 1,
  QK_FAST_F_SEED: 2,
  QK_FAST_F_TRACE: 4,
  QK_FAST_BANK_F_PAYLOAD: 1,
  QK_STEP_CAPTURE_PREFIX: 0,
  QK_STEP_CAPTURE_SUFFIX: 1,
  QK_STEP_F_REMOVE: 1,
} as const;

/** enum qk_step_kind. */
export const STEP = {
  END: 0,
  PASS: 1,
  DROP: 2,
  CAPTURE: 3,
  TOKEN_ROUTER: 4,
  FIREWALL: 5,
  MATCH: 6,
  BRANCH: 7,
  JUMP: 8,
  LOAD_BALANCER: 9,
  CONCATENATE: 10,
} as const;
export type StepKind = (typeof STEP)[keyof typeof STEP];
export const STEP_KINDS_MAX = 11;

/** enum qk_lb_policy. */
export const LB_POLICY = { ROUND_ROBIN: 0, RANDOM: 1, HASH: 2 } as const;
/** enum qk_concat_side. */
export const CONCAT_SIDE = { APPEND: 1, PREPEND: 2 } as const;
/** QK_META_* value tags (native/engine/metadata.h MetaTag); only these lower. */
export const META_TAG = { ABSENT: 0xff, BOOL: 0, STRING: 2, BYTES: 3 } as const;

/** enum qk_fast_handoff, in index order; the strings are metric label values. */
export const HANDOFF_REASONS = [
  'none',
  'no_session',
  'fan_out',
  'window',
  'token_many',
  'next_hop',
  'checksum',
  'ip_options',
  'chain',
  'lb_ipv6_hash',
  'too_big',
  'concat',
] as const;
export type HandoffReason = (typeof HANDOFF_REASONS)[number];

/** enum qk_fast_verdict. */
export const VERDICT = { RUNNING: 0, FORWARD: 1, DROP: 2, HANDOFF: 3 } as const;

/** enum qk_fast_counter_index: the fast path's slots in qk_counters. */
export const FAST_COUNTERS = {
  QK_CNT_FAST_BASE: 192,
  QK_CNT_FAST_TX_READ: 192,
  QK_CNT_FAST_TX_WRITE: 193,
  QK_CNT_FAST_RX_READ: 194,
  QK_CNT_FAST_RX_WRITE: 195,
  QK_CNT_FAST_HANDOFF_BASE: 208,
  QK_CNT_FAST_DROP_BASE: 240,
  QK_CNT_FAST__MAX: 496,
} as const;

export type Direction = 'read' | 'write';
export const DIR_INDEX: Readonly<Record<Direction, number>> = { read: FAST.QK_FAST_DIR_READ, write: FAST.QK_FAST_DIR_WRITE };

export function handoffCounterIndex(dir: Direction, reason: HandoffReason): number {
  return FAST_COUNTERS.QK_CNT_FAST_HANDOFF_BASE + DIR_INDEX[dir] * 16 + HANDOFF_REASONS.indexOf(reason);
}

/** `id` is a drop reason id from data-plane/drop_reasons.json. */
export function fastDropCounterIndex(dir: Direction, id: number): number {
  if (!Number.isInteger(id) || id < 0 || id >= 128) throw new RangeError(`drop reason id ${id} outside 0..127`);
  return FAST_COUNTERS.QK_CNT_FAST_DROP_BASE + DIR_INDEX[dir] * 128 + id;
}

/** Layouts of every key/value struct in fast_abi.h (little-endian; x86-64 and BPF agree). */
export const FAST_STRUCTS = {
  qk_fast_ctl: { size: 16, fields: { bank: f(0, 4), flags: f(4, 4), generation: f(8, 8) } },
  qk_fast_bank: { size: 8, fields: { endpoint_count: f(0, 4), flags: f(4, 4) } },
  qk_fast_step: {
    size: 56,
    fields: {
      kind: f(0, 1),
      op: f(1, 1),
      flags: f(2, 1),
      len: f(3, 1),
      key: f(4, 2),
      key2: f(6, 2),
      next: f(8, 2),
      count: f(10, 2),
      arg: f(12, 4),
      slot: f(16, 4),
      _pad: f(20, 4),
      value: f(24, 32),
    },
  },
  qk_fast_endpoint: { size: 20, fields: { family: f(0, 1), _pad: f(1, 1), port: f(2, 2), addr: f(4, 16) } },
  qk_fast_token_key: { size: 36, fields: { bank: f(0, 1), len: f(1, 1), _pad: f(2, 2), bytes: f(4, 32) } },
  qk_fast_token_value: { size: 20, fields: { n: f(0, 2), _pad: f(2, 2), idx: f(4, 16) } },
  qk_fast_cidr: { size: 18, fields: { family: f(0, 1), prefix: f(1, 1), ip: f(2, 16) } },
  qk_fast_port_range: { size: 8, fields: { min: f(0, 2), _pad: f(2, 2), end: f(4, 4) } },
  qk_fast_fw_rule: {
    size: 212,
    fields: { allow: f(0, 1), n_sources: f(1, 1), n_ports: f(2, 1), _pad: f(3, 1), sources: f(4, 144), ports: f(148, 64) },
  },
  qk_fast_flow_key: {
    size: 40,
    fields: { dir: f(0, 1), family: f(1, 1), port_a: f(2, 2), port_b: f(4, 2), _pad: f(6, 2), addr_a: f(8, 16), addr_b: f(24, 16) },
  },
  qk_fast_flow: {
    size: 64,
    fields: {
      src_addr: f(0, 16),
      dst_addr: f(16, 16),
      src_port: f(32, 2),
      dst_port: f(34, 2),
      family: f(36, 1),
      _pad: f(37, 3),
      eth_src: f(40, 6),
      eth_dst: f(46, 6),
      ifindex: f(52, 4),
      last_seen_ns: f(56, 8),
    },
  },
  qk_fast_meta: { size: 34, fields: { tag: f(0, 1), len: f(1, 1), bytes: f(2, 32) } },
  qk_fast_state: {
    size: 552,
    fields: {
      dir: f(0, 1),
      family: f(1, 1),
      src_port: f(2, 2),
      src_addr: f(4, 16),
      payload_len: f(20, 4),
      cut_front: f(24, 4),
      cut_back: f(28, 4),
      pre_len: f(32, 4),
      post_len: f(36, 4),
      pc: f(40, 4),
      steps: f(44, 4),
      verdict: f(48, 4),
      reason: f(52, 4),
      endpoint_count: f(56, 4),
      n_dests: f(60, 2),
      all_dests: f(62, 1),
      windows: f(63, 1),
      dests: f(64, 16),
      meta: f(80, 136),
      head: f(216, 64),
      tail: f(280, 64),
      pre: f(344, 32),
      post: f(376, 32),
      bank: f(408, 4),
      _pad2: f(412, 4),
      seq: f(416, 8),
      hdr: f(424, 64),
      flow_key: f(488, 40),
      pending_cells: f(528, 16),
      n_pending: f(544, 4),
      _pad3: f(548, 4),
    },
  },
  qk_fast_seed: { size: 136, fields: { meta: f(0, 136) } },
} as const satisfies Record<string, StructLayout>;
