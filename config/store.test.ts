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

  describe('with a compile step', () => {
    const PASS = 'quilkin.filters.pass.v1alpha1.Pass';
    const DROP = 'quilkin.filters.drop.v1alpha1.Drop';
    /** Compiles to the filter names, and refuses a chain that holds a Drop. */
    const compileNames = (config: { filters: readonly { name: string }[] }): string => {
      if (config.filters.some((f) => f.name === DROP)) throw new Error('filters[0]: cannot run Drop here');
      return config.filters.map((f) => f.name).join(',');
    };

    it('commits the config with what it compiled to, and tells the compiled listeners first', () => {
      const store = new ConfigStore<string>(undefined, { compile: compileNames, initialCompiled: '' });
      const seen: string[] = [];
      store.onCompiled((compiled, source) => seen.push(`compiled ${compiled} from ${source}`));
      store.onChange((change) => seen.push(`changed ${change.compiled} gen ${change.generation}`));
      store.apply({ filters: [{ name: PASS }] }, 'file:x');
      expect(store.compiled).to.equal(PASS);
      expect(seen).to.deep.equal([`compiled ${PASS} from file:x`, `changed ${PASS} gen 1`]);
    });

    it('refuses a config that does not compile: the error propagates and nothing changes', () => {
      const store = new ConfigStore<string>(undefined, { compile: compileNames, initialCompiled: '' });
      store.apply({ filters: [{ name: PASS }], clusters: [cluster(undefined, '1.1.1.1:1')] }, 'test');
      const patches: string[] = [];
      const events: string[] = [];
      store.onPatch((_, source) => patches.push(source));
      store.onChange(() => events.push('change'));
      store.onCompiled(() => events.push('compiled'));
      expect(() => store.apply({ filters: [{ name: DROP }], clusters: [cluster(undefined, '2.2.2.2:2')] }, 'xds:m')).to.throw('cannot run Drop here');
      expect(store.current.filters).to.deep.equal([{ name: PASS }]);
      expect(store.current.clusters[0].endpoints[0].address.key).to.equal('1.1.1.1:1');
      expect(store.compiled).to.equal(PASS);
      expect(store.generation).to.equal(1);
      // A refused patch did not arrive, as far as readiness is concerned.
      expect(patches).to.deep.equal([]);
      expect(events).to.deep.equal([]);
    });

    it('recompiles the current config on demand without a new generation', () => {
      let suffix = 'a';
      const store = new ConfigStore<string>(undefined, { compile: (c) => `${compileNames(c)}/${suffix}`, initialCompiled: '' });
      store.apply({ filters: [{ name: PASS }] }, 'test');
      const seen: string[] = [];
      store.onCompiled((compiled, source) => seen.push(`${compiled} ${source}`));
      suffix = 'b';
      store.recompile('dns');
      expect(seen).to.deep.equal([`${PASS}/b dns`]);
      expect(store.compiled).to.equal(`${PASS}/b`);
      expect(store.generation).to.equal(1);
    });
  });
});
