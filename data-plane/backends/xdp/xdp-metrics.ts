// SPDX-License-Identifier: Apache-2.0
// XDP-specific metrics, next to the Quilkin ones (which CounterSync fills from the same totals):
// the program's per-CPU counters (redirected, passed by reason, dropped by reason, port matches,
// lost events), the rings (TX ring full, fill ring empty, TX kicks), the off-link path and QCMP
// replies, and the program's event ring drained into counters. Native counters are monotonic;
// each is reported as its growth since the previous scrape.
import { Counter, type Registry } from 'prom-client';
import { COUNTERS, MATCH_KINDS, PASS_REASONS } from '../../../bpf/abi';
import { HANDOFF_REASONS, handoffCounterIndex } from '../../../bpf/fast-abi';
import type { NativeXdpBackend, XdpEvent, XskCounterName } from '../../../native/xdp/xdp-addon';
import dropReasons from '../../drop_reasons.json';

const DROP_LABELS: readonly string[] = (() => {
  const labels: string[] = [];
  for (const r of dropReasons.reasons) labels[r.id] = r.label;
  return labels;
})();

/** Ring/socket counters exported as `quilkin_xdp_<name>_total`, with their help text. */
const XSK_METRICS: ReadonlyArray<[XskCounterName, string, string]> = [
  ['txKicks', 'tx_kicks', 'sendto calls that kicked the AF_XDP TX ring'],
  ['txKickRetries', 'tx_kick_retries', 'TX kicks the kernel answered EAGAIN/EBUSY (partial batch, kicked again)'],
  ['txKickErrors', 'tx_kick_errors', 'TX kicks that failed with another error'],
  ['txRingFull', 'tx_ring_full', 'frames refused because the TX ring was full (dropped, counted as "tx ring full")'],
  ['fillShort', 'fill_ring_short', 'fill ring refills that found fewer free UMEM frames than free slots'],
  ['kernelFillRingEmpty', 'fill_ring_empty', 'frames the kernel could not receive because the fill ring was empty (XDP_STATISTICS)'],
  ['kernelRxRingFull', 'rx_ring_full', 'frames the kernel dropped because the RX ring was full (XDP_STATISTICS)'],
  ['kernelRxDropped', 'rx_dropped', 'frames the kernel dropped for other reasons (XDP_STATISTICS)'],
  ['kernelRxInvalid', 'rx_invalid_descs', 'invalid RX descriptors (XDP_STATISTICS)'],
  ['kernelTxInvalid', 'tx_invalid_descs', 'invalid TX descriptors (XDP_STATISTICS)'],
  ['rxPackets', 'rx_packets', 'frames received on the AF_XDP sockets'],
  ['rxWakeups', 'rx_wakeups', 'fill ring wakeups (need-wakeup mode)'],
  ['copies', 'fanout_copies', 'frames copied inside UMEM to send one packet to several endpoints'],
  ['qcmpReplies', 'qcmp_replies', 'QCMP pings answered in the AF_XDP loop'],
  ['umemExhausted', 'umem_exhausted', 'times no free UMEM frame was left'],
];

/** Reports a monotonic native value as counter growth. */
class Growth {
  private readonly last = new Map<string, number>();
  add(counter: Counter<string>, key: string, value: number, labels: Record<string, string> = {}): void {
    const delta = value - (this.last.get(key) ?? 0);
    if (delta > 0) counter.inc(labels, delta);
    this.last.set(key, value);
  }
}

export class XdpMetrics {
  private readonly growth = new Growth();
  private readonly redirected: Counter<string>;
  private readonly passed: Counter<string>;
  private readonly dropped: Counter<string>;
  private readonly matched: Counter<string>;
  private readonly eventsLost: Counter<string>;
  private readonly events: Counter<string>;
  private readonly offlink: Counter<string>;
  private readonly evicted: Counter<string>;
  private readonly fastPath: Counter<string>;
  private readonly handoffs: Counter<string>;
  private readonly xsk = new Map<XskCounterName, Counter<string>>();

  constructor(registry: Registry) {
    const counter = (name: string, help: string, labelNames: string[] = []): Counter<string> =>
      new Counter({ name: `quilkin_xdp_${name}`, help, labelNames, registers: [registry] });
    this.redirected = counter('redirected_packets_total', 'Frames the XDP program redirected to an AF_XDP socket');
    this.passed = counter('passed_packets_total', 'Frames the XDP program passed to the kernel, by reason', ['reason']);
    this.dropped = counter('dropped_packets_total', 'Frames the XDP program dropped, by reason', ['reason']);
    this.matched = counter('matched_packets_total', 'Frames to a proxy port, by port kind (listen, qcmp, session)', ['port']);
    this.eventsLost = counter('events_lost_total', 'Program events lost because the ring buffer was full');
    this.events = counter('events_total', 'Program events drained from the ring buffer, by kind and reason', ['kind', 'reason']);
    this.offlink = counter('kernel_path_packets_total', 'Packets sent through a kernel socket because their destination is not behind the attached interface', [
      'event',
    ]);
    this.evicted = counter(
      'sessions_evicted_total',
      'Sessions no endpoint had answered, closed early to make room for a new session (table or session ports full)',
    );
    this.fastPath = counter(
      'fast_path_packets_total',
      'Packets the in-kernel fast path forwarded (XDP_TX) without user space; also counted in quilkin_packets_total',
      ['event'],
    );
    this.handoffs = counter(
      'fast_path_handoffs_total',
      'Packets the fast path left to the AF_XDP workers, by direction and reason (no_session: the first packet of a session)',
      ['event', 'reason'],
    );
    for (const [key, name, help] of XSK_METRICS) this.xsk.set(key, counter(`${name}_total`, help));
  }

  /** Pulls the program's counters and the workers' ring counters; drains the event ring. */
  sync(native: NativeXdpBackend): XdpEvent[] {
    const { packets } = native.bpfCounters();
    const g = this.growth;
    g.add(this.redirected, 'redirect', packets[COUNTERS.QK_CNT_REDIRECT] ?? 0);
    g.add(this.eventsLost, 'events_lost', packets[COUNTERS.QK_CNT_EVENTS_LOST] ?? 0);
    PASS_REASONS.forEach((reason, i) => g.add(this.passed, `pass:${reason}`, packets[COUNTERS.QK_CNT_PASS_BASE + i] ?? 0, { reason }));
    MATCH_KINDS.forEach((port, i) => g.add(this.matched, `match:${port}`, packets[COUNTERS.QK_CNT_MATCH_BASE + i] ?? 0, { port }));
    DROP_LABELS.forEach((reason, id) => g.add(this.dropped, `drop:${id}`, packets[COUNTERS.QK_CNT_DROP_BASE + id] ?? 0, { reason }));
    const totals = native.totals();
    for (const [key] of XSK_METRICS) g.add(this.xsk.get(key)!, `xsk:${key}`, totals.xsk[key]);
    g.add(this.offlink, 'offlink:read', totals.offlink[0], { event: 'read' });
    g.add(this.offlink, 'offlink:write', totals.offlink[1], { event: 'write' });
    g.add(this.evicted, 'evicted', totals.sessionsEvicted);
    g.add(this.fastPath, 'fast:read', totals.fastPackets[0], { event: 'read' });
    g.add(this.fastPath, 'fast:write', totals.fastPackets[1], { event: 'write' });
    for (const event of ['read', 'write'] as const)
      for (const reason of HANDOFF_REASONS)
        if (reason !== 'none') g.add(this.handoffs, `handoff:${event}:${reason}`, packets[handoffCounterIndex(event, reason)] ?? 0, { event, reason });
    const events = native.drainEvents();
    for (const e of events) this.events.inc({ kind: eventKind(e.kind), reason: eventReason(e) });
    return events;
  }
}

export function eventKind(kind: number): string {
  return kind === 1 ? 'drop' : kind === 2 ? 'parse_error' : `kind ${kind}`;
}

export function eventReason(e: XdpEvent): string {
  if (e.kind === 1) return DROP_LABELS[e.reason] ?? `reason ${e.reason}`;
  return PASS_REASONS[e.reason] ?? `reason ${e.reason}`;
}
