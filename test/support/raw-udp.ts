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
    child.once('close', (code) => {
      clearTimeout(limit);
      if (code === 0) resolve(JSON.parse(out) as { sent: number; secs: number });
      else reject(new Error(`raw spray exited with ${code}: ${err}`));
    });
  });
}

const PACED_SPRAYER = `
import socket, struct, sys, time
dst, port, base, sources, rate, total = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
first = struct.unpack('!I', socket.inet_aton(base))[0]
daddr = socket.inet_aton(dst)
payload = b'spray'
udp_len = 8 + len(payload)
start = time.monotonic()
deadline = start + total / rate + 10
sent = errors = 0
for i in range(total):
    k = i % sources
    src = struct.pack('!I', first + k)
    udp = struct.pack('!HHHH', 1024 + (k * 7919) % 60000, port, udp_len, 0) + payload
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + udp_len, 0, 0, 64, 17, 0, src, daddr)
    try:
        s.sendto(ip + udp, (dst, 0))
        sent += 1
    except OSError:
        errors += 1
    if i % 200 == 199:
        now = time.monotonic()
        if now > deadline:
            break
        due = start + (i + 1) / rate
        if due > now:
            time.sleep(due - now)
print('{"sent": %d, "errors": %d}' % (sent, errors))
`;

/**
 * A spraying host of spoofed sources, paced: `total` datagrams at `rate` per second from
 * `sources` consecutive IPv4 addresses from `base` (one port each), to dst:port, sent inside
 * `netns`. Stops by itself after `total` datagrams or total/rate + 10 s.
 */
export function spraySpoofedSources4(
  netns: string,
  options: { dst: string; port: number; base: string; sources: number; rate: number; total: number },
): Promise<{ sent: number; errors: number }> {
  const { dst, port, base, sources, rate, total } = options;
  const args = ['netns', 'exec', netns, 'python3', '-c', PACED_SPRAYER, dst, String(port), base, String(sources), String(rate), String(total)];
  return new Promise((resolve, reject) => {
    const child = spawn('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), (total / rate + 30) * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out) as { sent: number; errors: number });
      else reject(new Error(`raw sprayer exited with ${code}: ${err}`));
    });
  });
}
