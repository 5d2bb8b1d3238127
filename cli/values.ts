// SPDX-License-Identifier: Apache-2.0
// Parsers for flag and environment values that commander runs while parsing, so a bad address,
// URL or duration is a usage error before anything binds.
import { InvalidArgumentError } from 'commander';
import * as net from 'node:net';
import { grpcTarget } from '../proto/reconnect-backoff';

/**
 * A bind address: `ip:port` or `[ipv6]:port`, as clap's SocketAddr. Quilkin's own docs write
 * `--admin-address http://localhost:8001`, which v0.9 rejects; we take `http://IP|localhost:PORT`.
 */
export function parseBindAddress(value: string): string {
  let text = value.trim();
  const url = /^http:\/\/([^/]+)\/?$/i.exec(text);
  if (url) text = url[1].replace(/^localhost:/i, '127.0.0.1:');
  const match = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text);
  if (!match) throw new InvalidArgumentError(`\`${value}\` is not a socket address (ip:port or [ipv6]:port)`);
  const [, host, port] = match;
  const bracketed = text.startsWith('[');
  if (bracketed ? !net.isIPv6(host) : !net.isIPv4(host))
    throw new InvalidArgumentError(`\`${value}\`: \`${host}\` is not an ${bracketed ? 'IPv6' : 'IPv4'} address`);
  if (Number(port) > 65535) throw new InvalidArgumentError(`\`${value}\`: port ${port} is out of range`);
  return bracketed ? `[${host}]:${Number(port)}` : `${host}:${Number(port)}`;
}

/** An xDS/mDS server URL (`http://host:port`); checked with the same rules the client dials by. */
export function checkServerUrl(value: string): string {
  try {
    grpcTarget(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return value;
}

/** Repeatable URL flags (`--management-server a -m b`). */
export function collectServerUrls(value: string, previous: unknown): string[] {
  checkServerUrl(value);
  return Array.isArray(previous) ? [...(previous as string[]), value] : [value];
}

/** Linux interface names (IFNAMSIZ - 1 bytes, no slash, colon or whitespace), comma separated. */
export function parseInterfaceList(value: string): string[] {
  const names = value.split(',').map((n) => n.trim());
  for (const name of names) {
    if (!/^[^\s/:,]{1,15}$/.test(name) || name === '.' || name === '..')
      throw new InvalidArgumentError(`\`${name}\` is not an interface name (1-15 characters, no slash, colon or space)`);
  }
  if (new Set(names).size !== names.length) throw new InvalidArgumentError(`\`${value}\` names an interface twice`);
  return names;
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Quilkin's duration syntax: an integer with an optional ms|s|m|h|d suffix (seconds without one). */
export function parseDurationMs(value: string): number {
  const match = /^(\d+)([a-zA-Z]*)$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError(`\`${value}\` is not a duration (e.g. 500ms, 1s, 2m)`);
  const unit = match[2].toLowerCase() || 's';
  const scale = DURATION_UNITS_MS[unit];
  if (scale === undefined) throw new InvalidArgumentError(`unknown duration suffix \`${match[2]}\` (ms, s, m, h, d)`);
  const ms = Number(match[1]) * scale;
  if (!Number.isSafeInteger(ms) || ms > 2 ** 31 - 1) throw new InvalidArgumentError(`\`${value}\` is too long a duration`);
  return ms;
}
