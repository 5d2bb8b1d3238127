// SPDX-License-Identifier: Apache-2.0
// What one BPF_PROG_RUN of the fast path means for a conformance vector: the XDP action, the frame
// it sent, the traced state and the counters, read together. Anything inconsistent between them
// (a drop the counters do not show, a sent frame with a bad checksum or the wrong addresses, a
// payload that differs from the traced edits) throws: the case fails with the reason.
import {
  DIR_INDEX,
  type Direction,
  FAST_COUNTERS,
  fastDropCounterIndex,
  HANDOFF_REASONS,
  type HandoffReason,
  handoffCounterIndex,
  VERDICT,
} from '../../../bpf/fast-abi';
import { formatSocketAddr, type SocketAddr } from '../../../config/address';
import { decodeState, type FastState } from '../../../data-plane/compiler/kernel-wire';
import dropReasons from '../../../data-plane/drop_reasons.json';
import type { Metadata } from '../../../data-plane/filters/metadata';
import type { PacketOutput, PacketPending } from '../implementations';
import { fromFastMeta } from './fast-meta';
import { type RunResult, XDP } from './fast-run-driver';
import { parseFrame } from './udp-frame';

const REASON_LABELS: readonly string[] = dropReasons.reasons.map((r) => r.label);

/** Handoffs taken before the chain finished: the trace holds no outcome to judge. */
const BEFORE_THE_END: ReadonlySet<HandoffReason> = new Set(['window', 'token_many', 'chain', 'lb_ipv6_hash', 'concat']);
/** Handoffs of a finished chain the runner expects: several destinations, or an edit too big;
 * no_session only for a destination without a flow (another family than the packet's). */
const AFTER_THE_END: ReadonlySet<HandoffReason> = new Set(['fan_out', 'too_big', 'no_session']);

/** Where a session's flow sends a packet: addresses and ports, and the next hop's MACs. */
export interface SessionRoute {
  readonly src: SocketAddr;
  readonly dst: SocketAddr;
  readonly ethSrc: Buffer;
  readonly ethDst: Buffer;
  readonly ifindex: number;
}

export interface PacketContext {
  readonly direction: Direction;
  readonly input: Buffer;
  /** Metadata before the chain; keys the chain never names pass through unchanged. */
  readonly metadata: Metadata;
  /** The chain's metadata keys by index (LoweredChain.keys). */
  readonly keys: readonly string[];
  /** Endpoint keys by index (LoweredChain.endpointKeys). */
  readonly endpointKeys: readonly string[];
  /** The flow each destination leaves by: read, by endpoint index; write, the client's at 0. */
  readonly flows: ReadonlyMap<number, SessionRoute>;
}

const hex = (b: Buffer): string => b.toString('hex') || '(empty)';

function describe(run: RunResult, st?: FastState): string {
  const counters = [...run.counters].map(([i, d]) => `${i}:${d.packets}`).join(',') || 'none';
  const state = st ? `, trace verdict ${st.verdict} reason ${st.reason} pc ${st.pc} steps ${st.steps}` : '';
  return `(XDP action ${run.retval}${state}, counters moved ${counters})`;
}

function expectCounter(run: RunResult, index: number, what: string, st: FastState): void {
  if (run.counters.get(index)?.packets !== 1) throw new Error(`counter ${index} (${what}) did not move by one ${describe(run, st)}`);
}

function metadataAfter(c: PacketContext, st: FastState): Metadata {
  const out: Metadata = new Map(c.metadata);
  c.keys.forEach((key, i) => {
    const value = fromFastMeta(st.meta[i]);
    if (value === undefined) out.delete(key);
    else out.set(key, value);
  });
  return out;
}

/** The payload the traced edits make of the input: pre + input minus the cuts + post. */
export function editedPayload(input: Buffer, st: FastState): Buffer {
  if (st.cutFront + st.cutBack > input.length) throw new Error(`trace cuts ${st.cutFront}+${st.cutBack} bytes of a ${input.length}-byte payload`);
  return Buffer.concat([st.pre, input.subarray(st.cutFront, input.length - st.cutBack), st.post]);
}

function traceDestinations(c: PacketContext, st: FastState): number[] {
  const idx = st.allDests ? Array.from({ length: st.endpointCount }, (_, i) => i) : [...st.dests];
  for (const i of idx) if (i >= c.endpointKeys.length) throw new Error(`trace names endpoint ${i} of ${c.endpointKeys.length}`);
  return idx;
}

function sameAddr(a: SocketAddr, b: SocketAddr): boolean {
  return a.family === b.family && a.ip === b.ip && a.port === b.port;
}

/** The sent frame: consistent, to the flow's addresses (and MACs on XDP_TX), carrying the edits. */
function checkSent(run: RunResult, c: PacketContext, st: FastState, flow: SessionRoute): Buffer {
  const parsed = parseFrame(run.frame);
  if ('problems' in parsed) throw new Error(`sent frame ${hex(run.frame)}: ${parsed.problems.join('; ')}`);
  const f = parsed.frame;
  const problems: string[] = [];
  if (!sameAddr(f.src, flow.src)) problems.push(`source ${formatSocketAddr(f.src)}, flow says ${formatSocketAddr(flow.src)}`);
  if (!sameAddr(f.dst, flow.dst)) problems.push(`destination ${formatSocketAddr(f.dst)}, flow says ${formatSocketAddr(flow.dst)}`);
  if (run.retval === XDP.tx && !(f.ethSrc.equals(flow.ethSrc) && f.ethDst.equals(flow.ethDst))) {
    problems.push(`MACs ${hex(f.ethSrc)} -> ${hex(f.ethDst)}, flow says ${hex(flow.ethSrc)} -> ${hex(flow.ethDst)}`);
  }
  const edited = editedPayload(c.input, st);
  if (!f.payload.equals(edited)) problems.push(`payload ${hex(f.payload)}, the traced edits make ${hex(edited)}`);
  if (problems.length) throw new Error(`sent frame ${hex(run.frame)}: ${problems.join('; ')}`);
  return f.payload;
}

function forwarded(run: RunResult, c: PacketContext, st: FastState): PacketOutput {
  if (st.verdict !== VERDICT.FORWARD) throw new Error(`frame sent without a forward verdict ${describe(run, st)}`);
  const dests = c.direction === 'read' ? traceDestinations(c, st) : [0];
  if (dests.length !== 1) throw new Error(`frame sent to one of ${dests.length} destinations ${describe(run, st)}`);
  const flow = c.flows.get(dests[0]);
  if (!flow) throw new Error(`frame sent for endpoint ${dests[0]}, which has no flow ${describe(run, st)}`);
  expectCounter(run, FAST_COUNTERS.QK_CNT_FAST_TX_READ + DIR_INDEX[c.direction], 'fast tx', st);
  const contents = checkSent(run, c, st, flow);
  const destinations = c.direction === 'read' ? { destinations: [c.endpointKeys[dests[0]]] } : {};
  return { dropped: false, contents, metadata: metadataAfter(c, st), ...destinations, timestampSamples: [] };
}

function handedOff(run: RunResult, c: PacketContext, st: FastState): PacketOutput | PacketPending {
  if (st.verdict !== VERDICT.HANDOFF) throw new Error(`passed to the kernel without a handoff verdict ${describe(run, st)}`);
  const why: HandoffReason | undefined = HANDOFF_REASONS[st.reason];
  if (!why) throw new Error(`handoff reason ${st.reason} is none of fast_abi.h's ${describe(run, st)}`);
  expectCounter(run, handoffCounterIndex(c.direction, why), `handoff ${why}`, st);
  if (BEFORE_THE_END.has(why)) return { pending: `handed to the AF_XDP tier before the chain finished (${why})` };
  // A reply looks its session up before the chain: without one the chain never ran.
  if (c.direction === 'write' && why === 'no_session') {
    if (c.flows.size) throw new Error(`handoff \`no_session\` of a reply whose flow is installed ${describe(run, st)}`);
    return { pending: 'handed to the AF_XDP tier before the chain ran (no_session: the workers keep cross-family sessions in tier 1)' };
  }
  if (!AFTER_THE_END.has(why)) throw new Error(`unexpected handoff \`${why}\` ${describe(run, st)}`);
  const metadata = metadataAfter(c, st);
  const contents = editedPayload(c.input, st);
  if (c.direction === 'write') return { dropped: false, contents, metadata, timestampSamples: [] };
  const dests = traceDestinations(c, st);
  if (why === 'no_session' && (dests.length !== 1 || c.flows.has(dests[0]))) {
    throw new Error(`handoff \`no_session\` for endpoint ${dests.join(',')}, whose flow is installed ${describe(run, st)}`);
  }
  const destinations = dests.map((i) => c.endpointKeys[i]);
  return { dropped: false, contents, metadata, destinations, timestampSamples: [] };
}

function dropped(run: RunResult, c: PacketContext, st: FastState): PacketOutput {
  if (st.verdict !== VERDICT.DROP) throw new Error(`XDP_DROP without a drop verdict ${describe(run, st)}`);
  const reason = REASON_LABELS[st.reason] ?? `unknown drop reason ${st.reason}`;
  expectCounter(run, fastDropCounterIndex(c.direction, st.reason), `drop ${reason}`, st);
  return { dropped: true, reason, metadata: metadataAfter(c, st), timestampSamples: [] };
}

/** The vector-level outcome of one run, a pending reason, or a thrown inconsistency. */
export function judgeRun(run: RunResult, c: PacketContext): PacketOutput | PacketPending {
  if (!run.trace || run.trace.every((b) => b === 0)) throw new Error(`the fast path traced nothing ${describe(run)}`);
  const st = decodeState(run.trace);
  if (st.dir !== DIR_INDEX[c.direction]) throw new Error(`traced direction ${st.dir}, sent a ${c.direction} packet`);
  if (st.payloadLen !== c.input.length) throw new Error(`traced payload length ${st.payloadLen}, sent ${c.input.length}`);
  expectCounter(run, FAST_COUNTERS.QK_CNT_FAST_RX_READ + DIR_INDEX[c.direction], 'fast rx', st);
  switch (run.retval) {
    case XDP.tx:
    case XDP.redirect:
      return forwarded(run, c, st);
    case XDP.pass:
      return handedOff(run, c, st);
    case XDP.drop:
      return dropped(run, c, st);
  }
  throw new Error(`XDP action ${run.retval} ${describe(run, st)}`);
}
