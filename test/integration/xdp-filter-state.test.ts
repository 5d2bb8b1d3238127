// SPDX-License-Identifier: Apache-2.0
// `proxy xdp` in network namespaces (generic XDP on veth): a LocalRateLimit in front of the Embark
// chain keeps one client's bucket across a config file reload that only adds an unrelated filter,
// so the AF_XDP workers go on dropping that client once its allowance is spent.
import { expect } from 'chai';
import { skipWithoutBpf } from '../../bpf/tests/bpf-available';
import type { Star } from '../support/netns';
import { eventually } from '../support/net';
import {
  adminGet,
  defaultEndpoints,
  embarkConfig,
  embarkPayload,
  type Proxy,
  runClient,
  SERVER_PORTS,
  Servers,
  startXdpProxy,
  teardown,
  TOKENS,
  topology,
  writeConfig,
} from './xdp-topology';

const LIMIT = '  - name: quilkin.filters.local_rate_limit.v1alpha1.LocalRateLimit\n    config: { max_packets: 5, period: 60 }\n';
const DEBUG = '  - name: quilkin.filters.debug.v1alpha1.Debug\n    config: { id: added-by-reload }\n';

function rateLimited(metrics: string): number {
  return metrics
    .split('\n')
    .filter((l) => l.startsWith('quilkin_packets_dropped_total{') && l.includes('event="read"') && l.includes('source="filter::rate_limit::dropped"'))
    .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
}

describe('proxy xdp: LocalRateLimit state across a config reload (generic XDP on veth)', function () {
  this.timeout(60000);
  let star: Star | undefined;
  let proxy: Proxy | undefined;
  let servers: Servers | undefined;

  before(function () {
    skipWithoutBpf(this);
  });
  after(async () => {
    servers?.stop();
    await teardown(proxy, star);
  });

  it('keeps dropping a client whose allowance was spent before a reload that adds a Debug filter', async () => {
    star = topology(87);
    servers = new Servers(star);
    await servers.ready();
    const endpoints = defaultEndpoints(star);
    const configFile = writeConfig(embarkConfig(endpoints, LIMIT));
    proxy = await startXdpProxy(star, configFile, { env: { QUILKIN_XDP_ATTACH_MODE: 'generic' } });
    const filterCount = () => (JSON.parse(adminGet(star!, '/config')) as { filters: unknown[] }).filters.length;
    const before = filterCount();

    // One client socket (one source ip:port, one bucket) for the whole run: 24 packets, 250 ms apart.
    const traffic = runClient(star, star.host('prx').ipv4, 24, 250, [embarkPayload('limited', TOKENS[0])], 500);
    const srv = servers;
    await eventually(() => srv.on(SERVER_PORTS[0]).length === 5, 10000, 'the five allowed packets at the server');
    writeConfig(embarkConfig(endpoints, DEBUG + LIMIT), configFile);
    await eventually(() => filterCount() === before + 1, 5000, 'the reload');
    const run = await traffic;

    expect(run.sent).to.equal(24);
    // A limiter reset by the reload would have let the packets sent after it through.
    expect(servers.on(SERVER_PORTS[0])).to.have.length(5);
    await eventually(() => rateLimited(adminGet(star!, '/metrics')) === 19, 5000, 'nineteen rate-limited drops');
  });
});
