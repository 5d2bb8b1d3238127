// SPDX-License-Identifier: Apache-2.0
// `--xdp.session-ports`: the proxy's source ports towards endpoints come from the given range
// (shown in /config), and a range overlapping the kernel's ephemeral ports is refused with the
// reason rather than used.
import { expect } from 'chai';
import { skipWithoutBpf } from '../../bpf/tests/bpf-available';
import type { Star } from '../support/netns';
import { adminGet, type Proxy, runClient, SERVER_PORTS, Servers, startProxy, startXdpProxy, teardown, topology, writeConfig } from './xdp-topology';

describe('proxy xdp: --xdp.session-ports', function () {
  this.timeout(60000);
  let star: Star | undefined;
  let proxy: Proxy | undefined;
  let servers: Servers;
  let config = '';

  before(async function () {
    skipWithoutBpf(this);
    star = topology(92);
    servers = new Servers(star);
    await servers.ready();
    config = writeConfig(`version: v1alpha1\nclusters: [{ endpoints: [{ address: "${star.host('srv').ipv4}:${SERVER_PORTS[0]}" }] }]\n`);
  });

  after(() => teardown(proxy, star));

  it('refuses a range overlapping the ephemeral ports (with --xdp.force: exits, naming the overlap)', async () => {
    const [lo] = star!.exec('prx', ['cat', '/proc/sys/net/ipv4/ip_local_port_range']).trim().split(/\s+/);
    const refused = startProxy(star!, config, { args: ['--xdp.force', '--xdp.session-ports', `${lo}-${Number(lo) + 10}`] });
    const code = await Promise.race([refused.exited, new Promise<string>((r) => setTimeout(() => r('running'), 20000))]);
    if (code === 'running') await refused.stop('SIGKILL');
    expect(code).to.not.equal(0);
    expect(refused.output()).to.match(/overlaps the kernel's ephemeral ports/);
  });

  it('sends from the given range, shown in /config', async () => {
    proxy = await startXdpProxy(star!, config, { env: { QUILKIN_XDP_SESSION_PORTS: '62000-62999' } });
    expect(adminGet(star!, '/config')).to.match(/"sessionPorts": ?"62000-62999"/);
    const run = await runClient(star!, star!.host('prx').ipv4, 3, 20, ['ranged']);
    expect(run.replies.filter((t) => t.endsWith('ranged'))).to.have.length(3);
    const ports = servers.received.filter((r) => r.text.endsWith('ranged')).map((r) => Number(r.from.slice(r.from.lastIndexOf(':') + 1)));
    expect(ports).to.have.length(3);
    for (const p of ports) expect(p).to.be.within(62000, 62999);
  });
});
