// SPDX-License-Identifier: Apache-2.0
// `proxy xdp` under generated hostile frames on the wire: a raw AF_PACKET sender (python) in the
// client namespace injects the frames of xdp-frames.ts at the proxy's MAC while real UDP clients
// (IPv4 and IPv6 sockets) talk to it through the same veth. The proxy must stay up, /live must
// answer, every legitimate datagram must come back echoed (zero loss), no frame the program drops
// or the kernel must refuse (truncated, malformed) reaches the echo endpoint, and the program's
// counters move as the TS model (xdp-model.ts) says for those frames, read from the proxy's own
// config map. Profiles: ci ~4k frames (~10 s), soak 100k (FUZZ_CASES overrides).
import { execFileSync, spawn } from 'node:child_process';

import { expect } from 'chai';
import fc from 'fast-check';

import { COUNTERS, STRUCTS, passCounterIndex, dropCounterIndex } from '../../bpf/abi';
import { skipWithoutBpf } from '../../bpf/tests/bpf-available';
import { programMaps, readCounters, xdpAttachment } from '../../bpf/tests/bpftool';
import { encodeLocalAddrKey } from '../support/bpf-abi-codec';
import { Star } from '../support/netns';
import { labelledSample } from '../support/metrics-text';
import {
  adminGet,
  LISTEN_PORT,
  type Proxy,
  QCMP_PORT,
  runClient,
  SERVER_PORTS,
  Servers,
  startXdpProxy,
  teardown,
  writeConfig,
} from '../integration/xdp-topology';
import { type FrameTarget, buildFrame, frameSpecArb } from './xdp-frames';
import { DROP_MALFORMED, type ModelConfig, xdpVerdict } from './xdp-model';
import { announce, seedFor, sized, withReplay } from './profile';

const SEED = seedFor('xdp-injector');
const FRAMES = sized(4_000, 100_000);
const RATE = 1_000; // hostile frames per second

// Sends hex frames from stdin on DEV at a paced rate; prints {"sent": n, "failed": [indices]}.
const INJECTOR = `
import json, socket, sys, time
dev, rate = sys.argv[1], float(sys.argv[2])
frames = [bytes.fromhex(h) for h in json.load(sys.stdin)]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((dev, 0))
start = time.monotonic()
deadline = start + len(frames) / rate + 30
sent, failed = 0, []
for i, f in enumerate(frames):
    try:
        s.send(f)
        sent += 1
    except OSError:
        failed.append(i)
    if i % 50 == 49:
        now = time.monotonic()
        if now > deadline: break
        due = start + (i + 1) / rate
        if due > now: time.sleep(due - now)
print(json.dumps({'sent': sent, 'failed': failed}))
`;

function inject(ns: string, dev: string, frames: Buffer[]): Promise<{ sent: number; failed: number[] }> {
  const child = spawn('ip', ['netns', 'exec', ns, 'python3', '-c', INJECTOR, dev, String(RATE)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdin.end(JSON.stringify(frames.map((f) => f.toString('hex'))));
  const limit = setTimeout(() => child.kill('SIGKILL'), (frames.length / RATE + 60) * 1000);
  return new Promise((resolve, reject) => {
    child.once('close', (code) => {
      clearTimeout(limit);
      if (code === 0) resolve(JSON.parse(out) as { sent: number; failed: number[] });
      else reject(new Error(`injector exited with ${code}: ${err}`));
    });
  });
}

/** Tagged frames shorter than this never cross a Linux bridge (each untag pulls tag + 2 bytes, and
 *  whether a stacked one is pulled again depends on the bridge), so they are padded to it: the
 *  BPF_PROG_RUN fuzz covers the short ones. */
const MIN_TAGGED = 24;
const tagged = (f: Buffer): boolean => f.length >= 14 && [0x8100, 0x88a8].includes(f.readUInt16BE(12));

function macOf(star: Star, host: string): Buffer {
  const [link] = JSON.parse(star.exec(host, ['ip', '-j', 'link', 'show', 'dev', star.host(host).dev])) as Array<{ address: string }>;
  return Buffer.from(link.address.replace(/:/g, ''), 'hex');
}

function bpftoolJson<T>(args: string[]): T {
  return JSON.parse(execFileSync('bpftool', ['-j', ...args], { encoding: 'utf8', timeout: 10000 })) as T;
}

/** The proxy's program config (qk_config, qk_local_addrs) as the model's input. */
function proxyModelConfig(progId: number): ModelConfig {
  const maps = programMaps(progId);
  type Entry = { key: string[]; value: string[] };
  const bytes = (hex: string[]): Buffer => Buffer.from(hex.map((b) => parseInt(b, 16)));
  const [config] = bpftoolJson<Entry[]>(['map', 'dump', 'id', String(maps.get('qk_config'))]);
  const v = bytes(config.value);
  const f = STRUCTS.qk_xdp_config.fields;
  const addrs = bpftoolJson<Entry[]>(['map', 'dump', 'id', String(maps.get('qk_local_addrs'))]).map((e) => bytes(e.key));
  const flags = v.readUInt32LE(f.flags.offset);
  return {
    enabled: (flags & 1) !== 0,
    listenPort: v.readUInt16LE(f.listen_port.offset),
    qcmpPort: v.readUInt16LE(f.qcmp_port.offset),
    sessionPortStart: v.readUInt16LE(f.session_port_start.offset),
    sessionPortEnd: v.readUInt16LE(f.session_port_end.offset),
    localAddrs: new Set((flags & 2) !== 0 ? addrs.map((k) => k.subarray(4, k[0] === 4 ? 8 : 20).toString('hex')) : []),
    maxFrameLen: v.readUInt32LE(f.max_frame_len.offset),
    xsk: true,
  };
}

// Both tiers: the fast path on (the default; legitimate sessions are then carried by the program
// itself once established, and hostile frames meet the same parser in front of it) and off.
for (const [fastPath, prefix, third] of [
  ['auto', 'qkxg', 2],
  ['off', 'qkxf', 1],
] as const)
  describe(`fuzz: proxy xdp under injected hostile frames (AF_PACKET in a netns, --xdp.fast-path ${fastPath})`, function () {
    this.timeout(300_000);
    let star: Star | undefined;
    let proxy: Proxy | undefined;
    let servers: Servers;

    before(async function () {
      skipWithoutBpf(this);
      star = new Star({ prefix, hosts: ['cli', 'prx', 'srv'], subnet: [97, third], txChecksumOff: true }).create();
      // With br_netfilter loaded the bridge trims and drops IP frames whose lengths lie before
      // they reach the proxy: this test is about what the proxy's veth sees, so the bridge stays L2.
      for (const key of ['bridge-nf-call-iptables', 'bridge-nf-call-ip6tables', 'bridge-nf-call-arptables']) {
        try {
          execFileSync('ip', ['netns', 'exec', star.bridgeNs, 'sysctl', '-qw', `net.bridge.${key}=0`], { stdio: 'ignore' });
        } catch {
          // No br_netfilter: the bridge never looked at IP.
        }
      }
      // The bridge untags the outer VLAN tag on receive (skb_vlan_untag) and keeps it as metadata; with
      // TX VLAN offload on the proxy's peer it would reach XDP untagged. Off, it is put back in the frame,
      // as a switch's trunk port would send it.
      execFileSync('ip', ['netns', 'exec', star.bridgeNs, 'ethtool', '-K', star.host('prx').peer, 'txvlan', 'off', 'tx-vlan-stag-hw-insert', 'off'], {
        stdio: 'ignore',
      });
      servers = new Servers(star, 280_000);
      await servers.ready();
      proxy = await startXdpProxy(
        star,
        writeConfig(`version: v1alpha1\nclusters: [{ endpoints: [{ address: "${star.host('srv').ipv4}:${SERVER_PORTS[0]}" }] }]\n`),
        { fastPath },
      );
    });

    after(() => teardown(proxy, star));

    it(`serves every legitimate datagram while ${FRAMES} generated frames are injected`, async function () {
      announce('xdp injector (AF_PACKET) vs model', FRAMES, 'frames');
      const s = star!;
      const prx = s.host('prx');
      const attachment = xdpAttachment(prx.ns, prx.dev);
      expect(attachment, 'program attached').to.not.equal(undefined);
      const cfg = proxyModelConfig(attachment!.progId);
      expect(cfg.listenPort).to.equal(LISTEN_PORT);
      expect(cfg.qcmpPort).to.equal(QCMP_PORT);
      const ip = (a: string): Buffer => {
        const key = encodeLocalAddrKey(a);
        return key.subarray(4, key[0] === 4 ? 8 : 20);
      };
      const t: FrameTarget = {
        listenPort: cfg.listenPort,
        qcmpPort: cfg.qcmpPort,
        sessionPortStart: cfg.sessionPortStart,
        sessionPortEnd: cfg.sessionPortEnd,
        v4: [ip(prx.ipv4), ip(s.host('srv').ipv4)],
        v6: [ip(prx.ipv6)],
        srcMac: macOf(s, 'cli'),
        dstMac: macOf(s, 'prx'),
      };
      const started = Date.now();
      await withReplay(__filename, FRAMES, async () => {
        const specs = fc.sample(frameSpecArb, { seed: SEED, numRuns: FRAMES });
        const frames = specs
          .map((spec, i) => {
            const f = buildFrame(spec, t, Buffer.from(`HOSTILE-${i}-`));
            // Bridges drop frames with a multicast source MAC: every frame carries the real MACs.
            if (f.length >= 12) Buffer.concat([t.dstMac, t.srcMac]).copy(f, 0);
            return f;
          })
          .map((f) => (tagged(f) && f.length < MIN_TAGGED ? Buffer.concat([f, Buffer.alloc(MIN_TAGGED - f.length)]) : f));
        const before = readCounters(programMaps(attachment!.progId).get('qk_counters')!);
        const injecting = inject(
          s.host('cli').ns,
          s.host('cli').dev,
          frames.map((f) => (f.length >= 14 ? f : Buffer.concat([f, Buffer.alloc(14 - f.length)]))),
        );
        const seconds = FRAMES / RATE;
        const rounds = Math.max(20, Math.floor((seconds * 1000) / 50));
        const [v4, v6, sent] = await Promise.all([runClient(s, prx.ipv4, rounds, 50, ['legit4']), runClient(s, prx.ipv6, rounds, 50, ['legit6']), injecting]);
        expect(adminGet(s, '/live')).to.be.a('string');
        expect(proxy!.child.exitCode, proxy!.output()).to.equal(null);
        // Zero loss: every round of both families answered exactly once, intact.
        for (const [run, tag] of [
          [v4, 'legit4'],
          [v6, 'legit6'],
        ] as const) {
          expect(run.sent, tag).to.equal(rounds);
          const got = run.replies.filter((r) => r.endsWith(tag)).map((r) => Number(r.slice(0, r.indexOf(':'))));
          expect(new Set(got).size, `${tag}: ${run.replies.length} replies of ${rounds}`).to.equal(rounds);
        }
        await new Promise((r) => setTimeout(r, 500));
        const after = readCounters(programMaps(attachment!.progId).get('qk_counters')!);

        // What the model says of the frames that went out (padded to 14 like the injector).
        const failed = new Set(sent.failed);
        const tally = new Map<number, number>();
        const mustNotArrive = new Set<number>();
        frames.forEach((f0, i) => {
          if (failed.has(i)) return;
          const f = f0.length >= 14 ? f0 : Buffer.concat([f0, Buffer.alloc(14 - f0.length)]);
          const v = xdpVerdict(f, cfg);
          const index =
            v.action === 'drop' ? dropCounterIndex(DROP_MALFORMED) : v.action === 'pass' && v.reason !== 'malformed_udp_len' ? passCounterIndex(v.reason!) : -1;
          if (index >= 0) tally.set(index, (tally.get(index) ?? 0) + 1);
          if (v.action === 'drop' || v.reason === 'truncated' || v.reason === 'malformed') mustNotArrive.add(i);
        });
        const delta = (index: number): number => Number(after[index].packets - before[index].packets);
        // Counters only hostile frames can move: exact. Others (not_ip, not_udp, ext headers: ARP, NDP, MLD, TCP) at least.
        for (const index of [
          dropCounterIndex(DROP_MALFORMED),
          passCounterIndex('truncated'),
          passCounterIndex('malformed'),
          passCounterIndex('ipv4_fragment'),
        ]) {
          expect(delta(index), `counter ${index}`).to.equal(tally.get(index) ?? 0);
        }
        // Tagged frames: the bridge loses about one in 300 under this load (never the same one: each
        // replayed alone arrives and is counted), so at most 1 % may be missing, none may be extra.
        const vlan = tally.get(passCounterIndex('vlan')) ?? 0;
        expect(delta(passCounterIndex('vlan')), 'vlan').to.be.within(vlan - Math.ceil(vlan / 100), vlan);
        for (const reason of ['not_ip', 'not_udp', 'ipv6_ext_hdr', 'other_port'] as const) {
          expect(delta(passCounterIndex(reason)), reason).to.be.at.least(tally.get(passCounterIndex(reason)) ?? 0);
        }
        expect(delta(COUNTERS.QK_CNT_DROP)).to.equal(tally.get(dropCounterIndex(DROP_MALFORMED)) ?? 0);
        const arrived = servers.received
          .map((r) => /HOSTILE-(\d+)-/.exec(r.text))
          .filter((m) => m !== null)
          .map((m) => Number(m[1]));
        const leaked = arrived.filter((i) => mustNotArrive.has(i));
        expect(
          leaked,
          `frames delivered that the program drops or the kernel must refuse: ${leaked
            .slice(0, 5)
            .map((i) => frames[i].toString('hex'))
            .join(' ')}`,
        ).to.deep.equal([]);
        if (fastPath === 'auto') {
          // The IPv4 client's session was carried in the kernel once established (all but its first
          // datagram), hostile frames around it; the IPv6 client's reaches an IPv4 endpoint, which
          // only the workers translate.
          const carried = labelledSample(adminGet(s, '/metrics'), 'quilkin_xdp_fast_path_packets_total', 'event="read"');
          expect(carried, 'legitimate reads forwarded by the fast path').to.be.at.least(rounds - 1);
        }
        console.log(
          `  [fuzz] injected ${sent.sent} frames (${sent.failed.length} refused by the socket) in ${((Date.now() - started) / 1000).toFixed(1)} s, ${2 * rounds} legit datagrams echoed; program drops ${delta(dropCounterIndex(DROP_MALFORMED))}, ${arrived.length} hostile payloads reached the endpoint (well-formed ones)`,
        );
      });
    });
  });
