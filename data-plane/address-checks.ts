// SPDX-License-Identifier: Apache-2.0
// Addresses a datagram can never legitimately come from or go to. The js backend and the QCMP
// server drop them (counted) instead of letting dgram throw on them or replying to them.
import * as net from 'node:net';
import { canonicalIp } from '../config/address';

export const INVALID_SOURCE_ADDRESS = 'invalid source address';
export const INVALID_DESTINATION_ADDRESS = 'invalid destination address';

/** IPv4 ranges that are never a unicast peer: "this network", multicast, reserved/broadcast. */
const V4_NEVER_PEER: ReadonlyArray<readonly [string, number, string]> = [
  ['0.0.0.0', 8, 'an unspecified ("this network") address'],
  ['224.0.0.0', 4, 'a multicast address'],
  ['240.0.0.0', 4, 'a reserved or broadcast address'],
];
const V6_NEVER_PEER: ReadonlyArray<readonly [string, number, string]> = [
  ['::', 128, 'the unspecified address'],
  ['ff00::', 8, 'a multicast address'],
];

const blocked = (() => {
  const entries = [
    ...V4_NEVER_PEER.map(([a, p, why]) => ({ a, p, why, family: 'ipv4' as const })),
    ...V6_NEVER_PEER.map(([a, p, why]) => ({ a, p, why, family: 'ipv6' as const })),
  ];
  return entries.map((e) => {
    const list = new net.BlockList();
    list.addSubnet(e.a, e.p, e.family);
    return { list, family: e.family, why: e.why };
  });
})();

/** Why `ip` cannot be a unicast peer, or undefined. IPv4-mapped IPv6 is judged as its IPv4 address. */
function ipProblem(ip: string): string | undefined {
  const canonical = canonicalIp(ip);
  const family = net.isIPv4(canonical) ? 'ipv4' : net.isIPv6(canonical) ? 'ipv6' : undefined;
  if (!family) return `\`${ip}\` is not an IP address`;
  for (const b of blocked) if (b.family === family && b.list.check(canonical, family)) return b.why;
  return undefined;
}

/** Why a datagram from ip:port cannot be answered (so must not be processed), or undefined. */
export function sourceAddressProblem(ip: string, port: number): string | undefined {
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `source port ${port}`;
  return ipProblem(ip);
}

/** Why ip:port cannot be sent to, or undefined. Multicast destinations are the operator's choice. */
export function destinationAddressProblem(ip: string, port: number): string | undefined {
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `destination port ${port}`;
  const canonical = canonicalIp(ip);
  if (canonical === '::' || (net.isIPv4(canonical) && canonical.startsWith('0.'))) return 'an unspecified address';
  if (!net.isIP(canonical)) return `\`${ip}\` is not an IP address`;
  return undefined;
}
