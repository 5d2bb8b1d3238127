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

/**
 * An explicit session port range (`--xdp.session-ports MIN-MAX`), checked against the same rules:
 * it must hold neither the listen nor the QCMP port and must not overlap the kernel's ephemeral
 * range, whose ports the kernel gives its own sockets (the program would take their replies).
 */
export function requestedSessionPorts(text: string, ephemeral: string, listenPort: number, qcmpPort: number): PortRange {
  const flag = `--xdp.session-ports ${text.trim()}`;
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(text.trim());
  const min = m ? Number(m[1]) : NaN;
  const max = m ? Number(m[2]) : NaN;
  if (!m || min < 1 || max > 65535 || min > max) throw new Error(`${flag}: expected MIN-MAX with 1 <= MIN <= MAX <= 65535`);
  for (const [name, port] of [
    ['listen', listenPort],
    ['QCMP', qcmpPort],
  ] as const)
    if (port >= min && port <= max) throw new Error(`${flag} contains the ${name} port ${port}`);
  const [lo, hi] = ephemeral.trim().split(/\s+/).map(Number);
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo > hi) throw new Error(`ip_local_port_range: cannot parse "${ephemeral.trim()}"`);
  if (min <= hi && max >= lo)
    throw new Error(
      `${flag} overlaps the kernel's ephemeral ports ${lo}-${hi} (net.ipv4.ip_local_port_range): the kernel could give ` +
        `them to its own sockets, whose replies the XDP program would take; choose ports outside it or narrow that range`,
    );
  return { min, max };
}

export function readSessionPortRange(listenPort: number, qcmpPort: number, requested?: string): PortRange {
  const ephemeral = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8');
  return requested ? requestedSessionPorts(requested, ephemeral, listenPort, qcmpPort) : sessionPortRange(ephemeral, listenPort, qcmpPort);
}
