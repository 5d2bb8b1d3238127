// SPDX-License-Identifier: Apache-2.0
// A bare ADS peer for protocol tests, built straight from envoy's protos with proto-loader and
// grpc-js, sharing none of our client or server code, so the tests check the wire behaviour.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as path from 'node:path';

export interface Msg {
  [key: string]: unknown;
}

type Ctor = (new (address: string, creds: grpc.ChannelCredentials) => grpc.Client) & { service: grpc.ServiceDefinition };

let adsCtor: Ctor | undefined;

export function adsService(): Ctor {
  if (adsCtor) return adsCtor;
  const deps = path.join(path.dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
  const definition = protoLoader.loadSync('envoy/service/discovery/v3/ads.proto', {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: ['envoy-api', 'googleapis', 'protoc-gen-validate', 'xds'].map((d) => path.join(deps, d)),
  });
  const root = grpc.loadPackageDefinition(definition) as unknown as { envoy: { service: { discovery: { v3: { AggregatedDiscoveryService: Ctor } } } } };
  adsCtor = root.envoy.service.discovery.v3.AggregatedDiscoveryService;
  return adsCtor;
}

/** One bidi stream with a queue of what arrived, so tests can await the next message. */
export class PlainStream {
  readonly received: Msg[] = [];
  error: grpc.ServiceError | undefined;
  ended = false;
  private waiters: Array<() => void> = [];

  constructor(
    readonly client: grpc.Client,
    readonly call: grpc.ClientDuplexStream<Msg, Msg>,
  ) {
    call.on('data', (m: Msg) => {
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

  send(message: Msg): void {
    this.call.write(message);
  }

  /** The next message not yet taken, or throws after `timeoutMs`. */
  async next(timeoutMs = 3000): Promise<Msg> {
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
    return this.received.shift() as Msg;
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

export function openPlain(port: number, method: 'DeltaAggregatedResources' | 'StreamAggregatedResources'): PlainStream {
  const Ads = adsService();
  const client = new Ads(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const def = Ads.service[method] as grpc.MethodDefinition<Msg, Msg>;
  return new PlainStream(client, client.makeBidiStreamRequest(def.path, def.requestSerialize, def.responseDeserialize));
}
