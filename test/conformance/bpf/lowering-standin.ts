// SPDX-License-Identifier: Apache-2.0
// TEMPORARY stand-in for data-plane/compiler/lower.ts (being written on another branch): the same
// API, lowering nothing, so the BPF runner builds before it lands. Deleted when it does.
import type { ClusterConfig, FilterConfig } from '../../../config/model';
import type { FilterRegistry } from '../../../data-plane/filters/registry';

export interface MapEntry {
  readonly key: Buffer;
  readonly value: Buffer;
}
export interface LoweredImage {
  readonly bank: 0 | 1;
  readonly header: MapEntry;
  readonly steps: readonly MapEntry[];
  readonly endpoints: readonly MapEntry[];
  readonly tokens: readonly MapEntry[];
  readonly firewall: readonly MapEntry[];
}
export interface LoweredChain {
  image(bank: 0 | 1): LoweredImage;
  readonly keys: readonly string[];
  readonly endpointKeys: readonly string[];
  readonly cells: number;
  readonly summary: string;
}
export type Lowering = { readonly lowerable: true; readonly chain: LoweredChain } | { readonly lowerable: false; readonly reason: string };

export function lowerChain(_filters: readonly FilterConfig[], _clusters: readonly ClusterConfig[], _registry: FilterRegistry): Lowering {
  return { lowerable: false, reason: 'data-plane/compiler/lower.ts has not landed' };
}
