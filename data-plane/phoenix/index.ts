// SPDX-License-Identifier: Apache-2.0
// Phoenix as a proxy runs it: the measuring loop fed with the config's datacenters, and the HTTP
// service on the QCMP port number over TCP.
import type { Registry } from 'prom-client';
import type { Datacenter } from '../../config/model';
import { DEFAULT_HTTP_LIMITS, type PhoenixHttpLimits, startPhoenixHttp } from './http';
import { QcmpMeasurement } from './measurement';
import { PhoenixMetrics } from './metrics';
import { DEFAULT_TIMING, Phoenix, type PhoenixTiming } from './phoenix';

export interface PhoenixOptions {
  /** The QCMP port actually bound (UDP); the HTTP service takes the same number over TCP. */
  readonly port: number;
  readonly registry: Registry;
  readonly datacenters: readonly Datacenter[];
  readonly timing?: PhoenixTiming;
  readonly limits?: PhoenixHttpLimits;
  readonly host?: string;
}

export interface RunningPhoenix {
  readonly port: number;
  readonly phoenix: Phoenix;
  setDatacenters(datacenters: readonly Datacenter[]): void;
  close(): Promise<void>;
}

export async function startPhoenix(options: PhoenixOptions): Promise<RunningPhoenix> {
  const metrics = new PhoenixMetrics(options.registry);
  const phoenix = new Phoenix(new QcmpMeasurement(), metrics, options.timing ?? DEFAULT_TIMING);
  phoenix.setDatacenters(options.datacenters);
  const http = await startPhoenixHttp(options.port, () => phoenix.document, metrics, options.limits ?? DEFAULT_HTTP_LIMITS, options.host);
  metrics.taskClosed.set(0);
  phoenix.start();
  return {
    port: http.port,
    phoenix,
    setDatacenters: (dcs) => phoenix.setDatacenters(dcs),
    close: async () => {
      await Promise.all([http.close(), phoenix.stop()]);
    },
  };
}
