// SPDX-License-Identifier: Apache-2.0
// Next-hop resolution over rtnetlink (native/net/neigh.c, nhcache.c) in two
// namespaces joined by a veth: the MAC must be the peer's real one, learnt
// through the kernel (route lookup, neighbour lookup, NTF_USE trigger and
// the RTNLGRP_NEIGH notification), for on-link and gatewayed destinations;
// unresolvable, unroutable and local destinations must fail precisely.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';

import { expect } from 'chai';

import { repoRoot } from '../support/repo';

const xskDir = path.join(repoRoot(), 'native', 'xsk');
const tag = `qkxsk${process.pid % 100000}`;
const nsA = `${tag}-na`;
const nsB = `${tag}-nb`;

function sh(args: string[]): string {
  return execFileSync(args[0], args.slice(1), { encoding: 'utf8', timeout: 15000 });
}

function linkMac(ns: string, dev: string): string {
  const links = JSON.parse(sh(['ip', '-j', '-n', ns, 'link', 'show', dev])) as Array<{ address: string }>;
  return links[0].address;
}

function probe(timeoutMs: number, addrs: string[]): Map<string, string> {
  const run = spawnSync('ip', ['netns', 'exec', nsA, path.join(xskDir, 'build', 'neigh_probe'), String(timeoutMs), ...addrs], {
    encoding: 'utf8',
    timeout: 30000,
  });
  const lines = new Map<string, string>();
  for (const line of run.stdout.trim().split('\n')) {
    const [addr, ...rest] = line.split(' ');
    lines.set(addr, rest.join(' '));
  }
  return lines;
}

describe('native next-hop resolution (rtnetlink)', function () {
  this.timeout(60000);

  before(function () {
    if (process.getuid?.() !== 0) {
      console.log('    skipped: network namespaces need root (CAP_NET_ADMIN, CAP_SYS_ADMIN)');
      this.skip();
    }
    execFileSync('make', ['-C', xskDir, '-j2', 'all'], { stdio: 'pipe', timeout: 170000 });
    for (const ns of [nsA, nsB]) {
      sh(['ip', 'netns', 'add', ns]);
      sh(['ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
    }
    sh(['ip', 'link', 'add', 'qkxsk-va', 'netns', nsA, 'type', 'veth', 'peer', 'name', 'qkxsk-vb', 'netns', nsB]);
    sh(['ip', '-n', nsA, 'addr', 'add', '10.78.0.1/24', 'dev', 'qkxsk-va']);
    sh(['ip', '-n', nsB, 'addr', 'add', '10.78.0.2/24', 'dev', 'qkxsk-vb']);
    sh(['ip', '-n', nsA, 'addr', 'add', 'fd00:78::1/64', 'dev', 'qkxsk-va', 'nodad']);
    sh(['ip', '-n', nsB, 'addr', 'add', 'fd00:78::2/64', 'dev', 'qkxsk-vb', 'nodad']);
    sh(['ip', '-n', nsA, 'link', 'set', 'qkxsk-va', 'up']);
    sh(['ip', '-n', nsB, 'link', 'set', 'qkxsk-vb', 'up']);
    sh(['ip', '-n', nsA, 'route', 'add', '10.98.0.0/16', 'via', '10.78.0.2']);
    // A second link, for a route that moves to another interface.
    sh(['ip', 'link', 'add', 'qkxsk-va2', 'netns', nsA, 'type', 'veth', 'peer', 'name', 'qkxsk-vb2', 'netns', nsB]);
    sh(['ip', '-n', nsA, 'addr', 'add', '10.78.1.1/24', 'dev', 'qkxsk-va2']);
    sh(['ip', '-n', nsB, 'addr', 'add', '10.78.1.2/24', 'dev', 'qkxsk-vb2']);
    sh(['ip', '-n', nsA, 'link', 'set', 'qkxsk-va2', 'up']);
    sh(['ip', '-n', nsB, 'link', 'set', 'qkxsk-vb2', 'up']);
  });

  after(() => {
    for (const ns of [nsA, nsB]) spawnSync('ip', ['netns', 'del', ns]);
  });

  it('resolves on-link IPv4 and IPv6 and gatewayed destinations to the peer MAC, with source address', () => {
    const mac = linkMac(nsB, 'qkxsk-vb');
    const out = probe(3000, ['10.78.0.2', 'fd00:78::2', '10.98.7.7']);
    expect(out.get('10.78.0.2')).to.match(new RegExp(`mac=${mac} src=10\\.78\\.0\\.1$`));
    expect(out.get('fd00:78::2')).to.match(new RegExp(`mac=${mac} src=fd00:78::1$`));
    expect(out.get('10.98.7.7'), 'via the gateway 10.78.0.2').to.match(new RegExp(`mac=${mac} src=10\\.78\\.0\\.1$`));
    expect(out.get('counters')).to.match(/triggers=[1-9]/);
  });

  it('never guesses: an absent neighbour stays unresolved, no route and local addresses fail', () => {
    const out = probe(500, ['10.78.0.77', '10.99.0.1', '10.78.0.1']);
    expect(out.get('10.78.0.77')).to.equal('error=Resource temporarily unavailable');
    expect(out.get('10.99.0.1')).to.equal('error=Network is unreachable');
    expect(out.get('10.78.0.1')).to.equal('error=Cannot assign requested address');
  });

  // Runs neigh_probe --watch on addr while change() runs; returns its output.
  async function watchWhile(addr: string, change: () => void): Promise<string> {
    const child = spawn('ip', ['netns', 'exec', nsA, path.join(xskDir, 'build', 'neigh_probe'), '2000', '--watch', '2500', addr]);
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      for (let i = 0; i < 50 && !stdout.includes('mac='); i++) await new Promise((r) => setTimeout(r, 50));
      expect(stdout, 'first resolution').to.contain(`${addr} ifindex=`);
      change();
      expect(await exited).to.equal(0);
    } finally {
      child.kill();
    }
    return stdout;
  }

  it('follows a neighbour change through RTNLGRP_NEIGH notifications, without asking again', async () => {
    const out = await watchWhile('10.78.0.2', () => sh(['ip', '-n', nsA, 'neigh', 'replace', '10.78.0.2', 'lladdr', '02:00:00:00:00:99', 'dev', 'qkxsk-va']));
    expect(out).to.match(/^changed 10\.78\.0\.2 ifindex=\d+ mac=02:00:00:00:00:99 /m);
    expect(out, 'the change came from the notification, not a new route lookup').to.match(/route_lookups=1\b/);
  });

  it('re-resolves after a route change moves a destination to another interface', async () => {
    const mac2 = linkMac(nsB, 'qkxsk-vb2');
    const out = await watchWhile('10.98.7.7', () => sh(['ip', '-n', nsA, 'route', 'replace', '10.98.0.0/16', 'via', '10.78.1.2']));
    expect(out).to.match(new RegExp(`^changed 10\\.98\\.7\\.7 ifindex=\\d+ mac=${mac2} src=10\\.78\\.1\\.1$`, 'm'));
    expect(out, 'the route notification flushed the cache').to.match(/route_lookups=[2-9]\b/);
  });
});
