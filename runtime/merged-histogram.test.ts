// SPDX-License-Identifier: Apache-2.0
// The processing-duration histogram as exported: JS observations plus native sources' totals,
// including a removed source whose last totals must stay counted.
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { type HistogramCells, MergedHistogram } from './merged-histogram';
import { PROCESSING_BOUNDS, QuilkinMetrics } from './metrics';

const NAME = 'quilkin_packets_processing_duration_seconds';

/** name{labels} -> value from the Prometheus text. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(NAME)) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

/** Cells with `n` packets in bucket `k` (k = 13 is +Inf). */
function cells(entries: Array<[k: number, n: number]>, sum: number): HistogramCells {
  const buckets = new Array<number>(PROCESSING_BOUNDS.length + 1).fill(0);
  for (const [k, n] of entries) buckets[k] += n;
  return { buckets, count: buckets.reduce((a, b) => a + b, 0), sum };
}

const ZERO = cells([], 0);

describe('MergedHistogram (quilkin_packets_processing_duration_seconds)', () => {
  it('adds native sources to JS observations per event, cumulative, and keeps a removed source', async () => {
    const m = new QuilkinMetrics();
    m.processingDuration.observe({ event: 'read' }, 0.0001); // bucket 0.00025
    m.processingDuration.observe({ event: 'read' }, 0.003); // bucket 0.004
    let a: [HistogramCells, HistogramCells] = [
      cells(
        [
          [0, 10],
          [2, 1],
        ],
        0.5,
      ),
      cells([[0, 4]], 0.25),
    ];
    const b: [HistogramCells, HistogramCells] = [
      cells(
        [
          [0, 5],
          [13, 1],
        ],
        2,
      ),
      ZERO,
    ];
    const removeA = m.addNativeProcessing(() => a);
    m.addNativeProcessing(() => b);

    let s = parse(await m.render());
    expect(s.get(`${NAME}_bucket{le="0.00025",event="read"}`)).to.equal(1 + 10 + 5);
    expect(s.get(`${NAME}_bucket{le="0.0005",event="read"}`)).to.equal(16);
    expect(s.get(`${NAME}_bucket{le="0.001",event="read"}`)).to.equal(17);
    expect(s.get(`${NAME}_bucket{le="0.004",event="read"}`)).to.equal(18);
    expect(s.get(`${NAME}_bucket{le="1.024",event="read"}`)).to.equal(18);
    expect(s.get(`${NAME}_bucket{le="+Inf",event="read"}`)).to.equal(19);
    expect(s.get(`${NAME}_count{event="read"}`)).to.equal(19);
    expect(s.get(`${NAME}_sum{event="read"}`)).to.be.closeTo(0.0031 + 0.5 + 2, 1e-9);
    // No JS observation of writes: the series exists from the native totals alone.
    expect(s.get(`${NAME}_bucket{le="0.00025",event="write"}`)).to.equal(4);
    expect(s.get(`${NAME}_bucket{le="+Inf",event="write"}`)).to.equal(4);
    expect(s.get(`${NAME}_count{event="write"}`)).to.equal(4);
    expect(s.get(`${NAME}_sum{event="write"}`)).to.equal(0.25);

    // Source a grows, then stops: its last totals stay; later calls of its reader are not made.
    a = [
      cells(
        [
          [0, 20],
          [2, 1],
        ],
        1,
      ),
      cells([[0, 4]], 0.25),
    ];
    removeA();
    a = [ZERO, ZERO];
    removeA(); // idempotent
    s = parse(await m.render());
    expect(s.get(`${NAME}_bucket{le="0.00025",event="read"}`)).to.equal(1 + 20 + 5);
    expect(s.get(`${NAME}_count{event="read"}`)).to.equal(2 + 21 + 6);
    expect(s.get(`${NAME}_sum{event="read"}`)).to.be.closeTo(0.0031 + 1 + 2, 1e-9);
    expect(s.get(`${NAME}_count{event="write"}`)).to.equal(4);

    // A second backend after the first (restart): counts keep growing from where they were.
    m.addNativeProcessing(() => [cells([[1, 3]], 0.0015), ZERO]);
    s = parse(await m.render());
    expect(s.get(`${NAME}_bucket{le="0.00025",event="read"}`)).to.equal(26);
    expect(s.get(`${NAME}_bucket{le="0.0005",event="read"}`)).to.equal(26 + 3);
    expect(s.get(`${NAME}_count{event="read"}`)).to.equal(29 + 3);
  });

  it('shows the same totals through get() as through the text output', async () => {
    const registry = new Registry();
    const h = new MergedHistogram({ name: 'merged_test', help: 'h', labelNames: ['event'], buckets: [1, 2], registers: [registry] });
    h.observe({ event: 'read' }, 1.5);
    h.addSource(() => [{ labels: { event: 'read' }, cells: { buckets: [2, 0, 1], count: 3, sum: 7 } }]);
    const values = (await h.get()).values.map((v) => [v.metricName, (v.labels as Record<string, unknown>).le ?? '', v.labels.event, v.value]);
    expect(values).to.deep.equal([
      ['merged_test_bucket', 1, 'read', 2],
      ['merged_test_bucket', 2, 'read', 3],
      ['merged_test_bucket', '+Inf', 'read', 4],
      ['merged_test_sum', '', 'read', 8.5],
      ['merged_test_count', '', 'read', 4],
    ]);
  });

  it('refuses a source whose buckets do not match the bounds', () => {
    const h = new MergedHistogram({ name: 'merged_bad', help: 'h', labelNames: ['event'], buckets: [1, 2], registers: [] });
    expect(() => h.addSource(() => [{ labels: { event: 'read' }, cells: { buckets: [1, 0], count: 1, sum: 1 } }])).to.throw('expected 3');
  });
});
