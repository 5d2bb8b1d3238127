// SPDX-License-Identifier: Apache-2.0
// Turns one delta response into a store change: validate with the shared codec (which uses the
// same config/parse.ts functions a file goes through), then store.apply. Invalid -> NACK reason.
import type { FilterConfigValidator } from '../../config/model';
import type { ConfigStore } from '../../config/store';
import { decodeDelta } from '../../proto/codec';
import type { DeltaDiscoveryResponse } from '../../proto/messages';
import type { ApplyResult } from '../../proto/delta-subscriber';
import type { ResourceType } from '../../proto/type-urls';

export function applyDeltaResponse(store: ConfigStore, validator: FilterConfigValidator, source: string, type: ResourceType, response: DeltaDiscoveryResponse): ApplyResult {
  const decoded = decodeDelta(type, response.resources, response.removedResources, {
    validator,
    currentDatacenters: store.current.datacenters ?? [],
  });
  if (!decoded.ok) return decoded;
  store.apply(decoded.patch, source);
  return { ok: true };
}
