// SPDX-License-Identifier: Apache-2.0
// Compiles bpf/tests/abi_layout.c against bpf/lib/abi.h, fast_abi.h and map_names.h and checks that
// the TypeScript mirrors (abi.ts, fast-abi.ts, test/support/bpf-abi-codec.ts and the fast path's
// data-plane/compiler/kernel-wire.ts) say the same.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { expect } from 'chai';

import { repoRoot } from '../test/support/repo';
import {
  CONSTANTS,
  COUNTERS,
  EVENT_KINDS,
  MATCH_KINDS,
  PASS_REASONS,
  STRUCTS,
  XDP_MAP_NAMES,
  XDP_OBJECTS,
  XDP_PROGRAM_NAMES,
  dropCounterIndex,
  passCounterIndex,
} from './abi';
import { decodeEvent, encodeConfig, encodeLocalAddrKey } from '../test/support/bpf-abi-codec';
import {
  CONCAT_SIDE,
  FAST,
  FAST_COUNTERS,
  FAST_STRUCTS,
  HANDOFF_REASONS,
  LB_POLICY,
  META_TAG,
  STEP,
  STEP_KINDS_MAX,
  VERDICT,
  fastDropCounterIndex,
  handoffCounterIndex,
} from './fast-abi';
import {
  decodeEndpoint,
  decodeFirewallRule,
  decodeState,
  decodeStep,
  decodeTokenKey,
  decodeTokenValue,
  encodeBank,
  encodeCtl,
  encodeEndpoint,
  encodeFirewallRule,
  encodeFlow,
  encodeFlowKey,
  encodeStep,
  encodeTokenKey,
  encodeTokenValue,
} from '../data-plane/compiler/kernel-wire';
import { ipBytes } from '../data-plane/compiler/ip-bytes';

interface CLayout {
  structs: Record<string, unknown>;
  constants: Record<string, number>;
  counters: Record<string, number>;
  pass_reasons: Record<string, number>;
  match_kinds: Record<string, number>;
  event_kinds: Record<string, number>;
  drop_reasons: Record<string, number>;
  maps: string[];
  programs: string[];
  objects: string[];
  samples: Record<string, string>;
  fast_structs: Record<string, unknown>;
  fast_constants: Record<string, number>;
  step_kinds: Record<string, number>;
  lb_policies: Record<string, number>;
  concat_sides: Record<string, number>;
  meta_tags: Record<string, number>;
  handoffs: Record<string, number>;
  verdicts: Record<string, number>;
  fast_counters: Record<string, number>;
  fast_samples: Record<string, string>;
}

/** `{ QK_STEP_CAPTURE: 3 }` -> `{ CAPTURE: 3 }`, the __MAX sentinel left out. */
function withoutPrefix(members: Record<string, number>, prefix: string): Record<string, number> {
  return Object.fromEntries(
    Object.entries(members)
      .filter(([name]) => !name.endsWith('__MAX'))
      .map(([name, value]) => [name.slice(prefix.length), value]),
  );
}

/** Enum members ordered by value, without the __MAX sentinel, as lowercase suffixes. */
function enumNames(members: Record<string, number>, prefix: string): string[] {
  return Object.entries(members)
    .filter(([name]) => !name.endsWith('__MAX'))
    .sort((a, b) => a[1] - b[1])
    .map(([name]) => name.slice(prefix.length).toLowerCase());
}

describe('bpf/abi.ts mirrors bpf/lib/abi.h', function () {
  this.timeout(60000);
  let c: CLayout;

  before(function () {
    const root = repoRoot();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qkbpf-abi-'));
    try {
      const bin = path.join(dir, 'abi_layout');
      execFileSync('cc', ['-std=gnu11', '-Wall', '-Wextra', '-Werror', `-I${root}/bpf/lib`, `${root}/bpf/tests/abi_layout.c`, '-o', bin]);
      c = JSON.parse(execFileSync(bin, { encoding: 'utf8' })) as CLayout;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has the same struct sizes and field offsets', function () {
    expect(STRUCTS).to.deep.equal(c.structs);
  });

  it('has the same constants and counter indices', function () {
    expect(CONSTANTS).to.deep.equal(c.constants);
    expect(COUNTERS).to.deep.equal(c.counters);
  });

  it('lists pass reasons, match kinds and event kinds in enum order', function () {
    expect(PASS_REASONS).to.deep.equal(enumNames(c.pass_reasons, 'QK_PASS_'));
    expect(PASS_REASONS.length).to.equal(c.pass_reasons.QK_PASS__MAX);
    expect(MATCH_KINDS).to.deep.equal(enumNames(c.match_kinds, 'QK_MATCH_'));
    expect(MATCH_KINDS.length).to.equal(c.match_kinds.QK_MATCH__MAX);
    expect(EVENT_KINDS).to.deep.equal({
      drop: c.event_kinds.QK_EVENT_DROP,
      parse_error: c.event_kinds.QK_EVENT_PARSE_ERROR,
    });
    expect(passCounterIndex('no_xsk')).to.equal(c.counters.QK_CNT_PASS_BASE + c.pass_reasons.QK_PASS_NO_XSK);
  });

  it('uses the generated drop reasons of data-plane/drop_reasons.json', function () {
    const table = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'data-plane/drop_reasons.json'), 'utf8')) as {
      reasons: { id: number; name: string }[];
    };
    const malformed = table.reasons.find((r) => r.name === 'MALFORMED');
    expect(malformed?.id).to.equal(c.drop_reasons.QK_DROP_MALFORMED);
    expect(c.drop_reasons.QK_DROP__MAX).to.equal(Math.max(...table.reasons.map((r) => r.id)) + 1);
    expect(dropCounterIndex(c.drop_reasons.QK_DROP_MALFORMED)).to.equal(c.counters.QK_CNT_DROP_BASE + 16);
    expect(() => dropCounterIndex(COUNTERS.QK_CNT_DROP_SLOTS)).to.throw(RangeError);
  });

  it('has the same map, program and object names', function () {
    expect(Object.values(XDP_MAP_NAMES)).to.have.members(c.maps).and.have.lengthOf(c.maps.length);
    expect(Object.values(XDP_PROGRAM_NAMES)).to.deep.equal(c.programs);
    expect(Object.values(XDP_OBJECTS)).to.deep.equal(c.objects);
    for (const name of c.maps) expect(name.length, name).to.be.below(16);
  });

  it('encodes config and address keys byte for byte like the C compiler', function () {
    const config = encodeConfig({
      listenPort: 7777,
      qcmpPort: 7600,
      sessionPortStart: 61000,
      sessionPortEnd: 65535,
      enabled: true,
      matchLocalAddr: true,
      xskIfindex: 3,
      localAddrsGen: 7,
    });
    expect(config.toString('hex')).to.equal(c.samples.config);
    expect(encodeLocalAddrKey('10.1.2.3').toString('hex')).to.equal(c.samples.addr_v4);
    expect(encodeLocalAddrKey('fd00:1::a:0:10.1.2.3').toString('hex')).to.equal(c.samples.addr_v6);
    expect(() => encodeLocalAddrKey('10.1.2')).to.throw(TypeError);
    expect(() => encodeConfig({ listenPort: 70000, qcmpPort: 0, sessionPortStart: 0, sessionPortEnd: 0, enabled: true, matchLocalAddr: false })).to.throw(
      RangeError,
      /listenPort/,
    );
  });

  it('decodes an event record at the C offsets', function () {
    const raw = Buffer.alloc(STRUCTS.qk_xdp_event.size);
    raw.writeUInt32LE(c.event_kinds.QK_EVENT_PARSE_ERROR, STRUCTS.qk_xdp_event.fields.kind.offset);
    raw.writeUInt32LE(7, STRUCTS.qk_xdp_event.fields.rx_queue.offset);
    raw.writeUInt16LE(0x86dd, STRUCTS.qk_xdp_event.fields.eth_proto.offset);
    const event = decodeEvent(raw);
    expect(event.kind).to.equal(EVENT_KINDS.parse_error);
    expect(event.ethProto).to.equal(0x86dd);
    expect(event.rxQueue).to.equal(7);
    expect(() => decodeEvent(Buffer.alloc(8))).to.throw(RangeError);
  });

  describe('the fast path (fast_abi.h)', function () {
    it('has the same struct sizes and field offsets', function () {
      expect(FAST_STRUCTS).to.deep.equal(c.fast_structs);
    });

    it('has the same constants, enums and counter indices', function () {
      expect(FAST).to.deep.equal(c.fast_constants);
      expect(STEP).to.deep.equal(withoutPrefix(c.step_kinds, 'QK_STEP_'));
      expect(STEP_KINDS_MAX).to.equal(c.step_kinds.QK_STEP__MAX);
      expect(LB_POLICY).to.deep.equal(withoutPrefix(c.lb_policies, 'QK_LB_'));
      expect(CONCAT_SIDE).to.deep.equal(withoutPrefix(c.concat_sides, 'QK_CONCAT_'));
      expect(META_TAG).to.deep.equal(withoutPrefix(c.meta_tags, 'QK_META_'));
      expect(VERDICT).to.deep.equal(withoutPrefix(c.verdicts, 'QK_FAST_'));
      expect(HANDOFF_REASONS).to.deep.equal(enumNames(c.handoffs, 'QK_HANDOFF_'));
      expect(HANDOFF_REASONS.length).to.equal(c.handoffs.QK_HANDOFF__MAX);
      expect(FAST_COUNTERS).to.deep.equal(c.fast_counters);
      expect(FAST_COUNTERS.QK_CNT_FAST_BASE).to.equal(COUNTERS.QK_CNT__MAX);
      expect(handoffCounterIndex('write', 'token_many')).to.equal(c.fast_counters.QK_CNT_FAST_HANDOFF_BASE + 16 + c.handoffs.QK_HANDOFF_TOKEN_MANY);
      expect(fastDropCounterIndex('write', c.drop_reasons.QK_DROP_MALFORMED)).to.equal(
        c.fast_counters.QK_CNT_FAST_DROP_BASE + 128 + c.drop_reasons.QK_DROP_MALFORMED,
      );
      expect(fastDropCounterIndex('write', 127)).to.be.below(c.fast_counters.QK_CNT_FAST__MAX);
    });

    const ip = (text: string): Buffer => ipBytes(text).bytes;
    const hex = (buf: Buffer): string => buf.toString('hex');

    it("encodes the lowering's entries byte for byte like the C compiler", function () {
      const s = c.fast_samples;
      const step = { kind: STEP.BRANCH, op: META_TAG.STRING, flags: FAST.QK_STEP_F_REMOVE, key: 1, key2: 2, next: 17, count: 4, arg: 0x01020304, slot: 9 };
      expect(hex(encodeStep({ ...step, value: Buffer.from('abc') }))).to.equal(s.step);
      expect(decodeStep(Buffer.from(s.step, 'hex'))).to.deep.equal({ ...step, len: 3, value: Buffer.from('abc') });
      expect(hex(encodeEndpoint({ family: 4, port: 7777, addr: ip('10.1.2.3') }))).to.equal(s.endpoint_v4);
      expect(hex(encodeEndpoint({ family: 6, port: 26000, addr: ip('fd00::1') }))).to.equal(s.endpoint_v6);
      expect(decodeEndpoint(Buffer.from(s.endpoint_v6, 'hex'))).to.deep.equal({ family: 6, port: 26000, addr: ip('fd00::1') });
      expect(hex(encodeTokenKey(1, Buffer.from('xyz')))).to.equal(s.token_key);
      expect(decodeTokenKey(Buffer.from(s.token_key, 'hex'))).to.deep.equal({ bank: 1, token: Buffer.from('xyz') });
      const holders = [1, 3, 5, 7, 9, 11, 13, 15, 17, 19];
      expect(hex(encodeTokenValue(holders))).to.equal(s.token_value);
      expect(decodeTokenValue(Buffer.from(s.token_value, 'hex'))).to.deep.equal({ n: 10, holders: holders.slice(0, 8) });
      const rule = {
        allow: true,
        sources: [
          { family: 4 as const, prefix: 8, ip: ip('10.0.0.0') },
          { family: 6 as const, prefix: 16, ip: ip('fd00::') },
        ],
        ports: [
          { min: 7000, end: 7001 },
          { min: 0, end: 65536 },
        ],
      };
      expect(hex(encodeFirewallRule(rule))).to.equal(s.fw_rule);
      expect(decodeFirewallRule(Buffer.from(s.fw_rule, 'hex'))).to.deep.equal(rule);
      expect(hex(encodeCtl({ bank: 1, flags: FAST.QK_FAST_F_ENABLED | FAST.QK_FAST_F_TRACE, generation: 0x1122334455n }))).to.equal(s.ctl);
      expect(hex(encodeBank(3))).to.equal(s.bank);
    });

    it("encodes the workers' flow entries like the C compiler", function () {
      const s = c.fast_samples;
      const key = { dir: FAST.QK_FAST_DIR_READ, family: 4, portA: 40000, portB: 7777, addrA: ip('192.0.2.1'), addrB: ip('10.1.2.3') };
      expect(hex(encodeFlowKey(key))).to.equal(s.flow_key);
      const flow = {
        srcAddr: ip('10.0.0.9'),
        dstAddr: ip('10.1.2.3'),
        srcPort: 61000,
        dstPort: 7777,
        family: 4,
        ethSrc: Buffer.from('020000000001', 'hex'),
        ethDst: Buffer.from('020000000002', 'hex'),
        ifindex: 3,
        lastSeenNs: 0x0102030405060708n,
      };
      expect(hex(encodeFlow(flow))).to.equal(s.flow);
    });

    it('decodes a trace record at the C offsets', function () {
      const state = decodeState(Buffer.from(c.fast_samples.state, 'hex'));
      const window = Buffer.from(Array.from({ length: FAST.QK_FAST_WINDOW }, (_, i) => i));
      expect(state).to.deep.equal({
        dir: FAST.QK_FAST_DIR_WRITE,
        family: 6,
        srcPort: 7777,
        srcAddr: ip('fd00::2'),
        payloadLen: 70,
        cutFront: 1,
        cutBack: 2,
        pre: Buffer.from('PR'),
        post: Buffer.from('POS'),
        pc: 5,
        steps: 6,
        verdict: VERDICT.HANDOFF,
        reason: HANDOFF_REASONS.indexOf('token_many'),
        endpointCount: 12,
        allDests: false,
        dests: [4, 11],
        meta: [
          { tag: META_TAG.ABSENT, bytes: Buffer.alloc(0) },
          { tag: META_TAG.BYTES, bytes: Buffer.from('tokn') },
          { tag: META_TAG.BOOL, bytes: Buffer.from([1]) },
          { tag: META_TAG.ABSENT, bytes: Buffer.alloc(0) },
        ],
        head: window,
        tail: Buffer.from(window.map((b) => b + 6)),
        bank: 1,
        seq: 42n,
      });
      expect(() => decodeState(Buffer.alloc(16))).to.throw(RangeError);
    });

    it('refuses values that do not fit their fields', function () {
      expect(() => encodeStep({ kind: STEP.CONCATENATE, value: Buffer.alloc(33) })).to.throw(RangeError, /value/);
      expect(() => encodeStep({ kind: STEP.JUMP, next: 0x10000 })).to.throw(RangeError, /next/);
      expect(() => encodeTokenKey(0, Buffer.alloc(0))).to.throw(RangeError);
      expect(() => encodeTokenKey(0, Buffer.alloc(33))).to.throw(RangeError);
    });
  });
});
