// SPDX-License-Identifier: Apache-2.0
// A route change under a kernel-carried session: the endpoint sits behind a gateway, the proxy's
// route to it moves to another gateway, and the first one stops forwarding. The session's flow
// must follow the route (its packets never come back to a worker to be resolved again), so the
// traffic goes on through the new gateway, still carried by the XDP program.
import { expect } from 'chai';
import { skipWithoutBpf } from '../../bpf/tests/bpf-available';
import { flowNextHopMacs } from '../../bpf/tests/bpftool';
import { labelledSample as metric } from '../support/metrics-text';
import { eventually } from '../support/net';
import { Star } from '../support/netns';
import {
  adminGet,
  embarkConfig,
  embarkPayload,
  type Proxy,
  runClient,
  SERVER_PORTS,
  Servers,
  startXdpProxy,
  teardown,
  TOKENS,
  writeConfig,
} from './xdp-topology';

/** The endpoint's address: on the server's loopback, reached only through a gateway. */
const ENDPOINT = '10.91.0.5';

function macOf(star: Star, host: string): string {
  const h = star.host(host);
  return (JSON.parse(star.exec(host, ['ip', '-j', 'link', 'show', 'dev', h.dev])) as Array<{ address: string }>)[0].address.toLowerCase();
}

describe('proxy xdp fast path: a route that moves to another gateway', function () {
  this.timeout(60000);
  let star: Star | undefined;
  let proxy: Proxy | undefined;
  let servers: Servers | undefined;

  before(async function () {
    skipWithoutBpf(this);
    star = new Star({ prefix: 'qkfrt', hosts: ['cli', 'prx', 'srv', 'g1', 'g2'], subnet: [92, 1], txChecksumOff: true, peerRx: 'xdp' }).create();
    star.exec('srv', ['ip', 'addr', 'add', `${ENDPOINT}/32`, 'dev', 'lo']);
    // Replies leave from the endpoint's address (the servers' socket is bound to ::, and the
    // route's source picks the address), as a server behind a router would answer.
    star.exec('srv', ['ip', 'route', 'replace', '10.92.1.0/24', 'dev', star.host('srv').dev, 'src', ENDPOINT]);
    for (const gw of ['g1', 'g2']) {
      for (const key of ['net.ipv4.ip_forward=1', 'net.ipv4.conf.all.send_redirects=0', `net.ipv4.conf.${star.host(gw).dev}.send_redirects=0`])
        star.exec(gw, ['sysctl', '-qw', key]);
      star.exec(gw, ['ip', 'route', 'add', `${ENDPOINT}/32`, 'via', star.host('srv').ipv4]);
    }
    star.exec('prx', ['ip', 'route', 'add', `${ENDPOINT}/32`, 'via', star.host('g1').ipv4]);
    for (const peer of ['cli', 'g1', 'g2']) star.exec('prx', ['ping', '-c', '1', '-W', '2', star.host(peer).ipv4]);
    star.exec('prx', ['ping', '-c', '1', '-W', '2', ENDPOINT]);
    servers = new Servers(star);
    await servers.ready();
    const config = embarkConfig([{ address: `${ENDPOINT}:${SERVER_PORTS[0]}`, token: TOKENS[0] }]);
    proxy = await startXdpProxy(star, writeConfig(config), { fastPath: 'auto' });
  });

  after(async function () {
    servers?.stop();
    await teardown(proxy, star);
  });

  it('moves the flows of a kernel-carried session to the new gateway, and the kernel goes on carrying it', async function () {
    const prx = star!.host('prx');
    const flowMacs = (): string[] => flowNextHopMacs(prx.ns, prx.dev);
    const rounds = 1200;
    const intervalMs = 5;
    const run = runClient(star!, prx.ipv4, rounds, intervalMs, [embarkPayload('reroute', TOKENS[0])], 2000);
    await eventually(() => flowMacs().includes(macOf(star!, 'g1')), 2000, 'the session is carried through the first gateway');
    // The route moves, and the old gateway stops forwarding: a flow left behind blackholes.
    star!.exec('prx', ['ip', 'route', 'replace', `${ENDPOINT}/32`, 'via', star!.host('g2').ipv4]);
    star!.exec('g1', ['sysctl', '-qw', 'net.ipv4.ip_forward=0']);
    const movedAt = Date.now();
    await eventually(() => flowMacs().includes(macOf(star!, 'g2')), 2000, 'the flow sends to the new gateway');
    expect(Date.now() - movedAt, 'the flow followed within the periodic pass').to.be.below(1500);
    const m0 = adminGet(star!, '/metrics');
    const done = await run;
    const m1 = adminGet(star!, '/metrics');
    // The last 400 rounds (2 s) were sent well after the move: every one came back, carried by the kernel.
    const late = [...Array(400).keys()].map((i) => rounds - 400 + i);
    const missing = late.map((i) => `${i}:reroute`).filter((t) => !done.replies.includes(t));
    expect(missing, 'replies lost after the route moved').to.deep.equal([]);
    const carried = metric(m1, 'quilkin_xdp_fast_path_packets_total', 'event="read"') - metric(m0, 'quilkin_xdp_fast_path_packets_total', 'event="read"');
    expect(carried, 'packets the kernel carried after the move').to.be.at.least(300);
  });
});
