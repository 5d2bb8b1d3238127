// SPDX-License-Identifier: Apache-2.0
// LoadBalancer: replaces the destinations with one endpoint, chosen from all endpoints by round robin, random or hash.
import { z } from 'zod';
import type { SocketAddr } from '../../../config/address';
import { LB_POLICY, STEP } from '../../../bpf/fast-abi';
import type { Filter, FilterFactory, FilterServices } from '../filter';
import { jsonSchemaOf, parseWith, requireConfig } from '../config-schema';

export const LOAD_BALANCER_NAME = 'quilkin.filters.load_balancer.v1alpha1.LoadBalancer';

// ---- config -------------------------------------------------------------------------------
const policy = z.enum(['ROUND_ROBIN', 'RANDOM', 'HASH'], { error: 'must be one of `ROUND_ROBIN`, `RANDOM`, `HASH`' });

/** Config is required but may be `{}`. */
const configSchema = z.object({ policy: policy.default('ROUND_ROBIN') });

export type LoadBalancerConfig = z.output<typeof configSchema>;

// ---- behaviour ----------------------------------------------------------------------------
/** FNV-1a over the source IP text and port: stable per client, no allocation. */
export function hashSource(source: SocketAddr): number {
  let h = 0x811c9dc5;
  const ip = source.ip;
  for (let i = 0; i < ip.length; i++) h = Math.imul(h ^ ip.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (source.port & 0xff), 0x01000193);
  h = Math.imul(h ^ (source.port >>> 8), 0x01000193);
  return h >>> 0;
}

type Chooser = (source: SocketAddr, count: number) => number;

function chooser(config: LoadBalancerConfig, services: FilterServices): Chooser {
  switch (config.policy) {
    case 'ROUND_ROBIN': {
      // One counter per filter instance, shared by every client (Quilkin: an atomic fetch_add).
      let next = 0;
      return (_source, count) => next++ % count;
    }
    case 'RANDOM':
      return (_source, count) => Math.floor(services.random() * count);
    case 'HASH':
      return (source, count) => hashSource(source) % count;
  }
}

export function createLoadBalancer(config: LoadBalancerConfig, services: FilterServices): Filter {
  const choose = chooser(config, services);
  return {
    read(ctx) {
      // Quilkin v0.9: picks among all endpoints and replaces the list, so earlier routing is discarded.
      const all = ctx.endpoints.addresses;
      if (all.length === 0) return undefined;
      ctx.destinations.length = 0;
      ctx.destinations.push(all[choose(ctx.source, all.length)]);
      return undefined;
    },
  };
}

// ---- native encoding (native/engine/description.md) ---------------------------------------
const POLICY_BYTE: Record<LoadBalancerConfig['policy'], number> = { ROUND_ROBIN: 0, RANDOM: 1, HASH: 2 };

export const loadBalancerFactory: FilterFactory<LoadBalancerConfig> = {
  name: LOAD_BALANCER_NAME,
  schema: jsonSchemaOf(configSchema),
  validate: (raw) => parseWith(configSchema, requireConfig(LOAD_BALANCER_NAME, raw)),
  create: createLoadBalancer,
  native: {
    encode({ w }, config) {
      w.u8(POLICY_BYTE[config.policy]);
    },
  },
  // Reads only. Round robin keeps its position in one cell (per CPU: the rotation is per CPU there).
  kernel: {
    lower(ctx, config) {
      if (ctx.direction !== 'read') return;
      const arg = config.policy === 'ROUND_ROBIN' ? ctx.cells(1) : 0;
      ctx.emit({ kind: STEP.LOAD_BALANCER, op: LB_POLICY[config.policy], arg });
      ctx.describe(config.policy.toLowerCase().replace('_', ' '));
    },
  },
};
