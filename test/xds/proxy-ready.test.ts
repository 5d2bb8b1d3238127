// SPDX-License-Identifier: Apache-2.0
// `quilkin proxy --management-server`: /ready is 500 until Clusters and the FilterChain have both
// arrived, not on the first response (the probe's answer), when every packet would still drop.
import { create } from '@bufbuild/protobuf';
import { ResourceSchema } from '../../proto/gen/envoy/service/discovery/v3/discovery_pb';
import type { XdsResource } from '../../proto/messages';
import { expect } from 'chai';
import { parseConfigText } from '../../config/parse';
import { filterRegistry } from '../../data-plane/filters';
import { resourcesOf } from '../../proto/codec';
import { CLUSTER_TYPE, FILTER_CHAIN_TYPE, type ResourceType } from '../../proto/type-urls';
import { eventually, freePort } from '../support/net';
import { startQuilkin, stopAllQuilkin } from '../support/proxy-process';
import { FakeAdsServer } from './fake-ads-server';

const CONFIG = `
clusters: [{ endpoints: [{ address: 127.0.0.1:7001 }] }]
filters: [{ name: quilkin.filters.debug.v1alpha1.Debug }]
`;

function resources(type: ResourceType): XdsResource[] {
  const r = parseConfigText(CONFIG, filterRegistry());
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return [...resourcesOf(r.value, type).values()].map((e) =>
    create(ResourceSchema, { name: e.name, version: e.version, resource: { typeUrl: type, value: e.value } }),
  );
}

describe('proxy /ready under --management-server', function () {
  this.timeout(30000);
  const server = new FakeAdsServer();
  after(async () => {
    await stopAllQuilkin();
    await server.stop();
  });

  it('turns 200 only once Clusters and the FilterChain have arrived', async () => {
    await server.start();
    const proc = await startQuilkin([
      'proxy',
      '--backend',
      'js',
      '--port',
      String(await freePort()),
      '--qcmp-port',
      String(await freePort()),
      '--management-server',
      `http://127.0.0.1:${server.port}`,
    ]);
    await server.waitFor((m) => m.typeUrl === FILTER_CHAIN_TYPE, 10000, 'the subscriptions');
    // The probe has been answered: Quilkin v0.9 would say ready here.
    await new Promise((r) => setTimeout(r, 300));
    expect((await proc.get('/ready')).status).to.equal(500);
    server.send({ typeUrl: FILTER_CHAIN_TYPE, nonce: 'f1', resources: resources(FILTER_CHAIN_TYPE) });
    await server.waitFor((m) => m.responseNonce === 'f1', 5000, 'ACK of the FilterChain');
    expect((await proc.get('/ready')).status).to.equal(500);
    server.send({ typeUrl: CLUSTER_TYPE, nonce: 'c1', resources: resources(CLUSTER_TYPE) });
    await server.waitFor((m) => m.responseNonce === 'c1', 5000, 'ACK of the Clusters');
    await eventually(async () => (await proc.get('/ready')).status === 200, 5000, '/ready 200');
  });
});
