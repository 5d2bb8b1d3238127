// SPDX-License-Identifier: Apache-2.0
// Turns one delta response into a store change: validate with the shared codec (which uses the
// same config/parse.ts functions a file goes through), then store.apply, which compiles before it
// commits. Invalid, or valid but not runnable by this data path -> NACK with the reason.
import type { FilterConfigValidator } from '../../config/model';
import type { ConfigStore } from '../../config/store';
import { decodeDelta } from '../../proto/codec';
import type { DeltaDiscoveryResponse } from '../../proto/messages';
import type { ApplyResult } from '../../proto/delta-subscriber';
import type { ResourceType } from '../../proto/type-urls';

export function applyDeltaResponse(
  store: ConfigStore<unknown>,
  validator: FilterConfigValidator,
  source: string,
  type: ResourceType,
  response: DeltaDiscoveryResponse,
): ApplyResult {
  const decoded = decodeDelta(type, response.resources, response.removedResources, {
    validator,
    currentDatacenters: store.current.datacenters ?? [],
  });
  if (!decoded.ok) return decoded;
  try {
    store.apply(decoded.patch, source);
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
  return { ok: true };
}
