// SPDX-License-Identifier: Apache-2.0
// What /metrics exports beyond values: every histogram's bucket bounds as Quilkin v0.9 writes
// them (dashboards query `le` by its text), and the process/runtime series next to Quilkin's.
import { expect } from 'chai';
import { QuilkinMetrics } from './metrics';

/** Quilkin v0.9's bounds, from its source's constants: prometheus-rs exponential_buckets
 *  (start, then times factor each step) and DEFAULT_BUCKETS. Written out here, not imported, so
 *  a change in runtime/metrics.ts cannot move the expectation with it. */
function rustExponential(start: number, factor: number, count: number): number[] {
  const out: number[] = [];
  for (let next = start, i = 0; i < count; i++, next *= factor) out.push(next);
  return out;
}
const QUILKIN_V09_BOUNDS: Record<string, number[]> = {
  quilkin_packets_processing_duration_seconds: rustExponential(0.00025, 2, 13), // metrics.rs
  quilkin_filter_read_duration_seconds: rustExponential(0.000125, 2.5, 11), // filters/chain.rs
  quilkin_filter_write_duration_seconds: rustExponential(0.000125, 2.5, 11),
  quilkin_session_duration_secs: [1, 5, 10, 25, 60, 300, 900, 1800, 3600], // sessions/inner_metrics.rs
  quilkin_filter_histogram: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], // prometheus DEFAULT_BUCKETS
};

/** The `le` texts of the first label set of each histogram in the exposition, in order. */
function bucketBounds(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const firstLabels = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)_bucket\{(.*)\} /.exec(line);
    if (!m) continue;
    const [, name, labels] = m;
    const le = /(?:^|,)le="([^"]+)"/.exec(labels)?.[1];
    if (le === undefined) continue;
    const others = labels.replace(/(?:^|,)le="[^"]+"/, '');
    if (!firstLabels.has(name)) firstLabels.set(name, others);
    if (firstLabels.get(name) !== others) continue;
    if (!out.has(name)) out.set(name, []);
    out.get(name)!.push(le);
  }
  return out;
}

describe('QuilkinMetrics exposition', () => {
  it('exports every histogram with Quilkin v0.9 bucket bounds, by metric name', async () => {
    const m = new QuilkinMetrics({ processMetrics: false });
    m.processingDuration.observe({ event: 'read' }, 0.001);
    m.filterReadDuration.observe({ filter: 'quilkin.filters.debug.v1alpha1.Debug' }, 0.001);
    m.filterWriteDuration.observe({ filter: 'quilkin.filters.debug.v1alpha1.Debug' }, 0.001);
    m.sessionDuration.observe(3);
    m.filters.histogram('quilkin.filters.timestamp.v1alpha1.Timestamp', 'duration', 'h', 'read', 'k').observe(0.2);
    const exported = bucketBounds(await m.render());
    // Every histogram the registry holds is in the table: a new one must be checked against v0.9.
    expect([...exported.keys()].sort()).to.deep.equal(Object.keys(QUILKIN_V09_BOUNDS).sort());
    for (const [name, bounds] of Object.entries(QUILKIN_V09_BOUNDS)) {
      // prometheus-rs writes a bound with Rust's shortest round-trip float text, as JS does.
      expect(exported.get(name), name).to.deep.equal([...bounds.map(String), '+Inf']);
    }
  });

  it("exports prom-client process and Node.js runtime series beside Quilkin's", async () => {
    const text = await new QuilkinMetrics().render();
    for (const name of [
      'process_cpu_seconds_total',
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'process_start_time_seconds',
      'process_open_fds',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_version_info',
    ]) {
      expect(text, name).to.match(new RegExp(`^# TYPE ${name} `, 'm'));
      expect(text, name).to.match(new RegExp(`^${name}(\\{[^}]*\\})? [0-9.e+-]+$`, 'm'));
    }
    expect(Number(/^process_resident_memory_bytes (\S+)$/m.exec(text)?.[1])).to.be.above(1e6);
    // Quilkin's jemalloc series are not faked from V8's heap (README, deliberate differences).
    expect(text).to.not.match(/^quilkin_(allocation|extant_allocation)_/m);
  });

  it('leaves the process series out when asked (a second registry in one process)', async () => {
    const text = await new QuilkinMetrics({ processMetrics: false }).render();
    expect(text).to.not.match(/^process_|^nodejs_/m);
    expect(text).to.match(/^# TYPE quilkin_packets_total counter$/m);
  });
});
