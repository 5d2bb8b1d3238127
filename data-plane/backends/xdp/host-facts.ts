// SPDX-License-Identifier: Apache-2.0
// Facts about the host `proxy xdp` needs before it attaches: the default interface and a session
// port range the kernel will never hand out as an ephemeral port.
import * as fs from 'node:fs';

/** The interface of the IPv4 default route (/proc/net/route), else of the IPv6 one. */
export function defaultRouteInterface(ipv4Routes: string, ipv6Routes: string): string | undefined {
  for (const line of ipv4Routes.split('\n').slice(1)) {
    const [iface, destination, , , , , , mask] = line.trim().split(/\s+/);
    if (iface && destination === '00000000' && mask === '00000000') return iface;
  }
  for (const line of ipv6Routes.split('\n')) {
    const cols = line.trim().split(/\s+/);
    // destination, prefix length, ..., interface last; skip the loopback "unreachable" default.
    if (cols.length >= 10 && /^0{32}$/.test(cols[0]) && cols[1] === '00' && cols[9] !== 'lo') return cols[9];
  }
  return undefined;
}

export function readDefaultRouteInterface(): string | undefined {
  const read = (file: string): string => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      return '';
    }
  };
  return defaultRouteInterface(read('/proc/net/route'), read('/proc/net/ipv6_route'));
}

export interface PortRange {
  readonly min: number;
  readonly max: number;
}

/**
 * Session ports: the largest run of ports above the kernel's ephemeral range
 * (net.ipv4.ip_local_port_range, which IPv6 shares) that holds neither the listen nor the QCMP
 * port. Above the range, because the XDP program redirects every UDP datagram to a session port:
 * a port the kernel could give a local socket would have that socket's replies stolen.
 */
export function sessionPortRange(ephemeral: string, listenPort: number, qcmpPort: number): PortRange {
  const [lo, hi] = ephemeral.trim().split(/\s+/).map(Number);
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo > hi) throw new Error(`ip_local_port_range: cannot parse "${ephemeral.trim()}"`);
  if (hi >= 65535)
    throw new Error(`ip_local_port_range ${lo}-${hi} reaches 65535: no port is left for sessions; lower its end (sysctl net.ipv4.ip_local_port_range)`);
  const cuts = [listenPort, qcmpPort].filter((p) => p > hi).sort((a, b) => a - b);
  let best: PortRange | undefined;
  let start = hi + 1;
  for (const cut of [...cuts, 65536]) {
    const run = { min: start, max: cut - 1 };
    if (run.max >= run.min && (!best || run.max - run.min > best.max - best.min)) best = run;
    start = cut + 1;
  }
  if (!best) throw new Error(`no session port left above the ephemeral range ${lo}-${hi}`);
  return best;
}

export function readSessionPortRange(listenPort: number, qcmpPort: number): PortRange {
  return sessionPortRange(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'), listenPort, qcmpPort);
}
