// SPDX-License-Identifier: Apache-2.0
// `quilkin proxy xdp` on a veth with two rx queues: one AF_XDP socket and worker per queue (XSKMAP
// slot = queue id), one session table shared by both workers. Several client flows, which the
// sending veth spreads over its queues by hash, must all be routed and answered. Sessions expire
// after 1 s, and the lifetime of every one reaches quilkin_session_duration_secs.
import { expect } from 'chai';
import * as os from 'node:os';
import { skipWithoutBpf } from '../../bpf/tests/bpf-available';
import { labelledSample as metric } from '../support/metrics-text';
import { eventually } from '../support/net';
import type { Star } from '../support/netns';
import {
  adminGet,
  defaultEndpoints,
  embarkConfig,
  embarkPayload,
  type Proxy,
  runClient,
  Servers,
  startXdpProxy,
  teardown,
  TOKENS,
  topology,
  writeConfig,
} from './xdp-topology';

describe('proxy xdp with two rx queues', function () {
  this.timeout(60000);
  let star: Star | undefined;
  let proxy: Proxy | undefined;
  let servers: Servers;

  before(async function () {
    skipWithoutBpf(this);
    star = topology(84, 2);
    servers = new Servers(star);
    await servers.ready();
    // A small UMEM (512 frames per queue): rings are sized down with it.
    const args = ['--xdp.umem-frames', '512', '--session-timeout-secs', '1'];
    proxy = await startXdpProxy(star, writeConfig(embarkConfig(defaultEndpoints(star))), { args });
  });

  after(() => teardown(proxy, star));

  it('binds one socket per queue and forwards every flow both ways', async function () {
    const config = JSON.parse(adminGet(star!, '/config')) as { proxy: { queues: number; detection: string[] } };
    expect(config.proxy.queues).to.equal(2);
    expect(config.proxy.detection).to.include.members([
      'AF_XDP bind queue 0: copy mode (zero-copy unsupported)',
      'AF_XDP bind queue 1: copy mode (zero-copy unsupported)',
    ]);
    const target = star!.host('prx').ipv4;
    const flows = [...Array(6).keys()];
    const runs = await Promise.all(flows.map((f) => runClient(star!, target, 10, 20, [embarkPayload(`mq${f}`, TOKENS[f % 2])])));
    for (const [f, run] of runs.entries()) {
      expect(
        run.replies.filter((r) => r.endsWith(`mq${f}`)),
        `flow ${f}`,
      ).to.have.length(10);
    }
    expect(servers.received.filter((r) => /:mq\d$/.test(r.text))).to.have.length(60);
  });

  it('follows an address added to the interface into the match set', async function () {
    const prx = star!.host('prx');
    const added = prx.ipv4.replace(/\.\d+$/, '.10');
    star!.exec('prx', ['ip', 'addr', 'add', `${added}/24`, 'dev', prx.dev]);
    await proxy!.waitFor('interface addresses changed; local address map updated', 5000);
    const run = await runClient(star!, added, 5, 20, [embarkPayload('new-address', TOKENS[0])]);
    expect(run.replies.filter((r) => r.endsWith('new-address'))).to.have.length(5);
  });

  it('stops taking an address removed from the interface (each CPU forgets the address it matched last)', async function () {
    const prx = star!.host('prx');
    const removed = prx.ipv4.replace(/\.\d+$/, '.10');
    // The last address the program matched on every CPU is the one about to go (a token no
    // endpoint holds: no reply to another address refreshes it).
    const cpus = os.cpus().length;
    for (let cpu = 0; cpu < cpus; cpu++) await runClient(star!, removed, 3, 5, [embarkPayload('last-match', 'zzz')], 100, cpu);
    const before = metric(adminGet(star!, '/metrics'), 'quilkin_xdp_passed_packets_total', 'reason="not_local_addr"');
    star!.exec('prx', ['ip', 'addr', 'del', `${removed}/24`, 'dev', prx.dev]);
    await eventually(() => proxy!.output().split('interface addresses changed; local address map updated').length >= 3, 5000, 'the removal followed');
    // The client still knows the address's MAC, so its datagrams still reach the interface.
    for (let cpu = 0; cpu < cpus; cpu++) {
      const run = await runClient(star!, removed, 5, 20, [embarkPayload('old-address', TOKENS[0])], 300, cpu);
      expect(run.replies).to.have.length(0);
    }
    const after = metric(adminGet(star!, '/metrics'), 'quilkin_xdp_passed_packets_total', 'reason="not_local_addr"');
    expect(after - before).to.equal(5 * cpus);
  });

  it('reports the lifetime of every expired session', async function () {
    const value = (text: string, name: string): number => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    let text: string;
    // Idle after 1 s, swept within 200 ms, moved to the registry on scrape: bounded to 10 s.
    for (let attempt = 0; attempt < 40; attempt++) {
      text = adminGet(star!, '/metrics');
      if (value(text, 'quilkin_session_active') === 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    // A session may close between that scrape's drain and its count: the next scrape has it.
    text = adminGet(star!, '/metrics');
    const created = value(text, 'quilkin_session_total');
    expect(created, text).to.be.at.least(6);
    expect(value(text, 'quilkin_session_active')).to.equal(0);
    expect(value(text, 'quilkin_session_duration_secs_count')).to.equal(created);
  });
});
