// SPDX-License-Identifier: Apache-2.0
// Protocol tests of the xDS server (manage's), driven by a plain envoy ADS client.
import { expect } from 'chai';
import { startXdsServer, type XdsServer } from '../../control-plane/xds/server';
import type { Config } from '../../config/model';
import { parseConfigText } from '../../config/parse';
import { ConfigStore } from '../../config/store';
import { filterRegistry } from '../../data-plane/filters';
import { CLUSTER_TYPE, FILTER_CHAIN_TYPE, PROXY_TYPES } from '../../proto/type-urls';
import { QuilkinMetrics } from '../../runtime/metrics';
import { type Msg, openPlain, type PlainStream } from './plain-ads';

const BASE = `
clusters:
  - locality: eu
    endpoints: [{ address: 127.0.0.1:7001, metadata: { quilkin.dev: { tokens: [YWJj] } } }]
  - locality: us
    endpoints: [{ address: 127.0.0.1:7002 }]
filters:
  - name: quilkin.filters.pass.v1alpha1.Pass
`;

function parse(text: string): Config {
  const r = parseConfigText(text, filterRegistry());
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value;
}

const node = { id: 'plain-client', user_agent_name: 'test' };
const names = (m: Msg): string[] => (m.resources as Array<{ name: string }>).map((r) => r.name).sort();

describe('xDS server protocol (plain ADS client)', () => {
  let store: ConfigStore;
  let metrics: QuilkinMetrics;
  let server: XdsServer;
  const streams: PlainStream[] = [];
  const open = (method: 'DeltaAggregatedResources' | 'StreamAggregatedResources'): PlainStream => {
    const s = openPlain(server.port, method);
    streams.push(s);
    return s;
  };

  beforeEach(async () => {
    store = new ConfigStore(parse(BASE));
    metrics = new QuilkinMetrics();
    server = await startXdsServer({ port: 0, host: '127.0.0.1', serverId: 'test-manage', store, types: PROXY_TYPES, metrics, debounceMs: 10 });
  });

  afterEach(async () => {
    streams.splice(0).forEach((s) => s.close());
    await server.close();
  });

  it('delta: answers the probe, sends all clusters, then only changes after an ACK', async () => {
    const s = open('DeltaAggregatedResources');
    s.send({ node, type_url: 'ignore-me' });
    expect((await s.next()).type_url).to.equal('ignore-me');
    s.send({ node, type_url: CLUSTER_TYPE });
    const first = await s.next();
    expect(first.type_url).to.equal(CLUSTER_TYPE);
    expect(names(first)).to.deep.equal(['eu', 'us']);
    expect((first.control_plane as { identifier: string }).identifier).to.equal('test-manage');
    s.send({ type_url: CLUSTER_TYPE, response_nonce: first.nonce });
    expect(await s.quietFor(100)).to.equal(true);

    store.apply({ clusters: parse(BASE.replace('7002', '7003')).clusters.filter((c) => c.locality?.region === 'us') }, 'test');
    const update = await s.next();
    expect(names(update)).to.deep.equal(['us']);
    s.send({ type_url: CLUSTER_TYPE, response_nonce: update.nonce });

    store.apply({ removeLocalities: ['eu'] }, 'test');
    const removal = await s.next();
    expect(removal.resources).to.have.length(0);
    expect(removal.removed_resources).to.deep.equal(['eu']);
  });

  it('delta: a NACK is counted, not re-sent, and the next change is computed from the last ACK', async () => {
    const s = open('DeltaAggregatedResources');
    s.send({ node, type_url: FILTER_CHAIN_TYPE });
    const first = await s.next();
    s.send({ type_url: FILTER_CHAIN_TYPE, response_nonce: first.nonce, error_detail: { code: 3, message: 'cannot build chain' } });
    expect(await s.quietFor(150)).to.equal(true);
    const rendered = await metrics.render();
    expect(rendered).to.match(/quilkin_xds_nacks\{control_plane="plain-client",type="[^"]*FilterChain"\} 1/);

    store.apply({ filters: [] }, 'test');
    const next = await s.next();
    expect(names(next)).to.deep.equal(['filter_chain']);
    expect((next.resources as Array<{ version: string }>)[0].version).to.not.equal((first.resources as Array<{ version: string }>)[0].version);
  });

  it('delta: a reconnecting client with initial_resource_versions only gets what changed', async () => {
    const s = open('DeltaAggregatedResources');
    s.send({ node, type_url: CLUSTER_TYPE });
    const first = await s.next();
    s.send({ type_url: CLUSTER_TYPE, response_nonce: first.nonce });
    const held = Object.fromEntries((first.resources as Array<{ name: string; version: string }>).map((r) => [r.name, r.version]));
    s.close();

    store.apply({ clusters: parse(BASE.replace('7001', '7011')).clusters.filter((c) => c.locality?.region === 'eu') }, 'test');
    const again = open('DeltaAggregatedResources');
    again.send({ node, type_url: CLUSTER_TYPE, initial_resource_versions: held });
    expect(names(await again.next())).to.deep.equal(['eu']);

    const unchanged = open('DeltaAggregatedResources');
    unchanged.send({ node, type_url: CLUSTER_TYPE, initial_resource_versions: { ...held, eu: (await currentVersions(store))['eu'] } });
    expect(await unchanged.quietFor(150)).to.equal(true);
  });

  it('delta: a change pushed before the previous response is ACKed still removes what that response carried', async () => {
    const s = open('DeltaAggregatedResources');
    s.send({ node, type_url: CLUSTER_TYPE });
    const first = await s.next();
    expect(names(first)).to.deep.equal(['eu', 'us']);
    store.apply({ removeLocalities: ['eu'] }, 'test');
    const second = await s.next();
    expect(second.removed_resources).to.deep.equal(['eu']);
    expect(second.resources).to.have.length(0);
    s.send({ type_url: CLUSTER_TYPE, response_nonce: first.nonce });
    s.send({ type_url: CLUSTER_TYPE, response_nonce: second.nonce });
    expect(await s.quietFor(100)).to.equal(true);
  });

  it('delta: rejects an unknown type URL and a first request without a node', async () => {
    const s = open('DeltaAggregatedResources');
    s.send({ node, type_url: 'type.googleapis.com/envoy.config.cluster.v3.Cluster' });
    const err = await s.failure();
    expect(err.code).to.equal(3);
    expect(err.details).to.contain("resource type 'type.googleapis.com/envoy.config.cluster.v3.Cluster' is not allowed");
    const anonymous = open('DeltaAggregatedResources');
    anonymous.send({ type_url: CLUSTER_TYPE });
    expect((await anonymous.failure()).details).to.contain('Node identifier required');
  });

  it('state of the world: full set with a version, ACK quiet, push on change, NACK keeps quiet', async () => {
    const s = open('StreamAggregatedResources');
    s.send({ node, type_url: CLUSTER_TYPE });
    const first = await s.next();
    expect((first.resources as unknown[]).length).to.equal(2);
    expect(first.version_info).to.be.a('string').and.not.equal('');
    s.send({ node, type_url: CLUSTER_TYPE, version_info: first.version_info, response_nonce: first.nonce });
    expect(await s.quietFor(100)).to.equal(true);

    store.apply({ removeLocalities: ['us'] }, 'test');
    const second = await s.next();
    expect((second.resources as unknown[]).length).to.equal(1);
    expect(second.version_info).to.not.equal(first.version_info);
    s.send({ node, type_url: CLUSTER_TYPE, version_info: first.version_info, response_nonce: second.nonce, error_detail: { code: 3, message: 'bad' } });
    expect(await s.quietFor(150)).to.equal(true);
    expect(await metrics.render()).to.match(/quilkin_xds_nacks\{control_plane="plain-client",type="[^"]*Cluster"\} 1/);
  });

  it('serves many clients at once and pushes a change to each', async () => {
    const clients = Array.from({ length: 20 }, () => open('DeltaAggregatedResources'));
    for (const [i, c] of clients.entries()) c.send({ node: { id: `proxy-${i}` }, type_url: CLUSTER_TYPE });
    for (const c of clients) {
      const m = await c.next();
      c.send({ type_url: CLUSTER_TYPE, response_nonce: m.nonce });
    }
    store.apply({ removeLocalities: ['eu'] }, 'test');
    for (const c of clients) expect((await c.next()).removed_resources).to.deep.equal(['eu']);
    expect(server.streams()).to.equal(20);
  });
});

async function currentVersions(store: ConfigStore): Promise<Record<string, string>> {
  const { resourcesOf } = await import('../../proto/codec');
  return Object.fromEntries([...resourcesOf(store.current, CLUSTER_TYPE).values()].map((r) => [r.name, r.version]));
}
