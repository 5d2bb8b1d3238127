// SPDX-License-Identifier: Apache-2.0
// Phoenix's metrics under Quilkin's names (v0.9 has none; these are upstream's later set, src/metrics.rs).
// Per-datacenter series are removed when the datacenter goes, so churn cannot grow the registry.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { FILTER_HISTOGRAM_BUCKETS } from '../../runtime/metrics';
import type { DistanceMeasure, PhoenixNode } from './coordinates';

/** Bounded label values for quilkin_phoenix_server_errors (Quilkin puts the raw error text there). */
export type PhoenixServerError = 'bad_request' | 'header_overflow' | 'timeout' | 'connection_limit' | 'connection_reset' | 'other';

export class PhoenixMetrics {
  readonly requests: Counter;
  readonly measurementSeconds: Histogram<'icao' | 'direction'>;
  readonly measurementErrors: Counter<'icao'>;
  readonly distance: Gauge<'icao'>;
  readonly coordinates: Gauge<'icao' | 'axis'>;
  readonly errorEstimate: Gauge<'icao'>;
  readonly taskClosed: Gauge;
  readonly serverErrors: Counter<'error'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({ name: 'quilkin_phoenix_requests', help: 'The amount of phoenix requests', registers });
    this.measurementSeconds = new Histogram({
      name: 'quilkin_phoenix_measurement_seconds',
      help: 'Histogram of phoenix measurements for a given node',
      labelNames: ['icao', 'direction'],
      // Quilkin uses the prometheus crate's DEFAULT_BUCKETS here, the same bounds as the filter histograms.
      buckets: FILTER_HISTOGRAM_BUCKETS,
      registers,
    });
    this.measurementErrors = new Counter({
      name: 'quilkin_phoenix_measurement_errors_total',
      help: 'The number of measurement errors',
      labelNames: ['icao'],
      registers,
    });
    this.distance = new Gauge({
      name: 'quilkin_phoenix_distance',
      help: 'The distance from this instance to another node in the network',
      labelNames: ['icao'],
      registers,
    });
    this.coordinates = new Gauge({
      name: 'quilkin_phoenix_coordinates',
      help: 'The phoenix coordinates relative to this node',
      labelNames: ['icao', 'axis'],
      registers,
    });
    this.errorEstimate = new Gauge({
      name: 'quilkin_phoenix_distance_error_estimate',
      help: 'The error estimate of the distance to another node in the network',
      labelNames: ['icao'],
      registers,
    });
    this.taskClosed = new Gauge({ name: 'quilkin_phoenix_task_closed', help: 'Whether the phoenix task has shutdown', registers });
    this.serverErrors = new Counter({
      name: 'quilkin_phoenix_server_errors',
      help: 'The amount of errors serving phoenix HTTP connections',
      labelNames: ['error'],
      registers,
    });
  }

  nodeAdded(node: PhoenixNode): void {
    this.errorEstimate.set({ icao: node.icaoCode }, node.errorEstimate);
  }

  measured(node: PhoenixNode, measure: DistanceMeasure): void {
    const icao = node.icaoCode;
    // One-way times depend on clock offsets and can come out negative; a histogram needs >= 0.
    this.measurementSeconds.observe({ icao, direction: 'incoming' }, Math.max(0, measure.incomingNs) / 1e9);
    this.measurementSeconds.observe({ icao, direction: 'outgoing' }, Math.max(0, measure.outgoingNs) / 1e9);
    const c = node.coordinates;
    if (c) {
      this.coordinates.set({ icao, axis: 'x' }, c.x);
      this.coordinates.set({ icao, axis: 'y' }, c.y);
    }
    const d = node.distance;
    if (d !== undefined) this.distance.set({ icao }, d);
  }

  failed(node: PhoenixNode): void {
    this.measurementErrors.inc({ icao: node.icaoCode });
    this.errorEstimate.set({ icao: node.icaoCode }, node.errorEstimate);
  }

  /** Drops an ICAO code's series once no datacenter with that code is left. */
  icaoGone(icao: string): void {
    for (const direction of ['incoming', 'outgoing']) this.measurementSeconds.remove({ icao, direction });
    this.measurementErrors.remove({ icao });
    this.distance.remove({ icao });
    this.coordinates.remove({ icao, axis: 'x' });
    this.coordinates.remove({ icao, axis: 'y' });
    this.errorEstimate.remove({ icao });
  }
}
