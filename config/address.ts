// SPDX-License-Identifier: Apache-2.0
// Endpoint and socket addresses: parsing, canonical form and Quilkin's ordering.
import * as net from 'node:net';

export type HostKind = 'dns' | 'ipv4' | 'ipv6';

/** An upstream endpoint address as written in config: IP literal or DNS name, plus port. */
export interface EndpointAddress {
  readonly host: string;
  readonly port: number;
  readonly kind: HostKind;
  /** Canonical `ip:port` / `[ip6]:port` / `name:port`; the identity of the endpoint. */
  readonly key: string;
}

/** A concrete socket address (packet source or destination). IPv4-mapped IPv6 is canonicalised to IPv4. */
export interface SocketAddr {
  readonly ip: string;
  readonly port: number;
  readonly family: 4 | 6;
}

export class AddressError extends Error {}

const IPV4_MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/** Strips `::ffff:` from IPv4-mapped IPv6 addresses, as Quilkin does before anything sees a source. */
export function canonicalIp(ip: string): string {
  const mapped = IPV4_MAPPED.exec(ip);
  return mapped ? mapped[1] : ip;
}

export function socketAddr(ip: string, port: number): SocketAddr {
  const canonical = canonicalIp(ip);
  return { ip: canonical, port, family: net.isIPv4(canonical) ? 4 : 6 };
}

export function formatHostPort(host: string, port: number, kind: HostKind): string {
  return kind === 'ipv6' ? `[${host}]:${port}` : `${host}:${port}`;
}

export function formatSocketAddr(addr: SocketAddr): string {
  return addr.family === 6 ? `[${addr.ip}]:${addr.port}` : `${addr.ip}:${addr.port}`;
}

/** Compresses and lower-cases an IPv6 literal so equal addresses have equal keys. */
function normaliseIpv6(ip: string): string {
  const sock = new net.SocketAddress({ address: ip, family: 'ipv6' });
  return sock.address;
}

/** One spelling per IP literal (IPv6 compressed and lower-cased, IPv4-mapped as IPv4), for map keys. */
export function canonicalIpLiteral(ip: string): string {
  return net.isIPv6(ip) ? canonicalIp(normaliseIpv6(ip)) : ip;
}

function parsePort(text: string, input: string): number {
  if (text === '') throw new AddressError(`invalid address \`${input}\`: port is required`);
  if (!/^\d+$/.test(text)) throw new AddressError(`invalid address \`${input}\`: invalid port \`${text}\``);
  const port = Number(text);
  if (port > 65535) throw new AddressError(`invalid address \`${input}\`: port ${port} is out of range`);
  return port;
}

const DNS_NAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/;

/**
 * Parses `host:port`, `[ipv6]:port`, or either with a `udp://` prefix and an optional trailing `/`.
 * Hosts may be IPv4, IPv6 or DNS names; names are resolved later, at send time.
 */
export function parseEndpointAddress(input: string): EndpointAddress {
  let rest = input.trim();
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(rest);
  if (scheme) {
    if (scheme[1].toLowerCase() !== 'udp') {
      throw new AddressError(`invalid address \`${input}\`: non UDP based URLs are not permitted`);
    }
    rest = rest.slice(scheme[0].length);
    const slash = rest.indexOf('/');
    if (slash >= 0) {
      if (rest.slice(slash) !== '/') throw new AddressError(`invalid address \`${input}\`: paths are not permitted`);
      rest = rest.slice(0, slash);
    }
  }
  let host: string;
  let portText: string;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw new AddressError(`invalid address \`${input}\`: unterminated IPv6 literal`);
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (!after.startsWith(':')) throw new AddressError(`invalid address \`${input}\`: port is required`);
    portText = after.slice(1);
    if (!net.isIPv6(host)) throw new AddressError(`invalid address \`${input}\`: \`${host}\` is not an IPv6 address`);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon < 0) throw new AddressError(`invalid address \`${input}\`: port is required`);
    host = rest.slice(0, colon);
    portText = rest.slice(colon + 1);
    if (host.includes(':')) throw new AddressError(`invalid address \`${input}\`: IPv6 addresses must be in brackets`);
  }
  if (host === '') throw new AddressError(`invalid address \`${input}\`: host is required`);
  const port = parsePort(portText, input);
  let kind: HostKind;
  if (net.isIPv4(host)) kind = 'ipv4';
  else if (net.isIPv6(host)) {
    kind = 'ipv6';
    host = canonicalIp(normaliseIpv6(host));
    if (net.isIPv4(host)) kind = 'ipv4';
  } else if (/(^|\.)\d+\.?$/.test(host)) {
    // A numeric last label makes it an IPv4 literal (WHATWG host rules), never a name to resolve.
    throw new AddressError(`invalid address \`${input}\`: \`${host}\` is not a valid IPv4 address`);
  } else if (DNS_NAME.test(host)) kind = 'dns';
  else throw new AddressError(`invalid address \`${input}\`: \`${host}\` is not an IP address or DNS name`);
  return { host, port, kind, key: formatHostPort(host, port, kind) };
}

function ipBytes(ip: string, kind: HostKind): number[] {
  if (kind === 'ipv4') return ip.split('.').map(Number);
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, ''];
  const headParts = head ? head.split(':') : [];
  const tailParts = tail ? tail.split(':') : [];
  const expandV4 = (parts: string[]): string[] => {
    const last = parts[parts.length - 1];
    if (last && last.includes('.')) {
      const b = last.split('.').map(Number);
      return [...parts.slice(0, -1), ((b[0] << 8) | b[1]).toString(16), ((b[2] << 8) | b[3]).toString(16)];
    }
    return parts;
  };
  const h = expandV4(headParts);
  const t = expandV4(tailParts);
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t].map((g) => parseInt(g, 16));
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

const KIND_ORDER: Record<HostKind, number> = { dns: 0, ipv4: 1, ipv6: 2 };

/** Quilkin's endpoint order: DNS names first, then IPv4, then IPv6; numerically by address; then by port. */
export function compareEndpointAddress(a: EndpointAddress, b: EndpointAddress): number {
  if (a.kind !== b.kind) return KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
  if (a.kind === 'dns') {
    if (a.host !== b.host) return a.host < b.host ? -1 : 1;
  } else if (a.host !== b.host) {
    const x = ipBytes(a.host, a.kind);
    const y = ipBytes(b.host, b.kind);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] - y[i];
  }
  return a.port - b.port;
}
