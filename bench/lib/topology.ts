// SPDX-License-Identifier: Apache-2.0
// The three-namespace topology built by bench/netns.sh, seen from the harness:
// names, addresses, MACs, and the pinning plan (proxy on one CPU, load on the other).
import * as path from 'node:path';
import { run } from './proc';

export interface Topology {
  prefix: string;
  ns: { client: string; proxy: string; server: string };
  /** client: where the generator transmits (a port of the client-side bridge). */
  dev: { client: string; proxyClient: string; proxyServer: string; server: string; serverOneArm: string };
  /** serverOneArm: the server's address on the client segment, for one-armed proxies. */
  ip: { client: string[]; proxyClient: string; proxyServer: string; server: string; serverOneArm: string };
  mac: { client: string; proxyClient: string; proxyServer: string; server: string };
  cpu: { proxy: number; load: number };
  ports: { proxy: number; echo: number };
}

export function describe(prefix: string, octet: number, proxyCpu: number, loadCpu: number): Topology {
  return {
    prefix,
    ns: { client: `${prefix}-c`, proxy: `${prefix}-p`, server: `${prefix}-s` },
    dev: { client: `${prefix}c0`, proxyClient: `${prefix}pc`, proxyServer: `${prefix}ps`, server: `${prefix}s0`, serverOneArm: `${prefix}s1` },
    ip: {
      client: [2, 3, 4].map((h) => `10.${octet}.1.${h}`),
      proxyClient: `10.${octet}.1.1`,
      proxyServer: `10.${octet}.2.1`,
      server: `10.${octet}.2.2`,
      serverOneArm: `10.${octet}.1.5`,
    },
    mac: { client: '', proxyClient: '', proxyServer: '', server: '' },
    cpu: { proxy: proxyCpu, load: loadCpu },
    ports: { proxy: 7777, echo: 9000 },
  };
}

function netnsScript(root: string): string {
  return path.join(root, 'bench', 'netns.sh');
}

async function readMac(ns: string, dev: string): Promise<string> {
  const r = await run(['ip', '-n', ns, '-j', 'link', 'show', 'dev', dev], 5000);
  const parsed = JSON.parse(r.stdout) as { address: string }[];
  if (r.code !== 0 || !parsed[0]?.address) throw new Error(`no MAC for ${dev} in ${ns}: ${r.stderr}`);
  return parsed[0].address;
}

/** Builds the namespaces (replacing leftovers of an earlier crashed run) and reads MACs. */
export async function up(root: string, t: Topology, octet: number): Promise<void> {
  const r = await run(['bash', netnsScript(root), 'up', t.prefix, String(octet), String(t.cpu.proxy), String(t.cpu.load)], 30000);
  if (r.code !== 0) throw new Error(`netns.sh up failed: ${r.stderr.trim()}`);
  t.mac.client = await readMac(t.ns.client, `${t.prefix}br`); // the client addresses live on the bridge
  t.mac.proxyClient = await readMac(t.ns.proxy, t.dev.proxyClient);
  t.mac.proxyServer = await readMac(t.ns.proxy, t.dev.proxyServer);
  t.mac.server = await readMac(t.ns.server, t.dev.server);
}

export async function down(root: string, t: Topology, octet: number): Promise<void> {
  await run(['bash', netnsScript(root), 'down', t.prefix, String(octet)], 30000);
}
