// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { parseEndpointAddress } from './address';
import type { ClusterConfig } from './model';
import { type ConfigChange, ConfigStore } from './store';

function cluster(region: string | undefined, ...addresses: string[]): ClusterConfig {
  return {
    ...(region ? { locality: { region } } : {}),
    endpoints: addresses.map((a) => ({ address: parseEndpointAddress(a), tokens: [], userMetadata: {} })),
  };
}

describe('config store', () => {
  it('replaces listed localities, keeps the others, and reports what changed', () => {
    const store = new ConfigStore();
    const changes: ConfigChange[] = [];
    store.onChange((c) => changes.push(c));
    store.apply({ clusters: [cluster(undefined, '1.1.1.1:1'), cluster('eu', '2.2.2.2:2')] }, 'test');
    store.apply({ clusters: [cluster('eu', '3.3.3.3:3')] }, 'test');
    expect(store.current.clusters.map((c) => c.endpoints[0].address.key)).to.deep.equal(['1.1.1.1:1', '3.3.3.3:3']);
    expect(changes.map((c) => [c.generation, c.clustersChanged, c.filtersChanged])).to.deep.equal([
      [1, true, false],
      [2, true, false],
    ]);
  });

  it('drops unlisted localities on a full replacement and removes named ones', () => {
    const store = new ConfigStore();
    store.apply({ clusters: [cluster(undefined, '1.1.1.1:1'), cluster('eu', '2.2.2.2:2')] }, 'test');
    store.apply({ clusters: [cluster('us', '4.4.4.4:4')], replaceClusters: true }, 'test');
    expect(store.current.clusters.map((c) => c.locality?.region)).to.deep.equal(['us']);
    store.apply({ removeLocalities: ['us'] }, 'test');
    expect(store.current.clusters).to.deep.equal([]);
  });

  it('ignores a patch that changes nothing', () => {
    const store = new ConfigStore();
    store.apply({ filters: [{ name: 'quilkin.filters.pass.v1alpha1.Pass' }] }, 'test');
    expect(store.apply({ filters: [{ name: 'quilkin.filters.pass.v1alpha1.Pass' }] }, 'test')).to.equal(undefined);
    expect(store.generation).to.equal(1);
  });
});
