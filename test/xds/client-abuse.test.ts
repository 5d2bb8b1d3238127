// SPDX-License-Identifier: Apache-2.0
// The proxy's xDS client against a malicious management server (a scripted grpc-js server on
// loopback): self-contradicting responses, oversized messages, floods, rotating identifiers.
import { create } from '@bufbuild/protobuf';
import { expect } from 'chai';
import { parseConfigText } from '../../config/parse';
import { ConfigStore } from '../../config/store';
import { filterRegistry } from '../../data-plane/filters';
import { startXdsClient, type XdsClient } from '../../data-plane/xds/client';
import { resourcesOf } from '../../proto/codec';
import { ResourceSchema } from '../../proto/gen/envoy/service/discovery/v3/discovery_pb';
import { DEFAULT_MAX_MESSAGE_BYTES, maxGrpcMessageBytes, setMaxGrpcMessageBytes } from '../../proto/grpc-limits';
import type { XdsResource } from '../../proto/messages';
import { CLUSTER_TYPE } from '../../proto/type-urls';
import { MAX_CONTROL_PLANE_LABELS } from '../../proto/xds-metrics';
import { QuilkinMetrics } from '../../runtime/metrics';
import { eventually } from '../support/net';
import { FakeAdsServer } from './fake-ads-server';

function clusters(yaml: string): XdsResource[] {
  const r = parseConfigText(yaml, filterRegistry());
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return [...resourcesOf(r.value, CLUSTER_TYPE).values()].map((e) =>
    create(ResourceSchema, { name: e.name, version: e.version, resource: { typeUrl: CLUSTER_TYPE, value: e.value } }),
  );
}

const EU = clusters("clusters: [{ locality: eu, endpoints: [{ address: '127.0.0.1:7001' }] }]")[0];
const EU_OTHER = clusters("clusters: [{ locality: eu, endpoints: [{ address: '127.0.0.1:7002' }] }]")[0];
const US = clusters("clusters: [{ locality: us, endpoints: [{ address: '127.0.0.1:7003' }] }]")[0];

const addresses = (store: ConfigStore): string[] => store.current.clusters.flatMap((c) => c.endpoints.map((e) => e.address.key)).sort();

describe('xDS client against a malicious management server (loopback)', function () {
  this.timeout(30_000);
  let server: FakeAdsServer;
  let client: XdsClient | undefined;
  let store: ConfigStore;
  let metrics: QuilkinMetrics;

  beforeEach(async () => {
    store = new ConfigStore();
    metrics = new QuilkinMetrics();
    server = new FakeAdsServer();
    await server.start();
    client = startXdsClient({
      servers: [`http://127.0.0.1:${server.port}`],
      nodeId: 'proxy-under-attack',
      store,
      validator: filterRegistry(),
      metrics,
      idleRequestIntervalSecs: 30,
    });
    await server.waitFor((m) => m.typeUrl === CLUSTER_TYPE, 5000, 'the Cluster subscription');
    server.send({ typeUrl: CLUSTER_TYPE, nonce: 'good', resources: [US] });
    await server.waitFor((m) => m.responseNonce === 'good', 5000, 'ACK of the good response');
  });
  afterEach(async () => {
    await client?.close();
    client = undefined;
    await server.stop();
    setMaxGrpcMessageBytes(DEFAULT_MAX_MESSAGE_BYTES);
  });

  it('NACKs a response naming one resource twice, with the name, and keeps the last good config', async () => {
    server.send({ typeUrl: CLUSTER_TYPE, nonce: 'dup', resources: [EU, EU_OTHER] });
    const nack = await server.waitFor((m) => m.responseNonce === 'dup', 5000, 'answer to the duplicate');
    expect(nack.errorDetail?.code).to.equal(3);
    expect(nack.errorDetail?.message).to.equal('Cluster "eu": the response carries this resource name more than once');
    expect(addresses(store)).to.deep.equal(['127.0.0.1:7003']);
  });

  it('NACKs a response that both updates and removes one name', async () => {
    server.send({ typeUrl: CLUSTER_TYPE, nonce: 'both', resources: [EU], removedResources: ['eu'] });
    const nack = await server.waitFor((m) => m.responseNonce === 'both', 5000, 'answer to the contradiction');
    expect(nack.errorDetail?.message).to.equal('Cluster "eu": the response both updates and removes this resource');
    expect(addresses(store)).to.deep.equal(['127.0.0.1:7003']);
  });

  it('refuses a response over the message size limit: the stream fails, the config stays, the client reconnects', async () => {
    await client?.close();
    setMaxGrpcMessageBytes(64 * 1024);
    expect(maxGrpcMessageBytes()).to.equal(64 * 1024);
    client = startXdsClient({
      servers: [`http://127.0.0.1:${server.port}`],
      nodeId: 'proxy-small-limit',
      store,
      validator: filterRegistry(),
      metrics,
      idleRequestIntervalSecs: 30,
    });
    await eventually(() => server.streams === 2, 5000, 'the second client stream');
    await server.waitFor((m) => m.node?.id === 'proxy-small-limit', 5000, 'its subscription');
    const big = { ...EU, version: 'v'.repeat(200 * 1024) };
    server.send({ typeUrl: CLUSTER_TYPE, nonce: 'big', resources: [big] });
    // The oversized message never reaches the subscriber (no ACK or NACK); the client drops the stream and dials again.
    await eventually(() => server.streams === 3, 10_000, 'a reconnect after the oversized response');
    expect(server.requests.some((m) => m.responseNonce === 'big')).to.equal(false);
    expect(addresses(store)).to.deep.equal(['127.0.0.1:7003']);
  });

  it('answers a flood of 2000 responses one by one and applies the last, with bounded control-plane and type labels', async () => {
    const flood = 2000;
    for (let i = 0; i < flood; i++) {
      server.send({
        typeUrl: i % 2 === 0 ? CLUSTER_TYPE : `type.example/${i}`,
        nonce: `f${i}`,
        resources: [i === flood - 2 ? EU : US],
        controlPlane: { identifier: `cp-${i}` },
      });
    }
    await server.waitFor((m) => m.responseNonce === `f${flood - 1}`, 20_000, 'the answer to the last response');
    expect(addresses(store)).to.deep.equal(['127.0.0.1:7001', '127.0.0.1:7003']);
    const text = await metrics.render();
    const responses = text.split('\n').filter((l) => l.startsWith('quilkin_delta_discovery_responses{'));
    // fake-cp plus the first identifiers up to the cap, then `other`; types: Cluster, the probe, `unknown`.
    expect(responses.length).to.be.at.most((MAX_CONTROL_PLANE_LABELS + 1) * 3);
    expect(text).to.contain('control_plane="other",type="unknown"');
    expect(text).to.not.contain('type.example');
  });
});
