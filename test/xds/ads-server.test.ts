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
import { type DeltaStream, openDelta, openSotw, type SotwStream } from './plain-ads';

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

const node = { id: 'plain-client', userAgentName: 'test' };
const names = (m: { resources: Array<{ name: string }> }): string[] => m.resources.map((r) => r.name).sort();

describe('xDS server protocol (plain ADS client)', () => {
  let store: ConfigStore;
  let metrics: QuilkinMetrics;
  let server: XdsServer;
  const streams: Array<DeltaStream | SotwStream> = [];
  const track = <S extends DeltaStream | SotwStream>(s: S): S => (streams.push(s), s);
  const delta = (): DeltaStream => track(openDelta(server.port));
  const sotw = (): SotwStream => track(openSotw(server.port));

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
    const s = delta();
    s.send({ node, typeUrl: 'ignore-me' });
    expect((await s.next()).typeUrl).to.equal('ignore-me');
    s.send({ node, typeUrl: CLUSTER_TYPE });
    const first = await s.next();
    expect(first.typeUrl).to.equal(CLUSTER_TYPE);
    expect(names(first)).to.deep.equal(['eu', 'us']);
    expect(first.controlPlane?.identifier).to.equal('test-manage');
    s.send({ typeUrl: CLUSTER_TYPE, responseNonce: first.nonce });
    expect(await s.quietFor(100)).to.equal(true);

    store.apply({ clusters: parse(BASE.replace('7002', '7003')).clusters.filter((c) => c.locality?.region === 'us') }, 'test');
    const update = await s.next();
    expect(names(update)).to.deep.equal(['us']);
    s.send({ typeUrl: CLUSTER_TYPE, responseNonce: update.nonce });

    store.apply({ removeLocalities: ['eu'] }, 'test');
    const removal = await s.next();
    expect(removal.resources).to.have.length(0);
    expect(removal.removedResources).to.deep.equal(['eu']);
  });

  it('delta: a NACK is counted, not re-sent, and the next change is computed from the last ACK', async () => {
    const s = delta();
    s.send({ node, typeUrl: FILTER_CHAIN_TYPE });
    const first = await s.next();
    s.send({ typeUrl: FILTER_CHAIN_TYPE, responseNonce: first.nonce, errorDetail: { code: 3, message: 'cannot build chain' } });
    expect(await s.quietFor(150)).to.equal(true);
    const rendered = await metrics.render();
    expect(rendered).to.match(/quilkin_xds_nacks\{control_plane="plain-client",type="[^"]*FilterChain"\} 1/);

    store.apply({ filters: [] }, 'test');
    const next = await s.next();
    expect(names(next)).to.deep.equal(['filter_chain']);
    expect(next.resources[0].version).to.not.equal(first.resources[0].version);
  });

  it('delta: a reconnecting client with initialResourceVersions only gets what changed', async () => {
    const s = delta();
    s.send({ node, typeUrl: CLUSTER_TYPE });
    const first = await s.next();
    s.send({ typeUrl: CLUSTER_TYPE, responseNonce: first.nonce });
    const held = Object.fromEntries(first.resources.map((r) => [r.name, r.version]));
    s.close();

    store.apply({ clusters: parse(BASE.replace('7001', '7011')).clusters.filter((c) => c.locality?.region === 'eu') }, 'test');
    const again = delta();
    again.send({ node, typeUrl: CLUSTER_TYPE, initialResourceVersions: held });
    expect(names(await again.next())).to.deep.equal(['eu']);

    const unchanged = delta();
    unchanged.send({ node, typeUrl: CLUSTER_TYPE, initialResourceVersions: { ...held, eu: (await currentVersions(store))['eu'] } });
    expect(await unchanged.quietFor(150)).to.equal(true);
  });

  it('delta: a change pushed before the previous response is ACKed still removes what that response carried', async () => {
    const s = delta();
    s.send({ node, typeUrl: CLUSTER_TYPE });
    const first = await s.next();
    expect(names(first)).to.deep.equal(['eu', 'us']);
    store.apply({ removeLocalities: ['eu'] }, 'test');
    const second = await s.next();
    expect(second.removedResources).to.deep.equal(['eu']);
    expect(second.resources).to.have.length(0);
    s.send({ typeUrl: CLUSTER_TYPE, responseNonce: first.nonce });
    s.send({ typeUrl: CLUSTER_TYPE, responseNonce: second.nonce });
    expect(await s.quietFor(100)).to.equal(true);
  });

  it('delta: rejects an unknown type URL and a first request without a node', async () => {
    const s = delta();
    s.send({ node, typeUrl: 'type.googleapis.com/envoy.config.cluster.v3.Cluster' });
    const err = await s.failure();
    expect(err.code).to.equal(3);
    expect(err.details).to.contain('resource type "type.googleapis.com/envoy.config.cluster.v3.Cluster" is not allowed');
    const anonymous = delta();
    anonymous.send({ typeUrl: CLUSTER_TYPE });
    expect((await anonymous.failure()).details).to.contain('Node identifier required');
  });

  it('state of the world: full set with a version, ACK quiet, push on change, NACK keeps quiet', async () => {
    const s = sotw();
    s.send({ node, typeUrl: CLUSTER_TYPE });
    const first = await s.next();
    expect(first.resources.length).to.equal(2);
    expect(first.versionInfo).to.be.a('string').and.not.equal('');
    s.send({ node, typeUrl: CLUSTER_TYPE, versionInfo: first.versionInfo, responseNonce: first.nonce });
    expect(await s.quietFor(100)).to.equal(true);

    store.apply({ removeLocalities: ['us'] }, 'test');
    const second = await s.next();
    expect(second.resources.length).to.equal(1);
    expect(second.versionInfo).to.not.equal(first.versionInfo);
    s.send({ node, typeUrl: CLUSTER_TYPE, versionInfo: first.versionInfo, responseNonce: second.nonce, errorDetail: { code: 3, message: 'bad' } });
    expect(await s.quietFor(150)).to.equal(true);
    expect(await metrics.render()).to.match(/quilkin_xds_nacks\{control_plane="plain-client",type="[^"]*Cluster"\} 1/);
  });

  it('serves many clients at once and pushes a change to each', async () => {
    const clients = Array.from({ length: 20 }, () => delta());
    for (const [i, c] of clients.entries()) c.send({ node: { id: `proxy-${i}` }, typeUrl: CLUSTER_TYPE });
    for (const c of clients) {
      const m = await c.next();
      c.send({ typeUrl: CLUSTER_TYPE, responseNonce: m.nonce });
    }
    store.apply({ removeLocalities: ['eu'] }, 'test');
    for (const c of clients) expect((await c.next()).removedResources).to.deep.equal(['eu']);
    expect(server.streams()).to.equal(20);
  });
});

async function currentVersions(store: ConfigStore): Promise<Record<string, string>> {
  const { resourcesOf } = await import('../../proto/codec');
  return Object.fromEntries([...resourcesOf(store.current, CLUSTER_TYPE).values()].map((r) => [r.name, r.version]));
}
