// SPDX-License-Identifier: Apache-2.0
// The relay's mDS port against hostile agents (loopback): unusable identifiers, more streams than
// one IP may hold, and an agent rotating its identifier on every response.
import * as grpc from '@grpc/grpc-js';
import { create } from '@bufbuild/protobuf';
import { expect } from 'chai';
import { startRelay } from '../../control-plane/relay';
import { filterRegistry } from '../../data-plane/filters';
import { ControlPlaneSchema } from '../../proto/gen/envoy/config/core/v3/base_pb';
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponseInit } from '../../proto/messages';
import { openStream, xdsServices } from '../../proto/services';
import { CLUSTER_TYPE } from '../../proto/type-urls';
import { QuilkinMetrics } from '../../runtime/metrics';
import { eventually } from '../support/net';

type AgentSide = grpc.ClientDuplexStream<DeltaDiscoveryResponseInit, DeltaDiscoveryRequest>;

describe('relay mDS port under abuse (loopback)', function () {
  this.timeout(30_000);
  const stops: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });

  async function relayWith(maxStreamsPerPeer = 64): Promise<{ port: number; metrics: QuilkinMetrics; agents: () => number }> {
    const metrics = new QuilkinMetrics();
    const relay = await startRelay({
      id: 'abused-relay',
      xdsPort: 0,
      mdsPort: 0,
      host: '127.0.0.1',
      validator: filterRegistry(),
      idleRequestIntervalSecs: 30,
      metrics,
      xdsLimits: { maxStreamsPerPeer },
    });
    stops.push(relay.stop);
    return { port: relay.mdsPort, metrics, agents: relay.agents };
  }

  function agentStream(port: number): { call: AgentSide; requests: DeltaDiscoveryRequest[]; failure: Promise<grpc.ServiceError> } {
    const client = new (xdsServices().mds)(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    stops.push(() => client.close());
    const call = openStream<DeltaDiscoveryResponseInit, DeltaDiscoveryRequest>(client, xdsServices().mds, 'DeltaAggregatedResources');
    stops.push(() => call.cancel());
    const requests: DeltaDiscoveryRequest[] = [];
    call.on('data', (r: DeltaDiscoveryRequest) => requests.push(r));
    const failure = new Promise<grpc.ServiceError>((resolve) => call.on('error', resolve));
    return { call, requests, failure };
  }

  it('refuses an agent id over 128 bytes or with control characters, counted, with no label for it', async () => {
    const relay = await relayWith();
    const long = agentStream(relay.port);
    long.call.write({ controlPlane: { identifier: 'a'.repeat(200) } });
    const longErr = await long.failure;
    expect(longErr.code).to.equal(grpc.status.INVALID_ARGUMENT);
    expect(longErr.details).to.equal('control_plane.identifier is 200 bytes long, more than the limit of 128');
    const newline = agentStream(relay.port);
    newline.call.write({ controlPlane: { identifier: 'agent\nforged' } });
    expect((await newline.failure).details).to.contain('U+000A');
    const text = await relay.metrics.render();
    expect(text).to.contain('quilkin_xds_streams_refused_total{reason="invalid node id"} 2');
    expect(text).to.not.contain('aaaaaaaa');
    expect(relay.agents()).to.equal(0);
  });

  it('refuses agent streams past the per-peer cap', async () => {
    const relay = await relayWith(2);
    const streams = Array.from({ length: 5 }, (_, i) => {
      const s = agentStream(relay.port);
      s.call.write({ controlPlane: { identifier: `agent-${i}` } });
      return s;
    });
    await eventually(() => relay.agents() === 2, 5000, 'two agents admitted');
    const refused = await Promise.all(streams.slice(2).map((s) => s.failure));
    expect(refused.map((e) => e.code)).to.deep.equal([8, 8, 8]);
    expect(await relay.metrics.render()).to.contain('quilkin_xds_streams_refused_total{reason="peer stream limit"} 3');
  });

  it('keeps one label per agent however often it changes its identifier, and NACKs duplicate names', async () => {
    const relay = await relayWith();
    const agent = agentStream(relay.port);
    agent.call.write({ controlPlane: { identifier: 'honest-agent' } });
    await eventually(() => agent.requests.some((r) => r.typeUrl === CLUSTER_TYPE), 5000, 'the relay subscribing');
    for (let i = 0; i < 200; i++) {
      agent.call.write({ typeUrl: CLUSTER_TYPE, nonce: `n${i}`, resources: [], controlPlane: create(ControlPlaneSchema, { identifier: `rotating-${i}` }) });
    }
    agent.call.write({
      typeUrl: CLUSTER_TYPE,
      nonce: 'dup',
      resources: [
        { name: 'eu', version: '1' },
        { name: 'eu', version: '2' },
      ],
    });
    await eventually(() => agent.requests.some((r) => r.responseNonce === 'dup'), 5000, 'the answer to the duplicate');
    const nack = agent.requests.find((r) => r.responseNonce === 'dup');
    expect(nack?.errorDetail?.message).to.equal('Cluster "eu": the response carries this resource name more than once');
    const text = await relay.metrics.render();
    expect(text).to.not.contain('rotating-');
    expect(text).to.match(/quilkin_delta_discovery_responses\{control_plane="honest-agent",type="[^"]*Cluster"\} 201/);
  });
});
