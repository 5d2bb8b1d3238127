// SPDX-License-Identifier: Apache-2.0
// FilterServices for unit tests: a settable clock, scripted randomness, silent logs, recorded metrics.
import { parseEndpointAddress, type SocketAddr, socketAddr } from '../../config/address';
import { IssueCollector } from '../../config/issues';
import type { JsonValue } from '../../config/model';
import { parseClusters } from '../../config/parse';
import { ClusterMap } from '../../data-plane/cluster-map';
import type { ChainMetrics, Filter, FilterServices, ReadContext, WriteContext } from '../../data-plane/filters/filter';
import { filterRegistry } from '../../data-plane/filters/index';
import type { Metadata } from '../../data-plane/filters/metadata';
import type { FilterRegistry } from '../../data-plane/filters/registry';

export interface RecordedMetrics {
  counters: Map<string, number>;
  histograms: Map<string, number[]>;
  logs: Array<{ level: string; fields: Record<string, unknown>; message: string }>;
}

export interface TestServices extends FilterServices {
  clockMs: number;
  recorded: RecordedMetrics;
}

/** Real filters from the real registry; only time, randomness and sinks are under the test's control. */
export function testServices(options: { random?: () => number; chainMetrics?: ChainMetrics; registry?: FilterRegistry } = {}): TestServices {
  const registry = options.registry ?? filterRegistry();
  const recorded: RecordedMetrics = { counters: new Map(), histograms: new Map(), logs: [] };
  const logAt = (level: string) => (fields: Record<string, unknown>, message: string) => void recorded.logs.push({ level, fields, message });
  const services: TestServices = {
    clockMs: 1_700_000_000_000,
    now: () => services.clockMs,
    random: options.random ?? Math.random,
    log: { info: logAt('info'), warn: logAt('warn'), debug: logAt('debug') },
    metrics: {
      counter: (id, label, _help, event) => {
        const key = `${id}|${label}|${event}`;
        return { inc: (by = 1) => void recorded.counters.set(key, (recorded.counters.get(key) ?? 0) + by) };
      },
      histogram: (id, label, _help, event, shared) => {
        const key = `${id}|${label}|${event}|${shared}`;
        return { observe: (v: number) => void recorded.histograms.set(key, [...(recorded.histograms.get(key) ?? []), v]) };
      },
    },
    createFilter: (name: string, config: JsonValue | undefined): Filter => registry.create(name, config, services),
    ...(options.chainMetrics ? { chainMetrics: options.chainMetrics } : {}),
    recorded,
  };
  return services;
}

/** A read context as the pipeline builds it, over the given endpoints (`ip:port` strings with optional tokens). */
export function readContext(
  contents: Buffer | string,
  options: { source?: string; endpoints?: Array<{ address: string; tokens?: Array<string | Buffer> }>; metadata?: Metadata } = {},
): ReadContext & { readonly endpoints: ClusterMap } {
  const issues = new IssueCollector();
  const raw = (options.endpoints ?? [{ address: '127.0.0.1:7001' }]).map((e) => ({
    address: e.address,
    ...(e.tokens ? { metadata: { 'quilkin.dev': { tokens: e.tokens.map((t) => Buffer.from(t).toString('base64')) } } } : {}),
  }));
  const clusters = parseClusters([{ endpoints: raw }], issues);
  if (!issues.ok) throw new Error(JSON.stringify(issues.issues));
  return {
    endpoints: new ClusterMap(clusters),
    destinations: [],
    source: addr(options.source ?? '127.0.0.1:8000'),
    contents: typeof contents === 'string' ? Buffer.from(contents) : contents,
    metadata: options.metadata ?? new Map(),
  };
}

export function writeContext(contents: Buffer | string, options: { source?: string; dest?: string; metadata?: Metadata } = {}): WriteContext {
  return {
    source: addr(options.source ?? '127.0.0.1:7001'),
    dest: addr(options.dest ?? '127.0.0.1:8000'),
    contents: typeof contents === 'string' ? Buffer.from(contents) : contents,
    metadata: options.metadata ?? new Map(),
  };
}

export function addr(text: string): SocketAddr {
  const a = parseEndpointAddress(text);
  return socketAddr(a.host, a.port);
}
