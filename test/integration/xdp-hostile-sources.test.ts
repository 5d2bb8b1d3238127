// SPDX-License-Identifier: Apache-2.0
// `proxy xdp` against sources no reply can reach or that cannot arrive on a wire: port 0, "this
// network" 0/8, and martians (loopback, the proxy's own address). Each is a counted `invalid source address`
// drop before any session is made; a legitimate client is served throughout.
import { expect } from 'chai';
import { skipWithoutBpf } from '../../bpf/tests/bpf-available';
import type { Star } from '../support/netns';
import { canSendRaw, sendRawUdp4 } from '../support/raw-udp';
import { adminGet, LISTEN_PORT, type Proxy, runClient, SERVER_PORTS, Servers, startXdpProxy, teardown, topology, writeConfig } from './xdp-topology';

describe('proxy xdp: hostile sources', function () {
  this.timeout(60000);
  let star: Star | undefined;
  let proxy: Proxy | undefined;
  let servers: Servers;

  before(async function () {
    skipWithoutBpf(this);
    if (!canSendRaw()) this.skip();
    star = topology(90);
    servers = new Servers(star);
    await servers.ready();
    proxy = await startXdpProxy(
      star,
      writeConfig(`version: v1alpha1\nclusters: [{ endpoints: [{ address: "${star.host('srv').ipv4}:${SERVER_PORTS[0]}" }] }]\n`),
    );
  });

  after(() => teardown(proxy, star));

  it('drops port 0, 0.0.0.0/8, loopback and its own address as sources, counted, and keeps serving', async () => {
    const prx = star!.host('prx').ipv4;
    const cli = star!.host('cli').ipv4;
    const hostile = [
      { src: cli, srcPort: 0, payload: 'from-port-zero' },
      { src: '0.0.0.9', srcPort: 4000, payload: 'from-this-network' },
      { src: prx, srcPort: 4000, payload: 'from-myself' },
      { src: '127.0.0.1', srcPort: 4000, payload: 'from-loopback' },
    ];
    sendRawUdp4(
      hostile.map((h) => ({ src: h.src, srcPort: h.srcPort, dst: prx, dstPort: LISTEN_PORT, payload: Buffer.from(h.payload) })),
      star!.host('cli').ns,
    );
    const run = await runClient(star!, prx, 5, 20, ['legit']);
    expect(run.replies.filter((t) => t.endsWith('legit'))).to.have.length(5);
    const received = servers.on(SERVER_PORTS[0]);
    for (const h of hostile)
      expect(
        received.some((t) => t.includes(h.payload)),
        h.payload,
      ).to.equal(false);
    const metrics = adminGet(star!, '/metrics');
    expect(metrics).to.match(/quilkin_packets_dropped_total\{event="read",source="invalid source address"[^}]*\} 4\b/);
    expect(metrics).to.match(/quilkin_session_total\S* 1\b/);
  });
});
