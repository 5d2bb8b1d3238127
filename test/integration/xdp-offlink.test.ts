// SPDX-License-Identifier: Apache-2.0
// `quilkin proxy xdp` with an endpoint the attached interface cannot reach by rewriting a frame
// (here: an address of the proxy host itself). Its packets go through a per-session kernel socket,
// are counted and logged once, and the endpoint's replies still reach the client through the
// AF_XDP ring, while the other endpoint keeps the XDP path.
import { expect } from 'chai';
import { skipWithoutBpf } from '../../bpf/tests/bpf-available';
import type { Star } from '../support/netns';
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

const LOCAL_PORT = 9101;

describe('proxy xdp: endpoints off the attached interface use the off-link path', function () {
  this.timeout(60000);
  let star: Star | undefined;
  let proxy: Proxy | undefined;
  let remote: Servers;
  let local: Servers;
  let configFile: string;

  before(async function () {
    skipWithoutBpf(this);
    star = topology(85);
    remote = new Servers(star);
    local = new Servers(star, 120000, 'prx', [LOCAL_PORT]);
    await Promise.all([remote.ready(), local.ready()]);
    const endpoints = [...defaultEndpoints(star), { address: `${star.host('prx').ipv4}:${LOCAL_PORT}`, token: 'ccc' }];
    configFile = writeConfig(embarkConfig(endpoints));
    proxy = await startXdpProxy(star, configFile);
  });

  after(() => teardown(proxy, star));

  it('sends through the kernel, forwards the replies, counts and logs it once', async function () {
    const run = await runClient(star!, star!.host('prx').ipv4, 10, 20, [embarkPayload('via-kernel', 'ccc'), embarkPayload('via-xdp', TOKENS[0])]);
    expect(local.on(LOCAL_PORT).filter((t) => t.endsWith('via-kernel'))).to.have.length(10);
    expect(remote.on(SERVER_PORTS[0]).filter((t) => t.endsWith('via-xdp'))).to.have.length(10);
    expect(run.replies.filter((t) => t.endsWith('via-kernel'))).to.have.length(10);
    expect(run.replies.filter((t) => t.endsWith('via-xdp'))).to.have.length(10);
    const metrics = adminGet(star!, '/metrics');
    expect(metrics).to.match(/quilkin_xdp_kernel_path_packets_total\{event="read"\} 10\b/);
    expect(metrics).to.match(/quilkin_xdp_kernel_path_packets_total\{event="write"\} 10\b/);
    await proxy!.waitFor('endpoint not reachable through the attached interface', 5000);
    expect(proxy!.output().split('endpoint not reachable through the attached interface')).to.have.length(2);
  });

  it('resolves an endpoint given by DNS name (localhost: the off-link path again)', async function () {
    const endpoints = [...defaultEndpoints(star!), { address: `localhost:${LOCAL_PORT}`, token: 'ddd' }];
    writeConfig(embarkConfig(endpoints), configFile);
    await proxy!.waitFor('"config applied"', 10000);
    let replies: string[] = [];
    // Resolution runs after the config is applied: retry briefly until the name has an address.
    for (let attempt = 0; attempt < 10 && replies.length === 0; attempt++) {
      replies = (await runClient(star!, star!.host('prx').ipv4, 1, 10, [embarkPayload('by-name', 'ddd')], 500)).replies;
    }
    expect(replies.some((t) => t.endsWith('by-name'))).to.equal(true);
    expect(local.on(LOCAL_PORT).some((t) => t.endsWith('by-name'))).to.equal(true);
  });
});
