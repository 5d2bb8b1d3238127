// SPDX-License-Identifier: Apache-2.0
// The TypeScript filters as a conformance implementation: the registry, FilterChain and pipeline rules.
import type { FilterConfig } from '../../config/model';
import { ClusterMap } from '../../data-plane/cluster-map';
import { FilterChain } from '../../data-plane/filters/chain';
import type { FilterMetrics, FilterServices } from '../../data-plane/filters/filter';
import { filterRegistry } from '../../data-plane/filters/index';
import { processRead, processWrite } from '../../data-plane/pipeline';
import type { ChainRunner, ChainSetup, Implementation, PacketInput, PacketOutput, RawFilterConfig, ValidationOutcome } from './implementations';

const quietLog = { info: () => undefined, warn: () => undefined, debug: () => undefined };

/** Metrics that record Timestamp's histogram samples for the case and ignore counters. */
function recordingMetrics(samples: number[]): FilterMetrics {
  return {
    counter: () => ({ inc: () => undefined }),
    histogram: () => ({ observe: (value: number) => samples.push(value) }),
  };
}

function validateChain(filters: readonly RawFilterConfig[]): ValidationOutcome {
  const registry = filterRegistry();
  try {
    return { valid: true, normalized: filters.map((f) => registry.validate(f.name, f.config ?? undefined)) };
  } catch (err) {
    return { valid: false, error: (err as Error).message };
  }
}

function createChain(setup: ChainSetup): ChainRunner {
  const registry = filterRegistry();
  const samples: number[] = [];
  const services: FilterServices = {
    now: () => setup.clock.now(),
    random: Math.random,
    log: quietLog,
    metrics: recordingMetrics(samples),
    createFilter: (name, config) => registry.create(name, config, services),
  };
  const configs: FilterConfig[] = setup.filters.map((f) => ({ name: f.name, config: (f.config ?? undefined) as FilterConfig['config'] }));
  const chain = FilterChain.build(configs, registry, services);
  const endpoints = new ClusterMap(setup.clusters);
  return {
    process(packet: PacketInput): PacketOutput {
      samples.length = 0;
      const metadata = new Map(packet.metadata);
      if (packet.direction === 'read') {
        const out = processRead(chain, endpoints, packet.source, packet.contents, metadata);
        if (out.dropped) return { dropped: true, reason: out.reason, metadata, timestampSamples: [...samples] };
        return { dropped: false, contents: out.contents, metadata, destinations: out.destinations.map((d) => d.key), timestampSamples: [...samples] };
      }
      const out = processWrite(chain, packet.source, packet.dest, packet.contents, metadata);
      if (out.dropped) return { dropped: true, reason: out.reason, metadata, timestampSamples: [...samples] };
      return { dropped: false, contents: out.contents, metadata, timestampSamples: [...samples] };
    },
    close: () => undefined,
  };
}

export const typescriptImplementation: Implementation = {
  name: 'typescript',
  unavailable: () => undefined,
  validateChain,
  createChain,
};
