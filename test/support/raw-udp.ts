// SPDX-License-Identifier: Apache-2.0
// Sends hand-built IPv4/UDP datagrams through a raw socket (needs CAP_NET_RAW), for sources a
// normal socket cannot have: port 0, or addresses that are not ours (spoofed, only ever sent to
// loopback or inside a namespace the test created). Python builds them: Node has no raw sockets.
import { execFileSync, spawn } from 'node:child_process';

export interface RawDatagram {
  readonly src: string;
  readonly srcPort: number;
  readonly dst: string;
  readonly dstPort: number;
  readonly payload: Buffer;
}

const SENDER = `
import json, socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
gap = float(sys.argv[1]) if len(sys.argv) > 1 else 0.0
for d in json.load(sys.stdin):
    if gap: time.sleep(gap)
    payload = bytes.fromhex(d['payload'])
    udp = struct.pack('!HHHH', d['srcPort'], d['dstPort'], 8 + len(payload), 0) + payload
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, socket.inet_aton(d['src']), socket.inet_aton(d['dst']))
    s.sendto(ip + udp, (d['dst'], 0))
`;

/** True when this process may open raw sockets (tests skip otherwise). */
export function canSendRaw(): boolean {
  try {
    execFileSync('python3', ['-c', 'import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)'], { stdio: 'ignore', timeout: 10000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Sends every datagram (UDP checksum 0: none, valid for IPv4); `netns` runs the sender inside one.
 * `packetsPerSecond` paces the send, so a burst does not overflow a receive buffer on a loaded box.
 */
export function sendRawUdp4(datagrams: readonly RawDatagram[], netns?: string, packetsPerSecond?: number): void {
  const input = JSON.stringify(datagrams.map((d) => ({ ...d, payload: d.payload.toString('hex') })));
  const argv = ['python3', '-c', SENDER, ...(packetsPerSecond ? [String(1 / packetsPerSecond)] : [])];
  const [cmd, ...args] = netns ? ['ip', 'netns', 'exec', netns, ...argv] : argv;
  execFileSync(cmd, args, { input, stdio: ['pipe', 'ignore', 'pipe'], timeout: 30000 });
}

const SPRAYER = `
import json, socket, struct, sys, time
a = json.loads(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
payload = bytes.fromhex(a['payload'])
src, dst = socket.inet_aton(a['src']), socket.inet_aton(a['dst'])
start = time.monotonic()
for i in range(a['count']):
    ahead = start + i / a['pps'] - time.monotonic()
    if ahead > 0: time.sleep(ahead)
    udp = struct.pack('!HHHH', a['portMin'] + i % a['ports'], a['dstPort'], 8 + len(payload), 0) + payload
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, src, dst)
    s.sendto(ip + udp, (a['dst'], 0))
print(json.dumps({'sent': a['count'], 'secs': time.monotonic() - start}))
`;

export interface RawSpray {
  readonly src: string;
  /** Source ports portMin .. portMin + ports - 1, in turn. */
  readonly portMin: number;
  readonly ports: number;
  readonly dst: string;
  readonly dstPort: number;
  readonly payload: Buffer;
  /** Datagrams in all, at packetsPerSecond (paced to a deadline, so the rate holds on average). */
  readonly count: number;
  readonly packetsPerSecond: number;
}

/**
 * A spray of datagrams from one address and many source ports, sent by a child process so the
 * caller's event loop keeps running; `netns` runs it inside one. Killed if it overruns its time.
 */
export function sprayRawUdp4(spray: RawSpray, netns: string): Promise<{ sent: number; secs: number }> {
  const arg = JSON.stringify({ ...spray, payload: spray.payload.toString('hex'), pps: spray.packetsPerSecond });
  const child = spawn('ip', ['netns', 'exec', netns, 'python3', '-c', SPRAYER, arg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const limit = setTimeout(() => child.kill('SIGKILL'), (spray.count / spray.packetsPerSecond) * 1000 + 20000);
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      clearTimeout(limit);
      if (code === 0) resolve(JSON.parse(out) as { sent: number; secs: number });
      else reject(new Error(`raw spray exited with ${code}: ${err}`));
    });
  });
}
