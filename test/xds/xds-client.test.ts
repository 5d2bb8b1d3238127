// SPDX-License-Identifier: Apache-2.0
// The proxy's xDS client against a scripted envoy-proto server: subscribe order, ACK, NACK with
// the reason, malformed resources, keeping the last good config, reconnect and failover.
import { expect } from 'chai';
import { parseConfigText } from '../../config/parse';
import { ConfigStore } from '../../config/store';
import { filterRegistry } from '../../data-plane/filters';
import { startXdsClient, type XdsClient } from '../../data-plane/xds/client';
import { resourcesOf } from '../../proto/codec';
import { CLUSTER_TYPE, DATACENTER_TYPE, FILTER_CHAIN_TYPE } from '../../proto/type-urls';
import { QuilkinMetrics } from '../../runtime/metrics';
import { eventually } from '../support/net';
import { FakeAdsServer } from './fake-ads-server';
import type { Msg } from './plain-ads';

function clusterResources(yaml: string): Msg[] {
  const r = parseConfigText(yaml, filterRegistry());
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return [...resourcesOf(r.value, CLUSTER_TYPE).values()].map((e) => ({ name: e.name, version: e.version, resource: { type_url: CLUSTER_TYPE, value: e.value } }));
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
    await server.waitFor((m) => m.type_url === FILTER_CHAIN_TYPE);
    expect(server.requests.slice(0, 4).map((m) => m.type_url)).to.deep.equal(['ignore-me', CLUSTER_TYPE, DATACENTER_TYPE, FILTER_CHAIN_TYPE]);
    expect((server.requests[0].node as { id: string }).id).to.equal('proxy-under-test');
    expect(c.ready()).to.equal(true); // the probe's answer is a response on this stream
    server.send({ type_url: CLUSTER_TYPE, nonce: 'n1', resources: clusterResources(ONE) });
    const ack = await server.waitFor((m) => m.response_nonce === 'n1', 5000, 'ACK of n1');
    expect(ack.error_detail).to.equal(null);
    expect(store.current.clusters[0].endpoints.map((e) => e.address.key)).to.deep.equal(['127.0.0.1:7001']);
    expect(await metrics.render()).to.match(/quilkin_xds_acks\{control_plane="fake-cp",type="[^"]*Cluster"\} 1/);
  });

  it('NACKs malformed resources, unknown filters, mismatched and unknown types with the reason, keeping the last good config', async () => {
    const server = await fake();
    start([`http://127.0.0.1:${server.port}`]);
    await server.waitFor((m) => m.type_url === CLUSTER_TYPE);
    server.send({ type_url: CLUSTER_TYPE, nonce: 'good', resources: clusterResources(ONE) });
    await server.waitFor((m) => m.response_nonce === 'good');

    server.send({ type_url: CLUSTER_TYPE, nonce: 'garbage', resources: [{ name: '', version: '9', resource: { type_url: CLUSTER_TYPE, value: Buffer.from([0x12, 0xff, 0xff, 0x01]) } }] });
    const nack = await server.waitFor((m) => m.response_nonce === 'garbage');
    expect((nack.error_detail as { code: number; message: string }).code).to.equal(3);
    expect((nack.error_detail as { message: string }).message).to.contain('malformed Cluster message');

    const badTokens = clusterResources("clusters: [{ endpoints: [{ address: '127.0.0.1:7009' }] }]");
    server.send({ type_url: FILTER_CHAIN_TYPE, nonce: 'badchain', resources: [{ name: 'filter_chain', version: '1', resource: { type_url: FILTER_CHAIN_TYPE, value: Buffer.from([0x0a, 0x05, 0x0a, 0x03, 0x6e, 0x6f, 0x70]) } }] });
    const chainNack = await server.waitFor((m) => m.response_nonce === 'badchain');
    expect((chainNack.error_detail as { message: string }).message).to.contain('`nop` not found');
    server.send({ type_url: CLUSTER_TYPE, nonce: 'wrong-any', resources: badTokens.map((r) => ({ ...r, resource: { type_url: DATACENTER_TYPE, value: (r.resource as { value: Buffer }).value } })) });
    expect(((await server.waitFor((m) => m.response_nonce === 'wrong-any')).error_detail as { message: string }).message).to.contain('does not match');

    const unknownType = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
    server.send({ type_url: unknownType, nonce: 'unknown-type', resources: [] });
    expect(((await server.waitFor((m) => m.response_nonce === 'unknown-type')).error_detail as { message: string }).message).to.contain('was not subscribed to');

    expect(store.current.clusters[0].endpoints.map((e) => e.address.key)).to.deep.equal(['127.0.0.1:7001']);
    expect(await metrics.render()).to.match(/quilkin_xds_nacks\{control_plane="fake-cp",type="[^"]*Cluster"\} 2/);
  });

  it('keeps routing config when the server dies and resubscribes with known versions on reconnect', async function () {
    this.timeout(20000);
    const server = await fake();
    const port = server.port;
    const c = start([`http://127.0.0.1:${port}`]);
    await server.waitFor((m) => m.type_url === CLUSTER_TYPE);
    const sent = clusterResources(TWO);
    server.send({ type_url: CLUSTER_TYPE, nonce: 'a', resources: sent });
    await server.waitFor((m) => m.response_nonce === 'a');
    await server.stop();
    await eventually(() => !c.ready(), 5000, 'client to notice the loss');
    expect(store.current.clusters[0].endpoints).to.have.length(2);

    const again = await fake(port);
    const resub = await again.waitFor((m) => m.type_url === CLUSTER_TYPE && !m.response_nonce, 10000, 'resubscription');
    expect(resub.initial_resource_versions).to.deep.equal({ '': (sent[0] as { version: string }).version });
    await eventually(() => c.ready(), 5000, 'ready again');
  });

  it('fails over to the next management server', async function () {
    this.timeout(20000);
    const dead = await fake();
    const deadPort = dead.port;
    await dead.stop();
    const live = await fake();
    const c = start([`http://127.0.0.1:${deadPort}`, `http://127.0.0.1:${live.port}`]);
    await live.waitFor((m) => m.type_url === CLUSTER_TYPE, 10000, 'subscription on the second server');
    await eventually(() => c.ready(), 5000, 'ready');
  });

  it('re-sends its subscriptions, with the versions it holds, after the idle interval', async () => {
    const server = await fake();
    start([`http://127.0.0.1:${server.port}`], 1);
    await server.waitFor((m) => m.type_url === CLUSTER_TYPE);
    const sent = clusterResources(ONE);
    server.send({ type_url: CLUSTER_TYPE, nonce: 'held', resources: sent });
    await server.waitFor((m) => m.response_nonce === 'held');
    const subscriptions = (): Msg[] => server.requests.filter((m) => m.type_url === CLUSTER_TYPE && !m.response_nonce);
    await eventually(() => subscriptions().length >= 2, 4000, 'a second Cluster subscription');
    expect(subscriptions()[1].initial_resource_versions).to.deep.equal({ '': (sent[0] as { version: string }).version });
    expect(server.requests.filter((m) => m.type_url === 'ignore-me')).to.have.length(1);
  });

  it('rejects management server URLs without a scheme', () => {
    expect(() => start(['127.0.0.1:7800'])).to.throw('No scheme provided');
  });
});
