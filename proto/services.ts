// SPDX-License-Identifier: Apache-2.0
// grpc-js service definitions and clients built from the generated descriptors (proto/gen), so
// nothing is read from disk at run time. Messages are protobuf-es objects; writers may pass an
// init shape (plain object, defaults left out), which is completed before it is encoded.
import { create, type DescMessage, type DescService, fromBinary, isMessage, type MessageInitShape, type MessageShape, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { AggregatedDiscoveryService } from './gen/envoy/service/discovery/v3/ads_pb';
import { AggregatedControlPlaneDiscoveryService } from './gen/quilkin/relay/v1alpha1/relay_pb';

export interface ServiceClientCtor {
  new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ChannelOptions): grpc.Client;
  service: grpc.ServiceDefinition;
}

/**
 * Encodes a message, or an init shape of one, as grpc-js wants it. grpc-js types the value as
 * unknown here; the typed stream (see openStream) is what holds callers to the schema.
 */
export function serializer<D extends DescMessage>(schema: D): (message: unknown) => Buffer {
  return (message) => Buffer.from(toBinary(schema, isMessage(message, schema) ? message : create(schema, message as MessageInitShape<D>)));
}

export function deserializer<D extends DescMessage>(schema: D): (bytes: Buffer) => MessageShape<D> {
  return (bytes) => fromBinary(schema, bytes);
}

/** The grpc-js definition of `service`, keyed by method name as in the .proto (`DeltaAggregatedResources`). */
export function grpcServiceDefinition(service: DescService): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    definition[method.name] = {
      path: `/${service.typeName}/${method.name}`,
      requestStream: method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming',
      responseStream: method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming',
      requestSerialize: serializer(method.input),
      requestDeserialize: deserializer(method.input),
      responseSerialize: serializer(method.output),
      responseDeserialize: deserializer(method.output),
      originalName: method.localName,
    };
  }
  return definition;
}

function clientCtor(service: DescService): ServiceClientCtor {
  return grpc.makeGenericClientConstructor(grpcServiceDefinition(service), service.name) as unknown as ServiceClientCtor;
}

export interface XdsServices {
  /** envoy.service.discovery.v3.AggregatedDiscoveryService */
  readonly ads: ServiceClientCtor;
  /** quilkin.relay.v1alpha1.AggregatedControlPlaneDiscoveryService (mDS, reversed stream) */
  readonly mds: ServiceClientCtor;
}

let services: XdsServices | undefined;

export function xdsServices(): XdsServices {
  services ??= { ads: clientCtor(AggregatedDiscoveryService), mds: clientCtor(AggregatedControlPlaneDiscoveryService) };
  return services;
}

/** Opens a bidi stream by method name, typed with the generated message shapes. */
export function openStream<Req, Res>(
  client: grpc.Client,
  ctor: ServiceClientCtor,
  method: string,
  metadata = new grpc.Metadata(),
): grpc.ClientDuplexStream<Req, Res> {
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
