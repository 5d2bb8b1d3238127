// SPDX-License-Identifier: Apache-2.0
// Sends hand-built IPv4/UDP datagrams through a raw socket (needs CAP_NET_RAW), for sources a
// normal socket cannot have: port 0, or addresses that are not ours (spoofed, only ever sent to
// loopback or inside a namespace the test created). Python builds them: Node has no raw sockets.
import { execFileSync } from 'node:child_process';

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
