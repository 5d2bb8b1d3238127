// SPDX-License-Identifier: Apache-2.0
// The envoy discovery messages, as generated from the vendored envoy protos (proto/gen), under
// short names. `...Init` is what a sender writes: any subset of the fields, camelCase.
import type { MessageInitShape } from '@bufbuild/protobuf';
import type {
  DeltaDiscoveryRequestSchema,
  DeltaDiscoveryResponseSchema,
  DiscoveryRequestSchema,
  DiscoveryResponseSchema,
} from './gen/envoy/service/discovery/v3/discovery_pb';

export type {
  DeltaDiscoveryRequest,
  DeltaDiscoveryResponse,
  DiscoveryRequest,
  DiscoveryResponse,
  Resource as XdsResource,
} from './gen/envoy/service/discovery/v3/discovery_pb';

export type DeltaDiscoveryRequestInit = MessageInitShape<typeof DeltaDiscoveryRequestSchema>;
export type DeltaDiscoveryResponseInit = MessageInitShape<typeof DeltaDiscoveryResponseSchema>;
export type DiscoveryRequestInit = MessageInitShape<typeof DiscoveryRequestSchema>;
export type DiscoveryResponseInit = MessageInitShape<typeof DiscoveryResponseSchema>;

/** gRPC status code INVALID_ARGUMENT, used in NACKs as Quilkin does. */
export const INVALID_ARGUMENT = 3;

/** The type URL of the connection probe a Quilkin client sends first; never a real resource. */
export const PROBE_TYPE_URL = 'ignore-me';
