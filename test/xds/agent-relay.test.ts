// SPDX-License-Identifier: Apache-2.0
// agent -> relay -> proxy's xDS client, in one process on loopback: the agent's file endpoints and
// its datacenter reach the proxy's store through the relay, and edits follow.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startAgent } from '../../control-plane/agent';
import { type RunningControlPlane, startManage } from '../../control-plane/manage';
import { FsProvider } from '../../control-plane/providers/fs/fs-provider';
import { startRelay } from '../../control-plane/relay';
import { ConfigStore } from '../../config/store';
import { filterRegistry } from '../../data-plane/filters';
import type { DeltaDiscoveryResponseInit } from '../../proto/messages';
import { startXdsClient, type XdsClient } from '../../data-plane/xds/client';
import { QuilkinMetrics } from '../../runtime/metrics';
import { eventually } from '../support/net';

const endpointsOf = (store: ConfigStore): string[] =>
  store.current.clusters.flatMap((c) => c.endpoints.map((e) => `${c.locality?.region ?? ''}/${e.address.key}`)).sort();

describe('agent -> relay -> proxy xDS client', () => {
  let dir: string;
  const stops: Array<() => Promise<void>> = [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qkx-agent-'));
  });
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('carries each agent’s endpoints (by locality) and datacenter to the proxy, and follows edits', async () => {
    const relay = await startRelay({
      id: 'relay-1',
      xdsPort: 0,
      mdsPort: 0,
      host: '127.0.0.1',
      validator: filterRegistry(),
      idleRequestIntervalSecs: 30,
      metrics: new QuilkinMetrics(),
    });
    stops.push(relay.stop);
    const agents: RunningControlPlane[] = [];
    for (const [i, region] of ['eu', 'us'].entries()) {
      const file = path.join(dir, `${region}.yaml`);
      fs.writeFileSync(file, `clusters: [{ endpoints: [{ address: 127.0.0.1:${7100 + i}, metadata: { quilkin.dev: { tokens: [YWJj${i}A==] } } }] }]\n`);
      const provider = new FsProvider({ path: file, validator: filterRegistry(), locality: { region } });
      const agent = await startAgent({
        id: `agent-${region}`,
        relays: [`http://127.0.0.1:${relay.mdsPort}`],
        provider,
        qcmpPort: 7600 + i,
        icaoCode: i === 0 ? 'EGLL' : 'KJFK',
        metrics: new QuilkinMetrics(),
      });
      stops.push(agent.stop);
      agents.push(agent);
    }
    const proxyStore = new ConfigStore();
    const client: XdsClient = startXdsClient({
      servers: [`http://127.0.0.1:${relay.xdsPort}`],
      nodeId: 'proxy',
      store: proxyStore,
      validator: filterRegistry(),
      metrics: new QuilkinMetrics(),
      idleRequestIntervalSecs: 30,
    });
    stops.push(() => client.close());

    await eventually(() => endpointsOf(proxyStore).length === 2, 5000, 'both agents’ endpoints at the proxy');
    expect(endpointsOf(proxyStore)).to.deep.equal(['eu/127.0.0.1:7100', 'us/127.0.0.1:7101']);
    expect(proxyStore.current.clusters.find((c) => c.locality?.region === 'eu')?.endpoints[0].tokens[0].toString('base64')).to.equal('YWJj0A==');
    await eventually(() => (proxyStore.current.datacenters ?? []).length === 1, 5000, 'datacenters at the proxy');
    // Both agents dial from 127.0.0.1, so their datacenters share a host and the later one wins.
    expect(proxyStore.current.datacenters?.[0].host).to.equal('127.0.0.1');
    expect(agents.every((a) => a.ready())).to.equal(true);
    expect(relay.agents()).to.equal(2);

    fs.writeFileSync(path.join(dir, 'eu.yaml'), 'clusters: [{ endpoints: [{ address: 127.0.0.1:7200 }, { address: 127.0.0.1:7201 }] }]\n');
    await eventually(() => endpointsOf(proxyStore).join() === 'eu/127.0.0.1:7200,eu/127.0.0.1:7201,us/127.0.0.1:7101', 5000, 'the edit at the proxy');
  });

  it('manage --relay pushes its clusters to the relay as an agent does', async () => {
    const relay = await startRelay({
      id: 'relay-3',
      xdsPort: 0,
      mdsPort: 0,
      host: '127.0.0.1',
      validator: filterRegistry(),
      idleRequestIntervalSecs: 30,
      metrics: new QuilkinMetrics(),
    });
    stops.push(relay.stop);
    const file = path.join(dir, 'manage.yaml');
    fs.writeFileSync(file, 'clusters: [{ endpoints: [{ address: 127.0.0.1:7300 }] }]\n');
    const provider = new FsProvider({ path: file, validator: filterRegistry(), locality: { region: 'ap', zone: 'south' } });
    const manage = await startManage({
      port: 0,
      host: '127.0.0.1',
      id: 'manage-ap',
      relays: [`http://127.0.0.1:${relay.mdsPort}`],
      provider,
      metrics: new QuilkinMetrics(),
    });
    stops.push(manage.stop);
    await eventually(() => relay.store.current.clusters.length === 1, 5000, 'manage’s cluster at the relay');
    expect(relay.store.current.clusters[0].locality).to.deep.equal({ region: 'ap', zone: 'south' });
    expect(relay.store.current.clusters[0].endpoints[0].address.key).to.equal('127.0.0.1:7300');
  });

  it('rejects an agent stream that does not name itself first', async () => {
    const relay = await startRelay({
      id: 'relay-2',
      xdsPort: 0,
      mdsPort: 0,
      host: '127.0.0.1',
      validator: filterRegistry(),
      idleRequestIntervalSecs: 30,
      metrics: new QuilkinMetrics(),
    });
    stops.push(relay.stop);
    const grpc = await import('@grpc/grpc-js');
    const { xdsServices, openStream } = await import('../../proto/services');
    const client = new (xdsServices().mds)(`127.0.0.1:${relay.mdsPort}`, grpc.credentials.createInsecure());
    const call = openStream<DeltaDiscoveryResponseInit, unknown>(client, xdsServices().mds, 'DeltaAggregatedResources');
    const failure = new Promise<{ code: number; details: string }>((resolve) => call.on('error', resolve));
    call.on('data', () => undefined);
    call.write({ typeUrl: '', resources: [] });
    const err = await failure;
    client.close();
    expect(err.code).to.equal(3);
    expect(err.details).to.contain('control_plane.identifier is required');
  });
});
