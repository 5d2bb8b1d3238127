// SPDX-License-Identifier: Apache-2.0
// An Agones GameServer (agones.dev/v1) -> the endpoint Quilkin routes to, or why it is not one.
import * as net from 'node:net';
import { AddressError, formatHostPort, parseEndpointAddress } from '../../../config/address';
import type { EndpointConfig } from '../../../config/model';
import { decodeBase64Strict } from '../../../config/parse';
import { isRawMap, type KubeObject, objectKey } from './kube-object';
import type { IpKind } from './options';

export const TOKENS_ANNOTATION = 'quilkin.dev/tokens';

/**
 * States whose servers receive traffic. Quilkin routes only `Allocated`; we also route `Ready`, so
 * a server is reachable (e.g. for a pre-match lobby or a health probe through the proxy) before
 * the allocator hands it out. Every other state (Shutdown, Unhealthy, Error, Scheduled...) is not routed.
 */
export const ROUTED_STATES: ReadonlySet<string> = new Set(['Ready', 'Allocated']);

export interface AddressSelection {
  /** Pick `status.addresses[]` by `type` instead of `status.address`. */
  readonly addressType?: string;
  readonly ipKind: IpKind;
}

export type GameServerEndpoint =
  | { readonly kind: 'endpoint'; readonly endpoint: EndpointConfig; readonly warnings: readonly string[] }
  | { readonly kind: 'not-routed'; readonly state: string }
  | { readonly kind: 'invalid'; readonly reason: string };

function ipKindMatches(address: string, kind: IpKind): boolean {
  if (kind === 'v4') return !address.includes(':');
  if (kind === 'v6') return address.includes(':');
  return true;
}

function selectAddress(status: { readonly [k: string]: unknown }, selection: AddressSelection): string | string[] {
  if (selection.addressType === undefined) {
    return typeof status.address === 'string' && status.address !== '' ? status.address : ['status.address is missing'];
  }
  const list = Array.isArray(status.addresses) ? status.addresses : [];
  for (const entry of list) {
    if (!isRawMap(entry) || entry.type !== selection.addressType || typeof entry.address !== 'string') continue;
    if (ipKindMatches(entry.address, selection.ipKind)) return entry.address;
  }
  return [`no status.addresses[] entry of type ${selection.addressType} (ip kind ${selection.ipKind})`];
}

function selectPort(status: { readonly [k: string]: unknown }): number | undefined {
  const ports = Array.isArray(status.ports) ? status.ports : [];
  const first: unknown = ports[0];
  if (!isRawMap(first) || !Number.isInteger(first.port)) return undefined;
  const port = first.port as number;
  return port > 0 && port <= 65535 ? port : undefined;
}

/** Decodes the comma-separated base64 annotation; bad or repeated entries are reported and skipped. */
export function parseTokenAnnotation(value: string | undefined): { tokens: Buffer[]; warnings: string[] } {
  const tokens: Buffer[] = [];
  const warnings: string[] = [];
  if (value === undefined) return { tokens, warnings };
  const seen = new Set<string>();
  value.split(',').forEach((text, i) => {
    const trimmed = text.trim();
    if (trimmed === '') return;
    const token = decodeBase64Strict(trimmed);
    if (!token || token.length === 0) {
      warnings.push(`${TOKENS_ANNOTATION} entry ${i} (\`${trimmed}\`) is not valid base64; skipped`);
      return;
    }
    const key = token.toString('latin1');
    if (seen.has(key)) {
      warnings.push(`${TOKENS_ANNOTATION} entry ${i} repeats an earlier token; skipped`);
      return;
    }
    seen.add(key);
    tokens.push(token);
  });
  return { tokens, warnings };
}

/** Turns one GameServer into its endpoint (address by selection, first port, tokens, `name` metadata). */
export function gameServerEndpoint(gs: KubeObject, selection: AddressSelection): GameServerEndpoint {
  const status = gs.status;
  if (!isRawMap(status)) return { kind: 'not-routed', state: '(no status yet)' };
  const state = typeof status.state === 'string' ? status.state : '(no state)';
  if (!ROUTED_STATES.has(state)) return { kind: 'not-routed', state };
  const host = selectAddress(status, selection);
  if (Array.isArray(host)) return { kind: 'invalid', reason: host[0] };
  const port = selectPort(status);
  if (port === undefined) return { kind: 'invalid', reason: 'status.ports[0].port is missing or not a port number' };
  let address;
  try {
    address = parseEndpointAddress(formatHostPort(host, port, net.isIPv6(host) ? 'ipv6' : 'ipv4'));
  } catch (err) {
    if (err instanceof AddressError) return { kind: 'invalid', reason: err.message };
    throw err;
  }
  const { tokens, warnings } = parseTokenAnnotation(gs.metadata.annotations?.[TOKENS_ANNOTATION]);
  return { kind: 'endpoint', endpoint: { address, tokens, userMetadata: { name: gs.metadata.name } }, warnings };
}

export function describeGameServer(gs: KubeObject): string {
  return `GameServer ${objectKey(gs)}`;
}
