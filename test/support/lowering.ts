// SPDX-License-Identifier: Apache-2.0
// Lowers a chain the way the compile stage does (configs normalised by the registry first) and
// reads the fast path's programs back out of the map entries, so filter tests check the bytes the
// BPF program will read, field by field.
import { parseEndpointAddress } from '../../config/address';
import type { ClusterConfig, EndpointConfig, JsonValue, Locality } from '../../config/model';
import { DIR_INDEX, type Direction, FAST, STEP } from '../../bpf/fast-abi';
import { decodeStep } from '../../data-plane/compiler/kernel-wire';
import { type LoweredChain, type Lowering, lowerChain } from '../../data-plane/compiler/lower';
import { filterRegistry } from '../../data-plane/filters/index';
import type { FilterRegistry } from '../../data-plane/filters/registry';

export interface TestFilter {
  readonly name: string;
  /** Raw config, as a user writes it. */
  readonly config?: unknown;
}

export type DecodedStep = ReturnType<typeof decodeStep>;

export function endpoint(address: string, tokens: readonly string[] = []): EndpointConfig {
  return { address: parseEndpointAddress(address), tokens: tokens.map((t) => Buffer.from(t)), userMetadata: {} };
}

export function cluster(endpoints: readonly EndpointConfig[], locality?: Locality): ClusterConfig {
  return { ...(locality ? { locality } : {}), endpoints };
}

/** Each filter validated and normalised by `registry`, as config/parse.ts does. */
export function normalised(filters: readonly TestFilter[], registry: FilterRegistry = filterRegistry()): { name: string; config?: JsonValue }[] {
  return filters.map((f) => {
    const config = registry.validate(f.name, f.config);
    return config === undefined ? { name: f.name } : { name: f.name, config };
  });
}

export function lowerFilters(filters: readonly TestFilter[], clusters: readonly ClusterConfig[] = [], registry: FilterRegistry = filterRegistry()): Lowering {
  return lowerChain(normalised(filters, registry), clusters, registry);
}

/** The lowered chain; fails the test with the reason when it is not lowerable. */
export function lowered(filters: readonly TestFilter[], clusters: readonly ClusterConfig[] = [], registry?: FilterRegistry): LoweredChain {
  const lowering = lowerFilters(filters, clusters, registry);
  if (!lowering.lowerable) throw new Error(`expected a lowerable chain: ${lowering.reason}`);
  return lowering.chain;
}

/** The reason; fails the test when the chain lowered. */
export function refusal(filters: readonly TestFilter[], clusters: readonly ClusterConfig[] = [], registry?: FilterRegistry): string {
  const lowering = lowerFilters(filters, clusters, registry);
  if (lowering.lowerable) throw new Error(`expected a refusal, got ${lowering.chain.summary}`);
  return lowering.reason;
}

/** A direction's steps decoded from the bank's map entries, up to (not including) the first END. */
export function program(chain: LoweredChain, dir: Direction, bank: 0 | 1 = 0): DecodedStep[] {
  const base = (bank * FAST.QK_FAST_DIRS + DIR_INDEX[dir]) * FAST.QK_FAST_STEPS;
  const steps: DecodedStep[] = [];
  for (const entry of chain.image(bank).steps) {
    const pc = entry.key.readUInt32LE() - base;
    if (pc >= 0 && pc < FAST.QK_FAST_STEPS) steps[pc] = decodeStep(entry.value);
  }
  const end = steps.findIndex((s) => s.kind === STEP.END);
  return end < 0 ? steps : steps.slice(0, end);
}

/** A step with every field zero but those given (what the encoder writes for an absent field). */
export function step(fields: Partial<DecodedStep> & { kind: number }): DecodedStep {
  const value = fields.value ?? Buffer.alloc(0);
  return { op: 0, flags: 0, key: 0, key2: 0, next: 0, count: 0, arg: 0, slot: 0, ...fields, len: value.length, value };
}
