// SPDX-License-Identifier: Apache-2.0
// The proxy's xDS client against a scripted envoy-proto server: subscribe order, ACK, NACK with
// the reason, malformed resources, keeping the last good config, reconnect and failover.
import { create } from '@bufbuild/protobuf';
import { expect } from 'chai';
import { parseConfigText } from '../../config/parse';
import { ConfigStore } from '../../config/store';
import { filterRegistry } from '../../data-plane/filters';
import { startXdsClient, type XdsClient } from '../../data-plane/xds/client';
import { resourcesOf } from '../../proto/codec';
import { ResourceSchema } from '../../proto/gen/envoy/service/discovery/v3/discovery_pb';
import type { DeltaDiscoveryRequest, XdsResource } from '../../proto/messages';
import { CLUSTER_TYPE, DATACENTER_TYPE, FILTER_CHAIN_TYPE } from '../../proto/type-urls';
import { QuilkinMetrics } from '../../runtime/metrics';
import { eventually } from '../support/net';
import { FakeAdsServer } from './fake-ads-server';

function clusterResources(yaml: string): XdsResource[] {
  const r = parseConfigText(yaml, filterRegistry());
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return [...resourcesOf(r.value, CLUSTER_TYPE).values()].map((e) =>
    create(ResourceSchema, { name: e.name, version: e.version, resource: { typeUrl: CLUSTER_TYPE, value: e.value } }),
  );
}

const ONE = 'clusters: [{ endpoints: [{ address: 127.0.0.1:7001 }] }]';
const TWO = 'clusters: [{ endpoints: [{ address: 127.0.0.1:7001 }, { address: 127.0.0.1:7002 }] }]';

describe('xDS client (proxy side) against a scripted ADS server', () => {
  const servers: FakeAdsServer[] = [];
  let client: XdsClient | undefined;
  let store: ConfigStore;
  let metrics: QuilkinMetrics;

  const fake = async (port = 0): Promise<FakeAdsServer> => {
    const s = new FakeAdsServer();
    await s.start(port);
    servers.push(s);
    return s;
  };
  const start = (urls: string[], idleRequestIntervalSecs = 30): XdsClient => {
    client = startXdsClient({ servers: urls, nodeId: 'proxy-under-test', store, validator: filterRegistry(), metrics, idleRequestIntervalSecs });
    return client;
  };

  beforeEach(() => {
    store = new ConfigStore();
    metrics = new QuilkinMetrics();
  });
  afterEach(async () => {
    await client?.close();
    client = undefined;
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  it('probes, subscribes Cluster, Datacenter, FilterChain in order, applies and ACKs', async () => {
    const server = await fake();
    const c = start([`http://127.0.0.1:${server.port}`]);
    await server.waitFor((m) => m.typeUrl === FILTER_CHAIN_TYPE);
    expect(server.requests.slice(0, 4).map((m) => m.typeUrl)).to.deep.equal(['ignore-me', CLUSTER_TYPE, DATACENTER_TYPE, FILTER_CHAIN_TYPE]);
    expect(server.requests[0].node?.id).to.equal('proxy-under-test');
    expect(c.ready()).to.equal(true); // the probe's answer is a response on this stream
    server.send({ typeUrl: CLUSTER_TYPE, nonce: 'n1', resources: clusterResources(ONE) });
    const ack = await server.waitFor((m) => m.responseNonce === 'n1', 5000, 'ACK of n1');
    expect(ack.errorDetail).to.equal(undefined);
    expect(store.current.clusters[0].endpoints.map((e) => e.address.key)).to.deep.equal(['127.0.0.1:7001']);
    expect(await metrics.render()).to.match(/quilkin_xds_acks\{control_plane="fake-cp",type="[^"]*Cluster"\} 1/);
  });

  it('NACKs malformed resources, unknown filters, mismatched and unknown types with the reason, keeping the last good config', async () => {
    const server = await fake();
    start([`http://127.0.0.1:${server.port}`]);
    await server.waitFor((m) => m.typeUrl === CLUSTER_TYPE);
    server.send({ typeUrl: CLUSTER_TYPE, nonce: 'good', resources: clusterResources(ONE) });
    await server.waitFor((m) => m.responseNonce === 'good');

    server.send({
      typeUrl: CLUSTER_TYPE,
      nonce: 'garbage',
      resources: [{ name: '', version: '9', resource: { typeUrl: CLUSTER_TYPE, value: Buffer.from([0x12, 0xff, 0xff, 0x01]) } }],
    });
    const nack = await server.waitFor((m) => m.responseNonce === 'garbage');
    expect(nack.errorDetail?.code).to.equal(3);
    expect(nack.errorDetail?.message).to.contain('malformed Cluster message');

    const badTokens = clusterResources("clusters: [{ endpoints: [{ address: '127.0.0.1:7009' }] }]");
    server.send({
      typeUrl: FILTER_CHAIN_TYPE,
      nonce: 'badchain',
      resources: [
        { name: 'filter_chain', version: '1', resource: { typeUrl: FILTER_CHAIN_TYPE, value: Buffer.from([0x0a, 0x05, 0x0a, 0x03, 0x6e, 0x6f, 0x70]) } },
      ],
    });
    const chainNack = await server.waitFor((m) => m.responseNonce === 'badchain');
    expect(chainNack.errorDetail?.message).to.contain('`nop` not found');
    server.send({
      typeUrl: CLUSTER_TYPE,
      nonce: 'wrong-any',
      resources: badTokens.map((r) => ({ name: r.name, version: r.version, resource: { typeUrl: DATACENTER_TYPE, value: r.resource?.value } })),
    });
    expect((await server.waitFor((m) => m.responseNonce === 'wrong-any')).errorDetail?.message).to.contain('does not match');

    const unknownType = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
    server.send({ typeUrl: unknownType, nonce: 'unknown-type', resources: [] });
    expect((await server.waitFor((m) => m.responseNonce === 'unknown-type')).errorDetail?.message).to.contain('was not subscribed to');

    expect(store.current.clusters[0].endpoints.map((e) => e.address.key)).to.deep.equal(['127.0.0.1:7001']);
    expect(await metrics.render()).to.match(/quilkin_xds_nacks\{control_plane="fake-cp",type="[^"]*Cluster"\} 2/);
  });

  it('keeps routing config when the server dies and resubscribes with known versions on reconnect', async function () {
    this.timeout(20000);
    const server = await fake();
    const port = server.port;
    const c = start([`http://127.0.0.1:${port}`]);
    await server.waitFor((m) => m.typeUrl === CLUSTER_TYPE);
    const sent = clusterResources(TWO);
    server.send({ typeUrl: CLUSTER_TYPE, nonce: 'a', resources: sent });
    await server.waitFor((m) => m.responseNonce === 'a');
    await server.stop();
    await eventually(() => !c.ready(), 5000, 'client to notice the loss');
    expect(store.current.clusters[0].endpoints).to.have.length(2);

    const again = await fake(port);
    const resub = await again.waitFor((m) => m.typeUrl === CLUSTER_TYPE && !m.responseNonce, 10000, 'resubscription');
    expect(resub.initialResourceVersions).to.deep.equal({ '': sent[0].version });
    await eventually(() => c.ready(), 5000, 'ready again');
  });

  it('fails over to the next management server', async function () {
    this.timeout(20000);
    const dead = await fake();
    const deadPort = dead.port;
    await dead.stop();
    const live = await fake();
    const c = start([`http://127.0.0.1:${deadPort}`, `http://127.0.0.1:${live.port}`]);
    await live.waitFor((m) => m.typeUrl === CLUSTER_TYPE, 10000, 'subscription on the second server');
    await eventually(() => c.ready(), 5000, 'ready');
  });

  it('re-sends its subscriptions, with the versions it holds, after the idle interval', async () => {
    const server = await fake();
    start([`http://127.0.0.1:${server.port}`], 1);
    await server.waitFor((m) => m.typeUrl === CLUSTER_TYPE);
    const sent = clusterResources(ONE);
    server.send({ typeUrl: CLUSTER_TYPE, nonce: 'held', resources: sent });
    await server.waitFor((m) => m.responseNonce === 'held');
    const subscriptions = (): DeltaDiscoveryRequest[] => server.requests.filter((m) => m.typeUrl === CLUSTER_TYPE && !m.responseNonce);
    await eventually(() => subscriptions().length >= 2, 4000, 'a second Cluster subscription');
    expect(subscriptions()[1].initialResourceVersions).to.deep.equal({ '': sent[0].version });
    expect(server.requests.filter((m) => m.typeUrl === 'ignore-me')).to.have.length(1);
  });

  it('rejects management server URLs without a scheme', () => {
    expect(() => start(['127.0.0.1:7800'])).to.throw('No scheme provided');
  });
});
