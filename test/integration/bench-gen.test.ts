// SPDX-License-Identifier: Apache-2.0
// The in-kernel generator builds frames the kernel accepts: valid IPv4 header checksums
// (forwarding drops bad ones) and valid UDP checksums after its per-session rewrite of
// source port and source address (the receiving UDP stack counts bad ones), in both
// payload formats. A generator with broken checksums would make every socket-based
// subject look like it loses packets.
import { expect } from 'chai';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { repoRoot } from '../support/repo';

const P = 'qkbt';
const OCTET = '203';

function netns(action: 'up' | 'down'): void {
  const r = spawnSync('bash', [path.join(repoRoot(), 'bench', 'netns.sh'), action, P, OCTET], { encoding: 'utf8' });
  if (action === 'up' && r.status !== 0) throw new Error(`netns.sh up: ${r.stderr}`);
}

/** One counter of /proc/net/snmp inside a namespace, e.g. ("Udp", "InCsumErrors"). */
function snmp(ns: string, group: string, field: string): number {
  const lines = execFileSync('ip', ['netns', 'exec', ns, 'cat', '/proc/net/snmp'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.startsWith(`${group}:`));
  const names = lines[0].split(/\s+/);
  const values = lines[1].split(/\s+/);
  return Number(values[names.indexOf(field)]);
}

function mac(ns: string, dev: string): string {
  return (JSON.parse(execFileSync('ip', ['-n', ns, '-j', 'link', 'show', 'dev', dev], { encoding: 'utf8' })) as { address: string }[])[0].address;
}

describe('bench in-kernel generator (root, network namespaces)', function () {
  this.timeout(60000);

  before(function () {
    if (process.getuid?.() !== 0) this.skip(); // needs root: namespaces and BPF_PROG_RUN
    const build = spawnSync('bash', [path.join(repoRoot(), 'bench', 'build.sh')], { encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`bench/build.sh: ${build.stderr}`);
    netns('up');
  });

  after(() => netns('down'));

  for (const format of ['none', 'embark']) {
    it(`sends frames with valid IP and UDP checksums across sessions and source IPs (${format})`, async () => {
      const bin = path.join(repoRoot(), 'bench', 'bin');
      const server = `10.${OCTET}.2.2`;
      const echo = spawn('ip', ['netns', 'exec', `${P}-s`, path.join(bin, 'udpecho'), '--bind', `${server}:9000`, '--duration', '20']);
      let echoOut = '';
      echo.stdout.on('data', (d: Buffer) => (echoOut += d.toString()));
      await new Promise((resolve) => echo.stderr.once('data', resolve)); // "udpecho: ready"
      const csumBefore = snmp(`${P}-s`, 'Udp', 'InCsumErrors');
      const hdrBefore = snmp(`${P}-p`, 'Ip', 'InHdrErrors');
      // 30 sessions, 10 per source IP: every frame after the first ten rewrites both the
      // source port and the source address (10.x.1.2 .. .4), checksums included.
      const gen = execFileSync(
        'ip',
        [
          'netns',
          'exec',
          `${P}-c`,
          path.join(bin, 'xdp_gen'),
          '--ifname',
          `${P}c0`,
          '--dst-mac',
          mac(`${P}-p`, `${P}pc`),
          '--src',
          `10.${OCTET}.1.2`,
          '--dst',
          `${server}:9000`,
          '--sessions',
          '30',
          '--ports-per-ip',
          '10',
          '--format',
          format,
          '--rate',
          '5000',
          '--duration',
          '0.4',
        ],
        { encoding: 'utf8' },
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      echo.kill('SIGTERM');
      await new Promise((resolve) => echo.once('close', resolve));
      const sent = (JSON.parse(gen) as { sent: number }).sent;
      const received = (JSON.parse(echoOut) as { received: number }).received;
      expect(sent).to.be.greaterThan(0);
      expect(received, 'datagrams the echo server got').to.be.greaterThan(sent / 2);
      expect(snmp(`${P}-s`, 'Udp', 'InCsumErrors') - csumBefore, 'UDP checksum errors at the server').to.equal(0);
      expect(snmp(`${P}-p`, 'Ip', 'InHdrErrors') - hdrBefore, 'IP header errors at the forwarder').to.equal(0);
    });
  }
});
