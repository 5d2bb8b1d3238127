// SPDX-License-Identifier: Apache-2.0
// A bare ADS peer for protocol tests: grpc-js over envoy's generated discovery service (the
// codec the product uses too), sharing none of our client or server logic, so the tests check
// the behaviour on the wire.
import * as grpc from '@grpc/grpc-js';
import { AggregatedDiscoveryService } from '../../proto/gen/envoy/service/discovery/v3/ads_pb';
import type { DeltaDiscoveryRequestInit, DeltaDiscoveryResponse, DiscoveryRequestInit, DiscoveryResponse } from '../../proto/messages';
import { grpcServiceDefinition } from '../../proto/services';

type Ctor = (new (address: string, creds: grpc.ChannelCredentials) => grpc.Client) & { service: grpc.ServiceDefinition };

let adsCtor: Ctor | undefined;

export function adsService(): Ctor {
  adsCtor ??= grpc.makeGenericClientConstructor(grpcServiceDefinition(AggregatedDiscoveryService), 'AggregatedDiscoveryService') as unknown as Ctor;
  return adsCtor;
}

/** One bidi stream with a queue of what arrived, so tests can await the next message. */
export class PlainStream<Req, Res> {
  readonly received: Res[] = [];
  error: grpc.ServiceError | undefined;
  ended = false;
  private waiters: Array<() => void> = [];

  constructor(
    readonly client: grpc.Client,
    readonly call: grpc.ClientDuplexStream<Req, Res>,
  ) {
    call.on('data', (m: Res) => {
      this.received.push(m);
      this.wake();
    });
    call.on('error', (e: grpc.ServiceError) => {
      this.error = e;
      this.wake();
    });
    call.on('end', () => {
      this.ended = true;
      this.wake();
    });
  }

  send(message: Req): void {
    this.call.write(message);
  }

  /** The next message not yet taken, or throws after `timeoutMs`. */
  async next(timeoutMs = 3000): Promise<Res> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length === 0) {
      if (this.error) throw new Error(`stream failed: ${this.error.code} ${this.error.details}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no message within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.received.shift() as Res;
  }

  /** Resolves true if nothing arrives within `ms`. */
  async quietFor(ms: number): Promise<boolean> {
    await new Promise((r) => setTimeout(r, ms));
    return this.received.length === 0;
  }

  async failure(timeoutMs = 3000): Promise<grpc.ServiceError> {
    const deadline = Date.now() + timeoutMs;
    while (!this.error && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    if (!this.error) throw new Error(`stream did not fail within ${timeoutMs} ms`);
    return this.error;
  }

  close(): void {
    this.call.cancel();
    this.client.close();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }
}

export type DeltaStream = PlainStream<DeltaDiscoveryRequestInit, DeltaDiscoveryResponse>;
export type SotwStream = PlainStream<DiscoveryRequestInit, DiscoveryResponse>;

function open<Req, Res>(port: number, method: string): PlainStream<Req, Res> {
  const Ads = adsService();
  const client = new Ads(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const def = Ads.service[method] as grpc.MethodDefinition<Req, Res>;
  return new PlainStream(client, client.makeBidiStreamRequest(def.path, def.requestSerialize, def.responseDeserialize));
}

export function openDelta(port: number): DeltaStream {
  return open(port, 'DeltaAggregatedResources');
}

export function openSotw(port: number): SotwStream {
  return open(port, 'StreamAggregatedResources');
}
