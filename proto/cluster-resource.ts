// SPDX-License-Identifier: Apache-2.0
// quilkin.config.v1alpha1.Cluster <-> ClusterConfig. Decoding turns the message back into the
// file form and validates it with config/parse.ts, so xDS and files accept exactly the same things.
import { create, fromBinary, type MessageInitShape, toBinary } from '@bufbuild/protobuf';
import * as net from 'node:net';
import type { IssueCollector, PathSegment } from '../config/issues';
import { type ClusterConfig, type EndpointConfig, type JsonValue, localityKey } from '../config/model';
import { parseClusters } from '../config/parse';
import { ClusterSchema, type Endpoint, type EndpointSchema, type HostSchema } from './gen/quilkin/config/v1alpha1/config_pb';
import { sortedJsonObject } from './struct';
import { digestVersion } from './version';

export interface EncodedResource {
  readonly name: string;
  readonly version: string;
  /** The encoded resource message (the `value` of its Any). */
  readonly value: Uint8Array;
}

function ipv6Halves(ip: string): { first: bigint; second: bigint } {
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, ''];
  const groups = (part: string): string[] => (part ? part.split(':') : []);
  const h = groups(head);
  const t = groups(tail);
  const all = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const value = all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
  return { first: value >> 64n, second: value & ((1n << 64n) - 1n) };
}

function halvesToIpv6(first: bigint, second: bigint): string {
  const value = (first << 64n) | second;
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((value >> BigInt(i * 16)) & 0xffffn).toString(16));
  // Let node canonicalise (compress zeros) so the key matches one parsed from text.
  return new net.SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
}

function encodeHost(endpoint: EndpointConfig): MessageInitShape<typeof HostSchema> {
  const { host, kind } = endpoint.address;
  if (kind === 'ipv4') return { inner: { case: 'ipv4', value: host.split('.').reduce((acc, b) => acc * 256 + Number(b), 0) } };
  if (kind === 'ipv6') return { inner: { case: 'ipv6', value: ipv6Halves(host) } };
  return { inner: { case: 'name', value: host } };
}

function encodeEndpoint(endpoint: EndpointConfig): MessageInitShape<typeof EndpointSchema> {
  const metadata: { [key: string]: JsonValue } = {
    ...endpoint.userMetadata,
    'quilkin.dev': { tokens: endpoint.tokens.map((t) => t.toString('base64')) },
  };
  return { host: endpoint.address.host, port: endpoint.address.port, metadata: sortedJsonObject(metadata), host2: encodeHost(endpoint) };
}

export function encodeCluster(cluster: ClusterConfig): EncodedResource {
  const message = create(ClusterSchema, {
    locality: cluster.locality ? { region: cluster.locality.region, zone: cluster.locality.zone ?? '', subZone: cluster.locality.subZone ?? '' } : undefined,
    endpoints: cluster.endpoints.map(encodeEndpoint),
  });
  const value = toBinary(ClusterSchema, message);
  return { name: localityKey(cluster.locality), version: digestVersion(value), value };
}

/** Host text from `host2` when set (newer peers), else the `host` string (v0.9 peers). */
function decodeHostText(endpoint: Endpoint): string {
  const inner = endpoint.host2?.inner;
  if (inner?.case === 'ipv4') {
    const v = inner.value >>> 0;
    return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
  }
  if (inner?.case === 'ipv6') return `[${halvesToIpv6(inner.value.first, inner.value.second)}]`;
  if (inner?.case === 'name' && inner.value) return inner.value;
  return net.isIPv6(endpoint.host) ? `[${endpoint.host}]` : endpoint.host;
}

/** Decodes and validates one Cluster resource; problems go to `issues` under `at`. */
export function decodeCluster(value: Uint8Array, at: PathSegment[], issues: IssueCollector): ClusterConfig | undefined {
  let message;
  try {
    message = fromBinary(ClusterSchema, value);
  } catch (err) {
    issues.add(at, `malformed Cluster message: ${(err as Error).message}`);
    return undefined;
  }
  const endpoints = message.endpoints.map((e, i) => {
    if (e.port > 65535) issues.add([...at, 'endpoints', i, 'port'], `port ${e.port} is out of range`);
    return { address: `${decodeHostText(e)}:${e.port}`, metadata: e.metadata };
  });
  const locality = message.locality?.region
    ? [message.locality.region, message.locality.zone, message.locality.subZone].join(':').replace(/:+$/, '')
    : undefined;
  const parsed = parseClusters([{ ...(locality ? { locality } : {}), endpoints }], issues, at);
  return parsed[0];
}
