// SPDX-License-Identifier: Apache-2.0
// Moves the AF_XDP workers' totals into Quilkin's own metric names (the same names and labels the
// socket backend reports): packets and bytes sent per direction, drops by reason, sessions and
// their lifetimes.
// The native totals are monotonic; each scrape adds only the growth.
import { type Direction, GEO_LABELS_EMPTY, type QuilkinMetrics } from '../../../runtime/metrics';
import type { NativeXdpBackend, XdpTotals } from '../../../native/xdp/xdp-addon';
import { dropLabel } from '../socket/counter-sync';

const DIRECTIONS: readonly Direction[] = ['read', 'write'];
const SESSION_LABELS = { ...GEO_LABELS_EMPTY, organization: '', country_code: '', prefix_entity: '', prefix_name: '' };

export class QuilkinSync {
  private last: XdpTotals | undefined;

  constructor(
    private readonly native: NativeXdpBackend,
    private readonly metrics: QuilkinMetrics,
  ) {}

  sync(): void {
    const now = this.native.totals();
    const before = this.last;
    const m = this.metrics;
    DIRECTIONS.forEach((event, d) => {
      const packets = now.packets[d] - (before?.packets[d] ?? 0);
      if (packets > 0) m.packetsTotal.inc({ event, ...GEO_LABELS_EMPTY }, packets);
      const bytes = now.bytes[d] - (before?.bytes[d] ?? 0);
      if (bytes > 0) m.bytesTotal.inc({ event, ...GEO_LABELS_EMPTY }, bytes);
      now.drops[d].forEach((count, id) => {
        const delta = count - (before?.drops[d][id] ?? 0);
        if (delta > 0) m.packetDropped(event, dropLabel(event, id), delta);
      });
    });
    const created = now.sessionsCreated - (before?.sessionsCreated ?? 0);
    if (created > 0) m.sessionTotal.inc(created);
    for (const seconds of this.native.drainDurations()) m.sessionDuration.observe(seconds);
    m.sessionActive.set(SESSION_LABELS, this.native.sessionCount());
    this.last = now;
  }
}
