// SPDX-License-Identifier: Apache-2.0
// End to end through the AF_XDP layer: native/xsk/tests/forwarder-test.sh
// builds client, proxy and server namespaces, runs the standalone forwarder
// (bpf/obj/xdp_redirect.bpf.o + AF_XDP sockets) in the proxy namespace and
// real UDP sockets on both ends. Delivery proves the next-hop MACs and the
// checksums (the receiving kernels drop bad ones); every message must come
// back to the client. The script removes its namespaces on any exit.
import { execFileSync, spawnSync } from 'node:child_process';
import * as path from 'node:path';

import { expect } from 'chai';

import { skipWithoutBpf } from '../../bpf/tests/bpf-available';
import { repoRoot } from '../support/repo';

const xskDir = path.join(repoRoot(), 'native', 'xsk');

interface IfaceReport {
  name: string;
  tx_kick_errors: number;
  tx_kick_stalls: number;
  tx_ring_full: number;
  umem_alloc_failed: number;
  kernel_rx_dropped: number;
  kernel_rx_ring_full: number;
  kernel_fill_empty: number;
}

interface ForwarderReport {
  rx: number;
  tx: number;
  reads: number;
  writes: number;
  copies: number;
  drops: Record<string, number>;
  sessions: { created: number; write_misses: number; full_drops: number };
  nexthops: { hits: number; no_route: number };
  ifaces: IfaceReport[];
}

const PINGS = 20;
// Messages sent at once, to make TX batches exceed the 32 descriptors a
// copy-mode kick takes. With two endpoints, one of them echoes into the
// client's own veth as well, so the burst is halved to stay under the 256
// frames a veth XDP ring holds. veth (not the forwarder) may still lose a
// few on a loaded machine: the forwarder's own counters must show no loss.
const burstFor = (endpoints: 'server' | 'both'): number => (endpoints === 'both' ? 100 : 200);
const BURST_MIN_SHARE = 0.9;
const NEIGHBOUR_UNRESOLVED = String(23); // QK_DROP_NEIGHBOUR_UNRESOLVED in bpf/lib/drop_reasons.h

const cases: Array<{ family: string; mode: string; endpoints: 'server' | 'both' }> = [
  { family: 'ipv4', mode: 'generic', endpoints: 'server' },
  { family: 'ipv4', mode: 'native', endpoints: 'server' },
  { family: 'ipv6', mode: 'generic', endpoints: 'server' },
  { family: 'ipv6', mode: 'native', endpoints: 'server' },
  { family: 'ipv4', mode: 'native', endpoints: 'both' },
  { family: '4to6', mode: 'native', endpoints: 'both' },
  { family: '6to4', mode: 'generic', endpoints: 'both' },
];

describe('native AF_XDP test forwarder (client, proxy, server namespaces)', function () {
  this.timeout(120000);

  before(function () {
    skipWithoutBpf(this);
    execFileSync('make', ['-C', xskDir, '-j2', 'all'], { stdio: 'pipe', timeout: 170000 });
  });

  for (const c of cases) {
    it(`forwards ${c.family} in ${c.mode} XDP mode to ${c.endpoints === 'both' ? 'two endpoints (fan-out, both interfaces)' : 'a server on the proxy subnet'} and back`, () => {
      const BURST = burstFor(c.endpoints);
      const run = spawnSync(path.join(xskDir, 'tests', 'forwarder-test.sh'), [c.family, c.mode, c.endpoints, String(BURST)], {
        encoding: 'utf8',
        timeout: 100000,
      });
      const detail = `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
      expect(run.status, detail).to.equal(0);
      expect(run.stdout, detail).to.match(new RegExp(`ping: sent=\\d+ replies=${PINGS}\n`));
      const burst = /burst: sent=(\d+) replies=(\d+)/.exec(run.stdout);
      expect(burst, detail).to.not.equal(null);
      expect(Number(burst?.[1])).to.equal(BURST);
      expect(Number(burst?.[2]), detail).to.be.at.least(BURST_MIN_SHARE * BURST);
      const lines = run.stdout.trim().split('\n');
      const report = JSON.parse(lines[lines.length - 1]) as ForwarderReport;
      const n = c.endpoints === 'both' ? 2 : 1;
      // The only drop allowed: a reply to a client whose MAC the proxy has
      // not learnt yet (counted, resolution triggered, the ping retries).
      const unresolved = report.drops[NEIGHBOUR_UNRESOLVED] ?? 0;
      expect(
        Object.keys(report.drops).filter((k) => k !== NEIGHBOUR_UNRESOLVED),
        detail,
      ).to.deep.equal([]);
      expect(unresolved, detail).to.be.at.most(4);
      expect(report.reads, detail).to.be.at.least(PINGS + BURST_MIN_SHARE * BURST);
      // Every frame the forwarder received went out (fan-out: n per upstream one).
      expect(report.tx + unresolved, detail).to.equal(report.reads * n + report.writes);
      expect(report.sessions.created, 'one session per client socket and endpoint').to.equal(2 * n);
      expect(report.sessions.write_misses).to.equal(0);
      expect(report.copies, 'frames crossing interfaces are copied').to.be.at.least(report.reads);
      for (const iface of report.ifaces) {
        const lost = iface.tx_kick_errors + iface.tx_kick_stalls + iface.tx_ring_full + iface.umem_alloc_failed;
        expect(lost + iface.kernel_rx_dropped + iface.kernel_rx_ring_full + iface.kernel_fill_empty, iface.name).to.equal(0);
      }
      if (c.endpoints === 'both') {
        // Both endpoints saw the fan-out traffic.
        for (const who of ['server', 'near']) {
          const echoed = new RegExp(`${who}: echoed=(\\d+)`).exec(run.stdout);
          expect(Number(echoed?.[1] ?? 0), `${who} echoed\n${detail}`).to.be.at.least(PINGS);
        }
      }
    });
  }
});
