// SPDX-License-Identifier: Apache-2.0
// Compiles bpf/tests/abi_layout.c against bpf/lib/abi.h and map_names.h and
// checks that the TypeScript mirror (abi.ts, test/support/bpf-abi-codec.ts) says the same.
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
});
