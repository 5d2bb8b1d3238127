// SPDX-License-Identifier: Apache-2.0
// TypeScript shapes of the envoy discovery messages as @grpc/proto-loader hands them over
// (snake_case fields, 64-bit ints as strings, enums as strings, defaults filled in).

/** google.protobuf.Any as carried on the wire: the type URL and the encoded message. */
export interface AnyMessage {
  type_url: string;
  value: Buffer;
}

export interface XdsNode {
  id: string;
  cluster?: string;
  user_agent_name?: string;
}

/** google.rpc.Status: how a client says why it rejected a response. */
export interface RpcStatus {
  code: number;
  message: string;
}

export interface ControlPlane {
  identifier: string;
}

export interface XdsResource {
  name: string;
  version: string;
  resource: AnyMessage | null;
}

export interface DeltaDiscoveryRequest {
  node?: XdsNode | null;
  type_url: string;
  resource_names_subscribe: string[];
  resource_names_unsubscribe: string[];
  initial_resource_versions: Record<string, string>;
  response_nonce: string;
  error_detail?: RpcStatus | null;
}

export interface DeltaDiscoveryResponse {
  system_version_info: string;
  resources: XdsResource[];
  type_url: string;
  removed_resources: string[];
  nonce: string;
  control_plane?: ControlPlane | null;
}

export interface DiscoveryRequest {
  version_info: string;
  node?: XdsNode | null;
  resource_names: string[];
  type_url: string;
  response_nonce: string;
  error_detail?: RpcStatus | null;
}

export interface DiscoveryResponse {
  version_info: string;
  resources: AnyMessage[];
  type_url: string;
  nonce: string;
  control_plane?: ControlPlane | null;
}

/** gRPC status code INVALID_ARGUMENT, used in NACKs as Quilkin does. */
export const INVALID_ARGUMENT = 3;

/** The type URL of the connection probe a Quilkin client sends first; never a real resource. */
export const PROBE_TYPE_URL = 'ignore-me';
