// SPDX-License-Identifier: Apache-2.0
// The k8s/agones provider against the API-server double: state changes, chain changes, outages, 410.
import { expect } from 'chai';
import { ProviderHarness, waitFor } from './harness';
import { gameServer, quilkinConfigMap } from './objects';

const EMBARK_CHAIN = `
version: v1alpha1
filters:
  - name: quilkin.filters.capture.v1alpha1.Capture
    config:
      suffix:
        size: 3
        remove: true
  - name: quilkin.filters.token_router.v1alpha1.TokenRouter
`;

const filterNames = (h: ProviderHarness): string[] => h.store.current.filters.map((f) => f.name.split('.').pop() ?? '');

describe('k8s provider against the API-server double', () => {
  let h: ProviderHarness;

  beforeEach(async () => {
    h = new ProviderHarness({ bookmarkIntervalMs: 100 });
    await h.listen();
  });

  afterEach(async () => {
    await h.stop();
  });

  it('lists existing GameServers and the ConfigMap chain before start() resolves', async () => {
    h.api.apply(gameServer({ name: 'gs-1', state: 'Allocated', address: '127.0.0.1', port: 7001, tokens: ['abc'] }));
    h.api.apply(gameServer({ name: 'gs-2', state: 'Scheduled', address: '127.0.0.1', port: 7002, tokens: ['def'] }));
    h.api.apply(quilkinConfigMap('quilkin', EMBARK_CHAIN));
    await h.start();
    expect(h.endpoints()).to.deep.equal({ '127.0.0.1:7001': ['abc'] });
    expect(filterNames(h)).to.deep.equal(['Capture', 'TokenRouter']);
    expect(h.healthy).to.equal(true);
    expect(h.store.current.clusters[0].endpoints[0].userMetadata).to.deep.equal({ name: 'gs-1' });
  });

  it('routes a GameServer once Ready, keeps it when Allocated, removes it when deleted', async () => {
    await h.start();
    h.api.apply(gameServer({ name: 'gs-1', state: 'Scheduled', address: '127.0.0.1', port: 7001, tokens: ['abc', 'xyz'] }));
    await new Promise((r) => setTimeout(r, 100));
    expect(h.endpoints()).to.deep.equal({});
    h.api.apply(gameServer({ name: 'gs-1', state: 'Ready', address: '127.0.0.1', port: 7001, tokens: ['abc', 'xyz'] }));
    await waitFor('Ready server routed', () => '127.0.0.1:7001' in h.endpoints());
    expect(h.endpoints()['127.0.0.1:7001']).to.deep.equal(['abc', 'xyz']);
    const generation = h.store.generation;
    h.api.apply(gameServer({ name: 'gs-1', state: 'Allocated', address: '127.0.0.1', port: 7001, tokens: ['abc', 'xyz'] }));
    await new Promise((r) => setTimeout(r, 100));
    expect(h.endpoints()).to.deep.equal({ '127.0.0.1:7001': ['abc', 'xyz'] });
    expect(h.store.generation, 'Ready -> Allocated changes nothing routable').to.equal(generation);
    h.api.delete('GameServer', 'default', 'gs-1');
    await waitFor('deleted server removed', () => Object.keys(h.endpoints()).length === 0);
  });

  it('stops routing a server that leaves the routed states and follows token changes', async () => {
    h.api.apply(gameServer({ name: 'gs-1', state: 'Allocated', address: '127.0.0.1', port: 7001, tokens: ['abc'] }));
    await h.start();
    h.api.apply(gameServer({ name: 'gs-1', state: 'Allocated', address: '127.0.0.1', port: 7001, tokens: ['new'] }));
    await waitFor('token update', () => h.endpoints()['127.0.0.1:7001']?.[0] === 'new');
    h.api.apply(gameServer({ name: 'gs-1', state: 'Shutdown', address: '127.0.0.1', port: 7001, tokens: ['new'] }));
    await waitFor('Shutdown server removed', () => Object.keys(h.endpoints()).length === 0);
  });

  it('skips malformed GameServers and bad tokens but keeps the rest', async () => {
    h.api.apply(gameServer({ name: 'no-address', state: 'Allocated', port: 7001, tokens: ['abc'] }));
    h.api.apply(
      gameServer({
        name: 'bad-token',
        state: 'Allocated',
        address: '127.0.0.1',
        port: 7002,
        tokenAnnotation: `${Buffer.from('ok').toString('base64')},%%%notbase64`,
      }),
    );
    h.api.apply(gameServer({ name: 'no-port', state: 'Ready', address: '127.0.0.1', tokens: ['p'] }));
    await h.start();
    expect(h.endpoints()).to.deep.equal({ '127.0.0.1:7002': ['ok'] });
  });

  it('changes the filter chain when the ConfigMap changes, keeps it on an invalid one, empties it on delete', async () => {
    h.api.apply(quilkinConfigMap('quilkin', EMBARK_CHAIN));
    await h.start();
    expect(filterNames(h)).to.deep.equal(['Capture', 'TokenRouter']);
    h.api.apply(quilkinConfigMap('quilkin', 'filters:\n  - name: quilkin.filters.drop.v1alpha1.Drop\n'));
    await waitFor('chain replaced', () => filterNames(h).join() === 'Drop');
    h.api.apply(quilkinConfigMap('quilkin', 'filters:\n  - name: quilkin.filters.nope.v1alpha1.Nope\n'));
    h.api.apply(quilkinConfigMap('no-data', undefined));
    await new Promise((r) => setTimeout(r, 150));
    expect(filterNames(h), 'an invalid chain is rejected and the last good one stays').to.deep.equal(['Drop']);
    h.api.delete('ConfigMap', 'default', 'quilkin');
    await waitFor('chain emptied', () => h.store.current.filters.length === 0);
  });

  it('resumes a watch dropped mid-stream from its resourceVersion without losing events', async () => {
    h.api.apply(gameServer({ name: 'gs-1', state: 'Allocated', address: '127.0.0.1', port: 7001, tokens: ['a'] }));
    await h.start();
    await h.watchesOpen(2);
    const lists = h.api.countRequests({ watch: false, plural: 'gameservers' });
    h.api.dropWatches();
    // Changes made while no watch is open must arrive through the resumed watch.
    h.api.apply(gameServer({ name: 'gs-2', state: 'Ready', address: '127.0.0.1', port: 7002, tokens: ['b'] }));
    h.api.delete('GameServer', 'default', 'gs-1');
    await waitFor('changes during the gap', () => JSON.stringify(h.endpoints()) === JSON.stringify({ '127.0.0.1:7002': ['b'] }));
    expect(h.api.countRequests({ watch: false, plural: 'gameservers' }), 'no re-list on a plain resume').to.equal(lists);
    const resumed = h.api.requests.filter((r) => r.watch && r.path.endsWith('/gameservers'));
    expect(resumed.length).to.be.greaterThan(1);
    expect(resumed[resumed.length - 1].query.resourceVersion).to.match(/^\d+$/);
  });

  it('re-lists after 410 Gone and removes what was deleted during the gap', async () => {
    h.api.apply(gameServer({ name: 'gs-1', state: 'Allocated', address: '127.0.0.1', port: 7001, tokens: ['a'] }));
    await h.start();
    await h.watchesOpen(2);
    const lists = h.api.countRequests({ watch: false, plural: 'gameservers' });
    h.api.dropWatches();
    h.api.delete('GameServer', 'default', 'gs-1');
    h.api.apply(gameServer({ name: 'gs-3', state: 'Allocated', address: '127.0.0.1', port: 7003, tokens: ['c'] }));
    h.api.compact();
    await waitFor('state after re-list', () => JSON.stringify(h.endpoints()) === JSON.stringify({ '127.0.0.1:7003': ['c'] }));
    expect(h.api.countRequests({ watch: false, plural: 'gameservers' })).to.be.greaterThan(lists);
  });

  it('re-lists when an open watch reports a 410 ERROR event', async () => {
    await h.start();
    await h.watchesOpen(2);
    const lists = h.api.countRequests({ watch: false, plural: 'gameservers' });
    h.api.expireWatches();
    await waitFor('re-list after ERROR 410', () => h.api.countRequests({ watch: false, plural: 'gameservers' }) > lists);
    h.api.apply(gameServer({ name: 'gs-9', state: 'Ready', address: '127.0.0.1', port: 7009, tokens: ['z'] }));
    await waitFor('events after the re-list', () => '127.0.0.1:7009' in h.endpoints());
  });

  it('lists again, after a pause, when a watch reports any other ERROR event', async () => {
    await h.start();
    await h.watchesOpen(2);
    const lists = h.api.countRequests({ watch: false, plural: 'gameservers' });
    h.api.expireWatches(500, 'etcdserver: request timed out');
    h.api.apply(gameServer({ name: 'gs-8', state: 'Allocated', address: '127.0.0.1', port: 7008, tokens: ['y'] }));
    await waitFor('re-list after ERROR 500', () => h.api.countRequests({ watch: false, plural: 'gameservers' }) > lists);
    await waitFor('state after the re-list', () => '127.0.0.1:7008' in h.endpoints());
  });

  it('resumes from the newest bookmark', async () => {
    await h.start();
    // Changes in a namespace this watch does not see move the server's resourceVersion on.
    h.api.apply(gameServer({ name: 'elsewhere', namespace: 'other', state: 'Ready', address: '127.0.0.1', port: 7100 }));
    const target = h.api.resourceVersion;
    await h.watchesOpen(2);
    await waitFor('a bookmark at the new version', () => h.api.bookmarksSent.some((b) => b.plural === 'gameservers' && b.resourceVersion === target));
    await new Promise((r) => setTimeout(r, 100));
    h.api.dropWatches();
    await waitFor('re-watch', () => h.api.openWatches >= 2);
    const watches = h.api.requests.filter((r) => r.watch && r.path.endsWith('/gameservers'));
    expect(watches[0].query.allowWatchBookmarks).to.equal('true');
    expect(watches[watches.length - 1].query.resourceVersion).to.equal(target);
  });

  it('retries with backoff while the API server fails, reporting unhealthy, then recovers', async () => {
    h.api.failNext(4, 503);
    h.api.apply(gameServer({ name: 'gs-1', state: 'Ready', address: '127.0.0.1', port: 7001, tokens: ['a'] }));
    await h.start();
    expect(h.endpoints()).to.deep.equal({ '127.0.0.1:7001': ['a'] });
    expect(h.healthLog.some((r) => r.healthy === false && /HTTP 503/.test(r.reason ?? ''))).to.equal(true);
    expect(h.healthy).to.equal(true);
  });

  it('recovers after every request failed with HTTP 500 for a while', async () => {
    await h.start();
    await h.watchesOpen(2);
    h.api.failNext(1000, 500);
    h.api.dropWatches();
    await waitFor('unhealthy', () => !h.healthy);
    h.api.apply(gameServer({ name: 'gs-5', state: 'Ready', address: '127.0.0.1', port: 7005, tokens: ['e'] }));
    h.api.clearFailures();
    await waitFor('recovered with the change', () => '127.0.0.1:7005' in h.endpoints() && h.healthy, 8000);
  });

  it('backs off while connections are refused and catches up when the server is back', async () => {
    h.api.apply(gameServer({ name: 'gs-1', state: 'Ready', address: '127.0.0.1', port: 7001, tokens: ['a'] }));
    await h.start();
    await h.watchesOpen(2);
    await h.api.pause();
    await waitFor('unhealthy', () => !h.healthy);
    const failedAt = h.healthLog.length;
    await new Promise((r) => setTimeout(r, 400));
    h.api.delete('GameServer', 'default', 'gs-1');
    h.api.apply(gameServer({ name: 'gs-2', state: 'Allocated', address: '127.0.0.1', port: 7002, tokens: ['b'] }));
    await h.api.resume();
    await waitFor('caught up', () => JSON.stringify(h.endpoints()) === JSON.stringify({ '127.0.0.1:7002': ['b'] }) && h.healthy, 8000);
    const refusals = h.healthLog.slice(failedAt - 1).filter((r) => !r.healthy && /ECONNREFUSED/.test(r.reason ?? ''));
    expect(refusals.length, 'retried, not given up').to.be.greaterThan(1);
    expect(refusals.length, 'backed off, not spinning').to.be.lessThan(30);
  });

  it('joins watch event lines split across HTTP chunks', async () => {
    await h.stop();
    h = new ProviderHarness({ splitEventLines: true });
    await h.listen();
    await h.start();
    h.api.apply(gameServer({ name: 'gs-1', state: 'Ready', address: '127.0.0.1', port: 7001, tokens: ['split'] }));
    await waitFor('event from split chunks', () => h.endpoints()['127.0.0.1:7001']?.[0] === 'split');
  });

  it('watches several GameServer namespaces into one endpoint set and picks addresses by type', async () => {
    h.api.apply(
      gameServer({
        name: 'a',
        namespace: 'ns-a',
        state: 'Allocated',
        address: '10.0.0.1',
        port: 7001,
        addresses: [
          { type: 'InternalIP', address: '127.0.0.1' },
          { type: 'InternalIP', address: '::1' },
        ],
        tokens: ['a'],
      }),
    );
    h.api.apply(
      gameServer({
        name: 'b',
        namespace: 'ns-b',
        state: 'Ready',
        address: '10.0.0.2',
        port: 7002,
        addresses: [{ type: 'InternalIP', address: '::1' }],
        tokens: ['b'],
      }),
    );
    await h.start({ namespaces: ['ns-a', 'ns-b'], addressType: 'InternalIP', ipKind: 'v6' });
    expect(h.endpoints()).to.deep.equal({ '[::1]:7001': ['a'], '[::1]:7002': ['b'] });
  });

  it('pages through long lists', async () => {
    for (let i = 0; i < 520; i++) {
      h.api.apply(gameServer({ name: `gs-${String(i).padStart(4, '0')}`, state: 'Ready', address: '127.0.0.1', port: 10000 + i }));
    }
    await h.start();
    expect(Object.keys(h.endpoints())).to.have.length(520);
    const lists = h.api.requests.filter((r) => !r.watch && r.path.endsWith('/gameservers'));
    expect(lists.length).to.equal(2);
    expect(lists[1].query.continue).to.be.a('string');
  });

  it('the k8s provider watches ConfigMaps only', async () => {
    h.api.apply(gameServer({ name: 'gs-1', state: 'Allocated', address: '127.0.0.1', port: 7001, tokens: ['abc'] }));
    h.api.apply(quilkinConfigMap('quilkin', EMBARK_CHAIN));
    await h.start({ kind: 'k8s' });
    expect(h.endpoints()).to.deep.equal({});
    expect(filterNames(h)).to.deep.equal(['Capture', 'TokenRouter']);
    expect(h.api.countRequests({ plural: 'gameservers' })).to.equal(0);
  });

  it('as an agent watches only GameServers, as a relay only ConfigMaps', async () => {
    h.api.apply(gameServer({ name: 'gs-1', state: 'Allocated', address: '127.0.0.1', port: 7001, tokens: ['abc'] }));
    h.api.apply(quilkinConfigMap('quilkin', EMBARK_CHAIN));
    await h.start({ role: 'agent' });
    expect(h.endpoints()).to.deep.equal({ '127.0.0.1:7001': ['abc'] });
    expect(h.store.current.filters).to.deep.equal([]);
    expect(h.api.countRequests({ plural: 'configmaps' })).to.equal(0);
    await h.provider.stop();
    const relay = new ProviderHarness();
    await relay.listen();
    relay.api.apply(gameServer({ name: 'gs-1', state: 'Allocated', address: '127.0.0.1', port: 7001, tokens: ['abc'] }));
    relay.api.apply(quilkinConfigMap('quilkin', EMBARK_CHAIN));
    try {
      await relay.start({ role: 'relay' });
      expect(relay.endpoints()).to.deep.equal({});
      expect(filterNames(relay)).to.deep.equal(['Capture', 'TokenRouter']);
    } finally {
      await relay.stop();
    }
  });
});
