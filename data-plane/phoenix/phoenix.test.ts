// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { Registry } from 'prom-client';
import type { Datacenter } from '../../config/model';
import { sample } from '../../test/support/metrics-text';
import type { DistanceMeasure } from './coordinates';
import type { Measurement } from './measurement';
import { PhoenixMetrics } from './metrics';
import { DEFAULT_TIMING, Phoenix, type PhoenixTiming } from './phoenix';

/** Scripted delays per `host:port`; records what was probed and how many probes overlapped. */
class ScriptedMeasurement implements Measurement {
  readonly probed: string[] = [];
  readonly failing = new Set<string>();
  inFlight = 0;
  maxInFlight = 0;
  closed = false;

  constructor(
    readonly delays: Map<string, DistanceMeasure>,
    private readonly holdMs = 0,
  ) {}

  async measure(host: string, port: number): Promise<DistanceMeasure> {
    const key = `${host}:${port}`;
    this.probed.push(key);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.holdMs > 0) await new Promise((r) => setTimeout(r, this.holdMs));
      if (this.failing.has(key)) throw new Error('Measurement timed out');
      return this.delays.get(key) ?? { incomingNs: 0, outgoingNs: 0 };
    } finally {
      this.inFlight--;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

const ms = (n: number): number => n * 1e6;
const dc = (host: string, qcmpPort: number, icaoCode: string): Datacenter => ({ host, qcmpPort, icaoCode });
const THREE = [dc('127.0.0.1', 8080, 'ABCD'), dc('127.0.0.1', 8081, 'EFGH'), dc('127.0.0.1', 8082, 'IJKL')];

function setup(delays: Record<string, [number, number]>, timing: Partial<PhoenixTiming> = {}, holdMs = 0) {
  const registry = new Registry();
  const measurement = new ScriptedMeasurement(new Map(Object.entries(delays).map(([k, [i, o]]) => [k, { incomingNs: i, outgoingNs: o }])), holdMs);
  let seed = 1;
  const random = (): number => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
  const phoenix = new Phoenix(measurement, new PhoenixMetrics(registry), { ...DEFAULT_TIMING, ...timing }, random);
  return { registry, measurement, phoenix };
}

describe('phoenix scheduler', () => {
  it('measures every datacenter in the first round and serves them nearest first', async () => {
    const { phoenix, registry } = setup({ '127.0.0.1:8080': [10, 10], '127.0.0.1:8081': [50, 50], '127.0.0.1:8082': [30, 30] });
    phoenix.setDatacenters(THREE);
    expect(phoenix.document).to.equal('{}');
    await phoenix.runRound();
    const doc = JSON.parse(phoenix.document) as Record<string, number>;
    expect(
      Object.entries(doc)
        .sort((a, b) => a[1] - b[1])
        .map(([k]) => k),
    ).to.deep.equal(['ABCD', 'IJKL', 'EFGH']);
    expect(doc.EFGH).to.be.closeTo(50 * Math.SQRT2, 1e-9);
    const text = await registry.metrics();
    expect(sample(text, 'quilkin_phoenix_distance{icao="ABCD"}')).to.be.closeTo(10 * Math.SQRT2, 1e-6);
    expect(sample(text, 'quilkin_phoenix_coordinates{icao="IJKL",axis="x"}')).to.equal(30);
    expect(sample(text, 'quilkin_phoenix_measurement_seconds_count{icao="ABCD",direction="incoming"}')).to.equal(1);
  });

  it('leaves failed datacenters out, counts the error and retries them next round', async () => {
    const { phoenix, measurement, registry } = setup({ '127.0.0.1:8080': [100, 100], '127.0.0.1:8081': [200, 200] });
    measurement.failing.add('127.0.0.1:8081');
    phoenix.setDatacenters(THREE.slice(0, 2));
    await phoenix.runRound();
    expect(Object.keys(JSON.parse(phoenix.document))).to.deep.equal(['ABCD']);
    const text = await registry.metrics();
    expect(sample(text, 'quilkin_phoenix_measurement_errors_total{icao="EFGH"}')).to.equal(1);
    expect(sample(text, 'quilkin_phoenix_distance_error_estimate{icao="EFGH"}')).to.be.closeTo(1.1, 1e-12);
    measurement.probed.length = 0;
    measurement.failing.clear();
    await phoenix.runRound();
    expect(measurement.probed).to.deep.equal(['127.0.0.1:8081'], 'only the unmeasured one');
    // Measured after one failure: the first sample still sets the point as is.
    expect(JSON.parse(phoenix.document)).to.deep.equal({ ABCD: 100 * Math.SQRT2, EFGH: 200 * Math.SQRT2 });
  });

  it('re-measures a random half once every datacenter has coordinates (at least one)', async () => {
    const hosts = Array.from({ length: 10 }, (_, i) => dc('10.0.0.1', 9000 + i, 'ABCD'));
    const { phoenix, measurement } = setup({});
    phoenix.setDatacenters(hosts);
    await phoenix.runRound();
    measurement.probed.length = 0;
    await phoenix.runRound();
    expect(measurement.probed).to.have.length(5);
    expect(new Set(measurement.probed).size).to.equal(5);

    const single = setup({});
    single.phoenix.setDatacenters([hosts[0]]);
    await single.phoenix.runRound();
    single.measurement.probed.length = 0;
    await single.phoenix.runRound();
    expect(single.measurement.probed).to.deep.equal(['10.0.0.1:9000']);
  });

  it('lengthens the pause when the average delay is below 50 ms and shortens it above, within the range', async () => {
    const fast = setup({ '127.0.0.1:8080': [ms(10), ms(10)] }, { intervalRangeMs: [1000, 1012] });
    fast.phoenix.setDatacenters([THREE[0]]);
    expect(fast.phoenix.intervalMs).to.equal(1000);
    for (const expected of [1005, 1010, 1012, 1012]) {
      await fast.phoenix.runRound();
      expect(fast.phoenix.intervalMs).to.equal(expected);
    }
    const slow = setup({ '127.0.0.1:8080': [ms(30), ms(30)] }, { intervalRangeMs: [1000, 1012] });
    slow.phoenix.setDatacenters([THREE[0]]);
    await slow.phoenix.runRound();
    expect(slow.phoenix.intervalMs).to.equal(1000, 'clamped at the lower bound');

    const none = setup({}, { intervalRangeMs: [1000, 1012] });
    none.measurement.failing.add('127.0.0.1:8080');
    none.phoenix.setDatacenters([THREE[0]]);
    await none.phoenix.runRound();
    expect(none.phoenix.intervalMs).to.equal(1000, 'no successful measurement: unchanged');
  });

  it('drops removed datacenters from the document and their series from the registry', async () => {
    const { phoenix, registry } = setup({ '127.0.0.1:8080': [10, 10], '127.0.0.1:8081': [50, 50], '127.0.0.1:8082': [30, 30] });
    phoenix.setDatacenters(THREE);
    await phoenix.runRound();
    phoenix.setDatacenters([THREE[0]]);
    expect(Object.keys(JSON.parse(phoenix.document))).to.deep.equal(['ABCD']);
    const text = await registry.metrics();
    expect(text).to.not.include('icao="EFGH"');
    expect(text).to.include('quilkin_phoenix_distance{icao="ABCD"}');
  });

  it('restarts a datacenter whose ICAO code changes, and treats ::ffff:v4 and v4 as one address', async () => {
    const { phoenix } = setup({ '127.0.0.1:8080': [10, 10] });
    phoenix.setDatacenters([THREE[0]]);
    await phoenix.runRound();
    phoenix.setDatacenters([dc('::ffff:127.0.0.1', 8080, 'ABCD')]);
    expect(Object.keys(JSON.parse(phoenix.document))).to.deep.equal(['ABCD'], 'same node, kept');
    phoenix.setDatacenters([dc('127.0.0.1', 8080, 'WXYZ')]);
    expect(phoenix.document).to.equal('{}');
  });

  it('keeps at most maxConcurrentProbes pings in flight and at most maxNodes datacenters', async () => {
    const many = Array.from({ length: 100 }, (_, i) => dc('10.1.0.1', 10000 + i, 'ABCD'));
    const { phoenix, measurement } = setup({}, { maxConcurrentProbes: 4, maxNodes: 60 }, 2);
    phoenix.setDatacenters(many);
    await phoenix.runRound();
    expect(measurement.maxInFlight).to.equal(4);
    expect(measurement.probed).to.have.length(60);
  });

  it('measures a datacenter that arrives after the first round soon, not a whole interval later', async () => {
    const { phoenix, measurement } = setup({ '127.0.0.1:8081': [ms(1), ms(1)] }, { newNodeDelayMs: 20, minRoundGapMs: 50 });
    phoenix.start();
    try {
      await new Promise((r) => setTimeout(r, 30)); // the (empty) first round has run
      const added = Date.now();
      phoenix.setDatacenters([THREE[1]]);
      while (phoenix.document === '{}' && Date.now() - added < 2000) await new Promise((r) => setTimeout(r, 5));
      expect(Object.keys(JSON.parse(phoenix.document))).to.deep.equal(['EFGH']);
      expect(Date.now() - added).to.be.lessThan(1000);
      expect(measurement.probed).to.deep.equal(['127.0.0.1:8081']);
    } finally {
      await phoenix.stop();
    }
    expect(measurement.closed).to.equal(true);
  });

  it('marks the task closed on stop and runs no more rounds', async () => {
    const { phoenix, measurement, registry } = setup({}, { newNodeDelayMs: 1, minRoundGapMs: 1 });
    phoenix.setDatacenters([THREE[0]]);
    phoenix.start();
    await phoenix.stop();
    const probes = measurement.probed.length;
    phoenix.setDatacenters(THREE);
    await new Promise((r) => setTimeout(r, 30));
    expect(measurement.probed.length).to.equal(probes);
    expect(sample(await registry.metrics(), 'quilkin_phoenix_task_closed')).to.equal(1);
  });

  it('refuses timing that cannot work', () => {
    const registry = new Registry();
    const m = new ScriptedMeasurement(new Map());
    expect(() => new Phoenix(m, new PhoenixMetrics(registry), { ...DEFAULT_TIMING, intervalRangeMs: [10, 5] })).to.throw(/increasing/);
    expect(() => new Phoenix(m, new PhoenixMetrics(new Registry()), { ...DEFAULT_TIMING, subsetPercentage: 1.5 })).to.throw(/subset/);
  });
});
