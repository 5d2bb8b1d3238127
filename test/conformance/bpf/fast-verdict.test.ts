// SPDX-License-Identifier: Apache-2.0
// How the BPF runner reads one run (fast-verdict.ts), on made-up runs: the outcome of a drop, a sent
// frame and a fan-out, pending for a mid-chain handoff, and a failure for every inconsistency.
import { expect } from 'chai';
import { socketAddr } from '../../../config/address';
import type { PacketOutput } from '../implementations';
import { FAST_COUNTERS, FAST_STRUCTS, HANDOFF_REASONS, META_TAG, VERDICT } from '../../../bpf/fast-abi';
import { type CounterDelta, type RunResult, XDP } from './fast-run-driver';
import { judgeRun, type PacketContext, type SessionRoute } from './fast-verdict';
import { buildFrame } from './udp-frame';

const ENDPOINTS = ['127.0.0.1:7001', '127.0.0.1:7002'];
const FLOW: SessionRoute = {
  src: socketAddr('127.0.0.200', 30000),
  dst: socketAddr('127.0.0.1', 7001),
  ethSrc: Buffer.from('020000000002', 'hex'),
  ethDst: Buffer.from('02000000000e', 'hex'),
  ifindex: 1,
};
const INPUT = Buffer.from('abcdefgh');

interface TraceSpec {
  verdict: number;
  reason?: number;
  dests?: number[];
  allDests?: boolean;
  cutFront?: number;
  cutBack?: number;
  pre?: Buffer;
  meta0?: { tag: number; bytes: Buffer };
}

function trace(t: TraceSpec): Buffer {
  const { size, fields: o } = FAST_STRUCTS.qk_fast_state;
  const meta = FAST_STRUCTS.qk_fast_meta.size;
  const b = Buffer.alloc(size);
  b[o.family.offset] = 4;
  b.writeUInt32LE(INPUT.length, o.payload_len.offset);
  b.writeUInt32LE(t.cutFront ?? 0, o.cut_front.offset);
  b.writeUInt32LE(t.cutBack ?? 0, o.cut_back.offset);
  b.writeUInt32LE(t.pre?.length ?? 0, o.pre_len.offset);
  t.pre?.copy(b, o.pre.offset);
  b.writeUInt32LE(t.verdict, o.verdict.offset);
  b.writeUInt32LE(t.reason ?? 0, o.reason.offset);
  b.writeUInt32LE(ENDPOINTS.length, o.endpoint_count.offset);
  b[o.all_dests.offset] = t.allDests ? 1 : 0;
  b.writeUInt16LE(t.dests?.length ?? 0, o.n_dests.offset);
  (t.dests ?? []).forEach((d, i) => b.writeUInt16LE(d, o.dests.offset + 2 * i));
  for (let i = 0; i < 4; i++) b[o.meta.offset + i * meta] = META_TAG.ABSENT;
  if (t.meta0) {
    b[o.meta.offset] = t.meta0.tag;
    b[o.meta.offset + 1] = t.meta0.bytes.length;
    t.meta0.bytes.copy(b, o.meta.offset + 2);
  }
  return b;
}

function run(retval: number, t: TraceSpec, counter: number, frame: Buffer = Buffer.alloc(0)): RunResult {
  const moved = new Map<number, CounterDelta>([
    [FAST_COUNTERS.QK_CNT_FAST_RX_READ, { packets: 1, bytes: INPUT.length }],
    [counter, { packets: 1, bytes: 0 }],
  ]);
  return { retval, frame, trace: trace(t), counters: moved };
}

const ctx: PacketContext = {
  direction: 'read',
  input: INPUT,
  metadata: new Map([['other', 'kept']]),
  keys: ['k'],
  endpointKeys: ENDPOINTS,
  flows: new Map([[0, FLOW]]),
};

const sent = (payload: Buffer): Buffer => buildFrame({ src: FLOW.src, dst: FLOW.dst, payload, ethSrc: FLOW.ethSrc, ethDst: FLOW.ethDst });

describe('bpf conformance runner: reading a run', () => {
  it('a drop: the reason label, metadata from the trace and the untouched keys', () => {
    const out = judgeRun(
      run(XDP.drop, { verdict: VERDICT.DROP, reason: 6, meta0: { tag: META_TAG.STRING, bytes: Buffer.from('v') } }, FAST_COUNTERS.QK_CNT_FAST_DROP_BASE + 6),
      ctx,
    ) as PacketOutput;
    expect(out.dropped).to.equal(true);
    expect(out.reason).to.equal('filter::drop::dropped');
    expect([...out.metadata!]).to.deep.equal([
      ['other', 'kept'],
      ['k', 'v'],
    ]);
  });

  it('a drop the counters do not show fails', () => {
    expect(() => judgeRun(run(XDP.drop, { verdict: VERDICT.DROP, reason: 6 }, FAST_COUNTERS.QK_CNT_FAST_DROP_BASE + 5), ctx)).to.throw(/did not move/);
  });

  it('a sent frame: its payload, and the destination its flow names', () => {
    const r = run(XDP.tx, { verdict: VERDICT.FORWARD, dests: [0], cutFront: 2 }, FAST_COUNTERS.QK_CNT_FAST_TX_READ, sent(INPUT.subarray(2)));
    const out = judgeRun(r, ctx) as PacketOutput;
    expect(out.contents?.toString()).to.equal('cdefgh');
    expect(out.destinations).to.deep.equal(['127.0.0.1:7001']);
  });

  it('a sent frame with a bad UDP checksum, the wrong source or a payload other than the edits fails', () => {
    const bad = sent(INPUT);
    bad[bad.length - 1] ^= 1;
    expect(() => judgeRun(run(XDP.tx, { verdict: VERDICT.FORWARD, dests: [0] }, FAST_COUNTERS.QK_CNT_FAST_TX_READ, bad), ctx)).to.throw(/UDP checksum/);
    const wrongSrc = buildFrame({ src: socketAddr('127.0.0.100', 7777), dst: FLOW.dst, payload: INPUT, ethSrc: FLOW.ethSrc, ethDst: FLOW.ethDst });
    expect(() => judgeRun(run(XDP.tx, { verdict: VERDICT.FORWARD, dests: [0] }, FAST_COUNTERS.QK_CNT_FAST_TX_READ, wrongSrc), ctx)).to.throw(/source/);
    expect(() => judgeRun(run(XDP.tx, { verdict: VERDICT.FORWARD, dests: [0], cutBack: 1 }, FAST_COUNTERS.QK_CNT_FAST_TX_READ, sent(INPUT)), ctx)).to.throw(
      /traced edits/,
    );
  });

  it('a fan-out handoff: the payload the traced edits make and every destination', () => {
    const fanOut = HANDOFF_REASONS.indexOf('fan_out');
    const r = run(
      XDP.pass,
      { verdict: VERDICT.HANDOFF, reason: fanOut, allDests: true, pre: Buffer.from('>') },
      FAST_COUNTERS.QK_CNT_FAST_HANDOFF_BASE + fanOut,
    );
    const out = judgeRun(r, ctx) as PacketOutput;
    expect(out.contents?.toString()).to.equal('>abcdefgh');
    expect(out.destinations).to.deep.equal(ENDPOINTS);
  });

  it('a handoff before the chain finished is pending, an unexpected one fails', () => {
    const window = HANDOFF_REASONS.indexOf('window');
    expect(judgeRun(run(XDP.pass, { verdict: VERDICT.HANDOFF, reason: window }, FAST_COUNTERS.QK_CNT_FAST_HANDOFF_BASE + window), ctx)).to.deep.equal({
      pending: 'handed to the AF_XDP tier before the chain finished (window)',
    });
    const noSession = HANDOFF_REASONS.indexOf('no_session');
    expect(() =>
      judgeRun(run(XDP.pass, { verdict: VERDICT.HANDOFF, reason: noSession, dests: [0] }, FAST_COUNTERS.QK_CNT_FAST_HANDOFF_BASE + noSession), ctx),
    ).to.throw(/no_session` for endpoint 0, whose flow is installed/);
  });

  it('no session for a destination without a flow (another family) is judged from the trace', () => {
    const noSession = HANDOFF_REASONS.indexOf('no_session');
    const out = judgeRun(
      run(XDP.pass, { verdict: VERDICT.HANDOFF, reason: noSession, dests: [1] }, FAST_COUNTERS.QK_CNT_FAST_HANDOFF_BASE + noSession),
      ctx,
    ) as PacketOutput;
    expect(out.destinations).to.deep.equal(['127.0.0.1:7002']);
    const nextHop = HANDOFF_REASONS.indexOf('next_hop');
    expect(() =>
      judgeRun(run(XDP.pass, { verdict: VERDICT.HANDOFF, reason: nextHop, dests: [0] }, FAST_COUNTERS.QK_CNT_FAST_HANDOFF_BASE + nextHop), ctx),
    ).to.throw(/unexpected handoff `next_hop`/);
  });

  it('a reply without a session is pending (its chain never ran), one with a session fails', () => {
    const noSession = HANDOFF_REASONS.indexOf('no_session');
    const reply = (flows: PacketContext['flows']): PacketContext => ({ ...ctx, direction: 'write', flows });
    const r = (): RunResult => {
      const moved = run(XDP.pass, { verdict: VERDICT.HANDOFF, reason: noSession }, FAST_COUNTERS.QK_CNT_FAST_HANDOFF_BASE + 16 + noSession);
      const trace = Buffer.from(moved.trace!);
      trace[FAST_STRUCTS.qk_fast_state.fields.dir.offset] = 1;
      return { ...moved, trace, counters: new Map([...moved.counters].map(([i, d]) => [i === FAST_COUNTERS.QK_CNT_FAST_RX_READ ? i + 1 : i, d])) };
    };
    expect(judgeRun(r(), reply(new Map())))
      .to.have.property('pending')
      .that.includes('cross-family');
    expect(() => judgeRun(r(), reply(new Map([[0, FLOW]])))).to.throw(/reply whose flow is installed/);
  });

  it('a run the fast path did not trace fails', () => {
    expect(() =>
      judgeRun({ retval: XDP.pass, frame: Buffer.alloc(0), trace: Buffer.alloc(FAST_STRUCTS.qk_fast_state.size), counters: new Map() }, ctx),
    ).to.throw(/traced nothing/);
  });
});
