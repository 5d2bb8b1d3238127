// SPDX-License-Identifier: Apache-2.0
// A scripted ADS server for client tests: it records every request and lets the test send any
// response, built from envoy's protos only (none of our server code).
import * as grpc from '@grpc/grpc-js';
import { adsService, type Msg } from './plain-ads';

export class FakeAdsServer {
  readonly requests: Msg[] = [];
  private calls: Array<grpc.ServerDuplexStream<Msg, Msg>> = [];
  private server: grpc.Server | undefined;
  port = 0;

  async start(port = 0): Promise<void> {
    const server = new grpc.Server();
    server.addService(adsService().service, {
      DeltaAggregatedResources: (call: grpc.ServerDuplexStream<Msg, Msg>) => {
        this.calls.push(call);
        call.on('data', (m: Msg) => {
          this.requests.push(m);
          // Answer the probe the way Quilkin's server does.
          if (m.type_url === 'ignore-me') call.write({ type_url: 'ignore-me', nonce: 'probe' });
        });
        call.on('end', () => call.end());
        call.on('error', () => undefined);
      },
      StreamAggregatedResources: (call: grpc.ServerDuplexStream<Msg, Msg>) => call.end(),
    });
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    this.server = server;
  }

  get streams(): number {
    return this.calls.length;
  }

  /** Sends to the newest stream. */
  send(response: Msg): void {
    const call = this.calls[this.calls.length - 1];
    if (!call) throw new Error('no client stream');
    call.write({ control_plane: { identifier: 'fake-cp' }, ...response });
  }

  async waitFor(predicate: (m: Msg) => boolean, timeoutMs = 5000, what = 'request'): Promise<Msg> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.requests.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.requests.map((r) => [r.type_url, r.response_nonce]))}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async stop(): Promise<void> {
    this.server?.forceShutdown();
    this.server = undefined;
    this.calls = [];
  }
}
