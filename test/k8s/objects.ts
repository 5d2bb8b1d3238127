// SPDX-License-Identifier: Apache-2.0
// Test fixtures shaped like the objects a real cluster with Agones returns.
import { randomUUID } from 'node:crypto';

export type Obj = { [key: string]: unknown } & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; [key: string]: unknown };
};

export type GameServerState = 'Scheduled' | 'RequestReady' | 'Ready' | 'Reserved' | 'Allocated' | 'Shutdown' | 'Unhealthy' | 'Error';

export interface GameServerSpec {
  name: string;
  namespace?: string;
  state: GameServerState;
  address?: string;
  port?: number;
  /** Raw tokens; written base64-encoded into the quilkin.dev/tokens annotation. */
  tokens?: string[];
  /** The annotation text as-is (for malformed values). */
  tokenAnnotation?: string;
  addresses?: Array<{ type: string; address: string }>;
}

/** An agones.dev/v1 GameServer as the Agones controller reports it once it has a pod. */
export function gameServer(spec: GameServerSpec): Obj {
  const annotation = spec.tokenAnnotation ?? spec.tokens?.map((t) => Buffer.from(t).toString('base64')).join(',');
  const address = spec.address;
  return {
    apiVersion: 'agones.dev/v1',
    kind: 'GameServer',
    metadata: {
      name: spec.name,
      namespace: spec.namespace ?? 'default',
      uid: randomUUID(),
      generateName: 'simple-game-server-',
      labels: { 'agones.dev/fleet': 'simple-game-server', 'agones.dev/gameserverset': 'simple-game-server-abc12' },
      annotations: { 'agones.dev/sdk-version': '1.41.0', ...(annotation !== undefined ? { 'quilkin.dev/tokens': annotation } : {}) },
      finalizers: ['agones.dev'],
    },
    spec: {
      container: 'simple-game-server',
      ports: [{ name: 'default', portPolicy: 'Dynamic', container: 'simple-game-server', containerPort: 7654, protocol: 'UDP' }],
      health: { disabled: false, initialDelaySeconds: 5, periodSeconds: 5, failureThreshold: 3 },
      scheduling: 'Packed',
      sdkServer: { logLevel: 'Info', grpcPort: 9357, httpPort: 9358 },
      template: { spec: { containers: [{ name: 'simple-game-server', image: 'us-docker.pkg.dev/agones-images/examples/simple-game-server:0.35' }] } },
    },
    status: {
      state: spec.state,
      ports: spec.port !== undefined ? [{ name: 'default', port: spec.port }] : [],
      ...(address !== undefined ? { address } : {}),
      addresses:
        spec.addresses ??
        (address !== undefined
          ? [
              { type: 'InternalIP', address },
              { type: 'Hostname', address: 'node-1' },
              { type: 'PodIP', address: '10.244.0.7' },
            ]
          : []),
      nodeName: 'node-1',
      reservedUntil: null,
      players: null,
      counters: {},
      lists: {},
    },
  };
}

/** A ConfigMap carrying a Quilkin config in data["quilkin.yaml"]. */
export function quilkinConfigMap(name: string, quilkinYaml: string | undefined, namespace = 'default'): Obj {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, uid: randomUUID(), labels: { 'quilkin.dev/configmap': 'true' } },
    ...(quilkinYaml !== undefined ? { data: { 'quilkin.yaml': quilkinYaml } } : {}),
  };
}
