// SPDX-License-Identifier: Apache-2.0
// The XDP program attached (generic, then native mode) to a veth in a
// namespace we create: ARP, ping, a TCP connect and UDP to a non-proxy port
// must still reach the kernel, and the program's counters must show it saw
// them. UDP to the proxy port with no AF_XDP socket must fall back to the
// kernel too. Then a live AF_XDP socket (bpf/tests/xsk_rx.c) is put in the
// program's XSKMAP and must receive UDP to the listen port: the redirect end
// to end. Namespaces, veths, attachments and processes are removed in `finally`.
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { expect } from 'chai';

import { COUNTERS, XDP_MAP_NAMES, XDP_OBJECTS, matchCounterIndex, passCounterIndex } from '../../bpf/abi';
import { encodeConfig } from '../support/bpf-abi-codec';
import { skipWithoutBpf } from '../../bpf/tests/bpf-available';
import { CounterTotals, programMaps, readCounters, updateArrayMap, xdpAttachment } from '../../bpf/tests/bpftool';
import { repoRoot } from '../support/repo';

const LISTEN_PORT = 7777;

interface Topology {
  client: string; // namespace that sends
  server: string; // namespace whose veth runs the program
  clientDev: string;
  serverDev: string;
  serverIp: string;
}

function sh(args: string[], input?: string): string {
  return execFileSync(args[0], args.slice(1), { encoding: 'utf8', timeout: 15000, input });
}

function inNs(ns: string, args: string[], input?: string): string {
  return sh(['ip', 'netns', 'exec', ns, ...args], input);
}

function createTopology(tag: string, subnet: number): Topology {
  const t: Topology = {
    client: `qkbpf-c-${tag}`,
    server: `qkbpf-s-${tag}`,
    clientDev: `qkbpfc${tag}`,
    serverDev: `qkbpfs${tag}`,
    serverIp: `10.203.${subnet}.2`,
  };
  sh(['ip', 'netns', 'add', t.client]);
  sh(['ip', 'netns', 'add', t.server]);
  sh(['ip', 'link', 'add', t.clientDev, 'netns', t.client, 'type', 'veth', 'peer', 'name', t.serverDev, 'netns', t.server]);
  sh(['ip', '-n', t.client, 'addr', 'add', `10.203.${subnet}.1/24`, 'dev', t.clientDev]);
  sh(['ip', '-n', t.server, 'addr', 'add', `${t.serverIp}/24`, 'dev', t.serverDev]);
  for (const [ns, dev] of [
    [t.client, t.clientDev],
    [t.server, t.serverDev],
  ]) {
    sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    sh(['ip', '-n', ns, 'link', 'set', dev, 'up']);
  }
  return t;
}

function destroyTopology(t: Topology): void {
  for (const ns of [t.client, t.server]) {
    try {
      sh(['ip', 'netns', 'del', ns]);
    } catch {
      // Never created, or already gone: nothing left to clean.
    }
  }
}

/** Waits until `ss` in `ns` shows a listener on the port (bounded: 5 s). */
async function waitListening(ns: string, proto: 'tcp' | 'udp', port: number): Promise<void> {
  const flag = proto === 'tcp' ? '-Hltn' : '-Hlun';
  for (let i = 0; i < 50; i++) {
    if (inNs(ns, ['ss', flag, `sport = :${port}`]).trim() !== '') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no ${proto} listener on port ${port} in ${ns} after 5 s`);
}

/** Starts a one-shot socat receiver (5 s inactivity timeout) in `ns`; resolves with what it got. */
function receiveOnce(ns: string, address: string): { proc: ChildProcess; received: Promise<string> } {
  const proc = spawn('ip', ['netns', 'exec', ns, 'socat', '-T', '5', '-u', address, '-'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const received = new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    proc.on('error', reject);
    proc.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`socat ${address} exited ${code}: ${err}`))));
  });
  return { proc, received };
}

async function sendAndReceive(t: Topology, proto: 'tcp' | 'udp', port: number, text: string): Promise<string> {
  const listen = proto === 'tcp' ? `TCP-LISTEN:${port},reuseaddr` : `UDP-RECVFROM:${port}`;
  const rx = receiveOnce(t.server, listen);
  try {
    await waitListening(t.server, proto, port);
    const target = proto === 'tcp' ? `TCP:${t.serverIp}:${port},connect-timeout=3` : `UDP-SENDTO:${t.serverIp}:${port}`;
    inNs(t.client, ['socat', '-u', '-', target], text);
    return await rx.received;
  } finally {
    rx.proc.kill();
  }
}

function delta(after: CounterTotals[], before: CounterTotals[], index: number): number {
  return Number(after[index].packets - before[index].packets);
}

/** Runs xsk_rx on the server veth; sends `count` datagrams to the listen port once it is ready. */
async function receiveOnXsk(t: Topology, xskRx: string, xsksMapId: number, count: number): Promise<string> {
  const args = ['netns', 'exec', t.server, xskRx, t.serverDev, String(xsksMapId), String(LISTEN_PORT), String(count), '5000'];
  const proc = spawn('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    let err = '';
    const done = new Promise<number | null>((resolve, reject) => {
      proc.on('error', reject);
      proc.on('close', resolve);
    });
    const ready = new Promise<void>((resolve) => {
      proc.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready')) resolve();
      });
    });
    proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    await Promise.race([ready, done]);
    for (let i = 0; i < count; i++) {
      inNs(t.client, ['socat', '-u', '-', `UDP-SENDTO:${t.serverIp}:${LISTEN_PORT}`], `to the xsk ${i}`);
    }
    const code = await done;
    if (code !== 0) throw new Error(`xsk_rx exited ${code}: ${out} ${err}`);
    return out;
  } finally {
    proc.kill();
  }
}

function attach(t: Topology, mode: 'xdpgeneric' | 'xdpdrv'): Map<string, number> {
  const root = repoRoot();
  if (mode === 'xdpdrv') {
    // Native XDP on veth: frames redirected/TX'd into a veth only arrive if its peer runs XDP.
    const pass = path.join(root, XDP_OBJECTS.pass);
    sh(['ip', '-n', t.client, 'link', 'set', 'dev', t.clientDev, 'xdpdrv', 'obj', pass, 'sec', 'xdp']);
  }
  const redirect = path.join(root, XDP_OBJECTS.redirect);
  sh(['ip', '-n', t.server, 'link', 'set', 'dev', t.serverDev, mode, 'obj', redirect, 'sec', 'xdp']);
  const attached = xdpAttachment(t.server, t.serverDev);
  if (!attached) throw new Error(`no XDP program on ${t.serverDev} after attaching in ${mode} mode`);
  expect(attached.mode, 'attach mode (1 native, 2 generic)').to.equal(mode === 'xdpdrv' ? 1 : 2);
  const maps = programMaps(attached.progId);
  const configId = maps.get(XDP_MAP_NAMES.config);
  if (configId === undefined) throw new Error(`program ${attached.progId} has no ${XDP_MAP_NAMES.config} map`);
  const config = encodeConfig({
    listenPort: LISTEN_PORT,
    qcmpPort: 7600,
    sessionPortStart: 61000,
    sessionPortEnd: 65535,
    enabled: true,
    matchLocalAddr: false,
  });
  updateArrayMap(configId, 0, config);
  return maps;
}

/** Detaching needs the mode it was attached in ("xdp off" leaves a generic program). */
function detach(t: Topology, mode: 'xdpgeneric' | 'xdpdrv'): void {
  sh(['ip', '-n', t.server, 'link', 'set', 'dev', t.serverDev, mode, 'off']);
  if (mode === 'xdpdrv') sh(['ip', '-n', t.client, 'link', 'set', 'dev', t.clientDev, 'xdpdrv', 'off']);
  expect(xdpAttachment(t.server, t.serverDev), 'detached').to.equal(undefined);
  expect(xdpAttachment(t.client, t.clientDev), 'peer detached').to.equal(undefined);
}

describe('bpf: XDP program on a veth passes non-proxy traffic', function () {
  this.timeout(90000);
  let tools = '';

  before(function () {
    skipWithoutBpf(this);
    tools = fs.mkdtempSync(path.join(os.tmpdir(), 'qkbpf-netns-'));
    execFileSync('bash', [path.join(repoRoot(), 'bpf/build.sh'), path.join(tools, 'obj')], {
      env: { ...process.env, QK_BPF_TOOLS_DIR: path.join(tools, 'bin') },
      timeout: 120000,
    });
  });

  after(function () {
    if (tools) fs.rmSync(tools, { recursive: true, force: true });
  });

  const modes = [
    ['xdpgeneric', 1],
    ['xdpdrv', 2],
  ] as const;
  for (const [mode, subnet] of modes) {
    it(`${mode}: ARP, ping, TCP and other UDP reach the kernel; proxy UDP reaches AF_XDP`, async function () {
      const t = createTopology(`${process.pid % 100000}${subnet}`, subnet);
      try {
        const maps = attach(t, mode);
        const countersId = maps.get(XDP_MAP_NAMES.counters);
        if (countersId === undefined) throw new Error(`no ${XDP_MAP_NAMES.counters} map`);
        const before = readCounters(countersId);

        inNs(t.client, ['ping', '-c', '3', '-i', '0.2', '-W', '2', t.serverIp]);
        expect(await sendAndReceive(t, 'tcp', 8080, 'hello over tcp')).to.equal('hello over tcp');
        expect(await sendAndReceive(t, 'udp', 5353, 'hello other port')).to.equal('hello other port');
        // The proxy port while its rx queue has no AF_XDP socket: the XDP_PASS fallback.
        expect(await sendAndReceive(t, 'udp', LISTEN_PORT, 'no socket yet')).to.equal('no socket yet');

        const after = readCounters(countersId);
        expect(delta(after, before, passCounterIndex('not_ip')), 'ARP').to.be.greaterThan(0);
        // 3 echo requests + at least SYN, ACK, data/FIN of the TCP connection.
        expect(delta(after, before, passCounterIndex('not_udp')), 'ICMP + TCP').to.be.greaterThanOrEqual(6);
        expect(delta(after, before, passCounterIndex('other_port')), 'UDP 5353').to.equal(1);
        expect(delta(after, before, passCounterIndex('no_xsk')), 'UDP to the proxy port').to.equal(1);
        expect(delta(after, before, matchCounterIndex('listen')), 'listen port match').to.equal(1);
        expect(delta(after, before, COUNTERS.QK_CNT_REDIRECT), 'redirects').to.equal(0);
        expect(delta(after, before, COUNTERS.QK_CNT_DROP), 'drops').to.equal(0);

        const xsksId = maps.get(XDP_MAP_NAMES.xsks);
        if (xsksId === undefined) throw new Error(`no ${XDP_MAP_NAMES.xsks} map`);
        expect(await receiveOnXsk(t, path.join(tools, 'bin/xsk_rx'), xsksId, 3)).to.contain('received 3');
        const redirected = readCounters(countersId);
        expect(delta(redirected, after, COUNTERS.QK_CNT_REDIRECT), 'redirects to the AF_XDP socket').to.equal(3);
        detach(t, mode);
      } finally {
        destroyTopology(t);
      }
    });
  }
});
