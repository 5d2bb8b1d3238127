// SPDX-License-Identifier: Apache-2.0
// A scripted ADS server for client tests: it records every request and lets the test send any
// response, built from envoy's generated service only (none of our server code).
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { ControlPlaneSchema } from '../../proto/gen/envoy/config/core/v3/base_pb';
import { DeltaDiscoveryResponseSchema } from '../../proto/gen/envoy/service/discovery/v3/discovery_pb';
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponseInit } from '../../proto/messages';
import { adsService } from './plain-ads';

export class FakeAdsServer {
  readonly requests: DeltaDiscoveryRequest[] = [];
  private calls: Array<grpc.ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponseInit>> = [];
  private server: grpc.Server | undefined;
  port = 0;

  async start(port = 0): Promise<void> {
    const server = new grpc.Server();
    server.addService(adsService().service, {
      DeltaAggregatedResources: (call: grpc.ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponseInit>) => {
        this.calls.push(call);
        call.on('data', (m: DeltaDiscoveryRequest) => {
          this.requests.push(m);
          // Answer the probe the way Quilkin's server does.
          if (m.typeUrl === 'ignore-me') call.write({ typeUrl: 'ignore-me', nonce: 'probe' });
        });
        call.on('end', () => call.end());
        call.on('error', () => undefined);
      },
      StreamAggregatedResources: (call: grpc.ServerDuplexStream<unknown, unknown>) => call.end(),
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
  send(response: DeltaDiscoveryResponseInit): void {
    const call = this.calls[this.calls.length - 1];
    if (!call) throw new Error('no client stream');
    const message = create(DeltaDiscoveryResponseSchema, response);
    message.controlPlane ??= create(ControlPlaneSchema, { identifier: 'fake-cp' });
    call.write(message);
  }

  async waitFor(predicate: (m: DeltaDiscoveryRequest) => boolean, timeoutMs = 5000, what = 'request'): Promise<DeltaDiscoveryRequest> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.requests.find(predicate);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.requests.map((r) => [r.typeUrl, r.responseNonce]))}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async stop(): Promise<void> {
    this.server?.forceShutdown();
    this.server = undefined;
    this.calls = [];
  }
}
