// SPDX-License-Identifier: Apache-2.0
// Loads the protos once: envoy's discovery service from @grpc/grpc-js-xds's bundled envoy-api,
// ours from this folder. gRPC service definitions come from proto-loader; our resource
// messages are encoded with protobufjs directly because they travel inside Any.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';

const OUR_PROTO_MARKER = path.join('quilkin', 'config', 'v1alpha1', 'config.proto');

/** The folder holding our .proto files; compiled code runs from dist/proto, the protos stay in proto/. */
export function protoDir(): string {
  let dir = __dirname;
  for (;;) {
    const candidate = path.basename(dir) === 'proto' ? dir : path.join(dir, 'proto');
    if (path.basename(path.dirname(candidate)) !== 'dist' && fs.existsSync(path.join(candidate, OUR_PROTO_MARKER))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find ${OUR_PROTO_MARKER} above ${__dirname}`);
    dir = parent;
  }
}

/** Include dirs of the envoy API protos that @grpc/grpc-js-xds ships (deps/envoy-api and its imports). */
export function envoyIncludeDirs(): string[] {
  const pkg = require.resolve('@grpc/grpc-js-xds/package.json');
  const deps = path.join(path.dirname(pkg), 'deps');
  const dirs = ['envoy-api', 'googleapis', 'protoc-gen-validate', 'xds'].map((d) => path.join(deps, d));
  for (const d of dirs) if (!fs.existsSync(d)) throw new Error(`envoy protos missing: ${d} (is @grpc/grpc-js-xds installed?)`);
  return dirs;
}

const LOADER_OPTIONS: protoLoader.Options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

export interface ServiceClientCtor {
  new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ChannelOptions): grpc.Client;
  service: grpc.ServiceDefinition;
}

export interface XdsServices {
  /** envoy.service.discovery.v3.AggregatedDiscoveryService */
  readonly ads: ServiceClientCtor;
  /** quilkin.relay.v1alpha1.AggregatedControlPlaneDiscoveryService (mDS, reversed stream) */
  readonly mds: ServiceClientCtor;
}

let services: XdsServices | undefined;

function lookup(root: grpc.GrpcObject, name: string): ServiceClientCtor {
  let node: unknown = root;
  for (const part of name.split('.')) node = (node as Record<string, unknown> | undefined)?.[part];
  if (typeof node !== 'function') throw new Error(`service ${name} not found in loaded protos`);
  return node as unknown as ServiceClientCtor;
}

export function xdsServices(): XdsServices {
  if (services) return services;
  const definition = protoLoader.loadSync(['envoy/service/discovery/v3/ads.proto', 'quilkin/relay/v1alpha1/relay.proto'], {
    ...LOADER_OPTIONS,
    includeDirs: [protoDir(), ...envoyIncludeDirs()],
  });
  const root = grpc.loadPackageDefinition(definition);
  services = {
    ads: lookup(root, 'envoy.service.discovery.v3.AggregatedDiscoveryService'),
    mds: lookup(root, 'quilkin.relay.v1alpha1.AggregatedControlPlaneDiscoveryService'),
  };
  return services;
}

export interface QuilkinTypes {
  readonly cluster: protobuf.Type;
  readonly filterChain: protobuf.Type;
  readonly datacenter: protobuf.Type;
}

let quilkinTypes: QuilkinTypes | undefined;

export function quilkinMessageTypes(): QuilkinTypes {
  if (quilkinTypes) return quilkinTypes;
  const root = new protobuf.Root();
  // protobufjs bundles google/protobuf/*.proto; everything else resolves against our folder.
  root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? target : path.resolve(protoDir(), target));
  root.loadSync(path.join(protoDir(), OUR_PROTO_MARKER), { keepCase: true });
  root.resolveAll();
  quilkinTypes = {
    cluster: root.lookupType('quilkin.config.v1alpha1.Cluster'),
    filterChain: root.lookupType('quilkin.config.v1alpha1.FilterChain'),
    datacenter: root.lookupType('quilkin.config.v1alpha1.Datacenter'),
  };
  return quilkinTypes;
}

/** 256 MiB, Quilkin's gRPC message limit both ways. */
export const MAX_GRPC_MESSAGE_BYTES = Number(process.env.QUILKIN_MAX_GRPC_MESSAGE_SIZE ?? 256 * 1024 * 1024);

export const GRPC_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': MAX_GRPC_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_GRPC_MESSAGE_BYTES,
};

/** Opens a bidi stream by method name, typed with our message shapes. */
export function openStream<Req, Res>(client: grpc.Client, ctor: ServiceClientCtor, method: string, metadata = new grpc.Metadata()): grpc.ClientDuplexStream<Req, Res> {
  const def = ctor.service[method] as grpc.MethodDefinition<Req, Res> | undefined;
  if (!def) throw new Error(`method ${method} not found on service`);
  return client.makeBidiStreamRequest(def.path, def.requestSerialize, def.responseDeserialize, metadata);
}

/**
 * Waits until the channel is connected, failing on the first connection failure (rather than
 * waiting out the deadline as waitForReady does) so the next server is tried at once.
 */
export function waitConnected(client: grpc.Client, timeoutMs: number, done: (err?: Error) => void): void {
  const channel = client.getChannel();
  const deadline = Date.now() + timeoutMs;
  const check = (): void => {
    const state = channel.getConnectivityState(true);
    if (state === grpc.connectivityState.READY) return done();
    if (state === grpc.connectivityState.TRANSIENT_FAILURE) return done(new Error('connection failed'));
    if (state === grpc.connectivityState.SHUTDOWN) return done(new Error('channel closed'));
    if (Date.now() >= deadline) return done(new Error(`not connected within ${timeoutMs} ms`));
    channel.watchConnectivityState(state, deadline, () => check());
  };
  check();
}
