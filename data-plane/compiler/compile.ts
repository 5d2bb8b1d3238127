// SPDX-License-Identifier: Apache-2.0
// The compile stage: a validated Config -> what a data path runs. Called by every config path
// (startup, file reload, xDS) before the store commits, so a config that validates but cannot run
// is refused with the reason instead of being shown in /config while the old chain keeps running.
import { type EndpointAddress, formatHostPort } from '../../config/address';
import type { ClusterConfig, Config } from '../../config/model';
import * as net from 'node:net';
import type { FilterRegistry } from '../filters/registry';
import { type CompiledChain, compileChain } from './description';
import { type Lowering, lowerChain } from './lower';

/** Where the compiler reads endpoint host names' current answers (data-plane/dns/endpoint-names.ts). */
export interface NameAnswers {
  address(host: string): string | undefined;
}

export interface CompileInputs {
  readonly registry: FilterRegistry;
  readonly names: NameAnswers;
}

export interface Compiled {
  /** The config as committed (host names as written): what /config shows. */
  readonly config: Config;
  /** The clusters that run: each resolved host name replaced in place by its address. */
  readonly clusters: readonly ClusterConfig[];
  /** Host names with no answer yet; sends to them drop as `no route` until one arrives. */
  readonly unresolved: readonly string[];
  /** The native engine's chain description (built on first use: the js backend never needs it). */
  nativeChain(): CompiledChain;
  /** The in-kernel fast path's map data, or why the chain stays in user space (built on first use: only the xdp backend asks). */
  kernelChain(): Lowering;
}

/** Every endpoint host name of a config, once each. */
export function hostNames(config: Pick<Config, 'clusters'>): string[] {
  const names = config.clusters.flatMap((c) => c.endpoints.filter((e) => e.address.kind === 'dns').map((e) => e.address.host));
  return [...new Set(names)];
}

function answered(address: EndpointAddress, ip: string): EndpointAddress {
  const kind = net.isIPv4(ip) ? 'ipv4' : 'ipv6';
  return { host: ip, port: address.port, kind, key: formatHostPort(ip, address.port, kind) };
}

/** Replaces names by their answers in place: positions, and so the engine's endpoint indices, stay as in the config. */
function resolveClusters(clusters: readonly ClusterConfig[], names: NameAnswers, unresolved: Set<string>): ClusterConfig[] {
  return clusters.map((c) => ({
    ...c,
    endpoints: c.endpoints.map((e) => {
      if (e.address.kind !== 'dns') return e;
      const ip = names.address(e.address.host);
      if (ip === undefined) {
        unresolved.add(e.address.host);
        return e;
      }
      return { ...e, address: answered(e.address, ip) };
    }),
  }));
}

/** Throws CompileError (naming the filter path) when the chain cannot be described for the engine. */
export function compile(config: Config, inputs: CompileInputs): Compiled {
  const unresolved = new Set<string>();
  const clusters = hostNames(config).length === 0 ? config.clusters : resolveClusters(config.clusters, inputs.names, unresolved);
  let chain: CompiledChain | undefined;
  let lowering: Lowering | undefined;
  return {
    config,
    clusters,
    unresolved: [...unresolved],
    nativeChain: () => (chain ??= compileChain(config.filters, clusters, inputs.registry)),
    kernelChain: () => (lowering ??= lowerChain(config.filters, clusters, inputs.registry)),
  };
}
