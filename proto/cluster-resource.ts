// SPDX-License-Identifier: Apache-2.0
// quilkin.config.v1alpha1.Cluster <-> ClusterConfig. Decoding turns the message back into the
// file form and validates it with config/parse.ts, so xDS and files accept exactly the same things.
import * as net from 'node:net';
import type { IssueCollector, PathSegment } from '../config/issues';
import { type ClusterConfig, type EndpointConfig, type JsonValue, localityKey } from '../config/model';
import { parseClusters } from '../config/parse';
import { quilkinMessageTypes } from './loader';
import { jsonToStruct, type ProtoStruct, structToJson } from './struct';
import { digestVersion } from './version';

export interface EncodedResource {
  readonly name: string;
  readonly version: string;
  /** The encoded resource message (the `value` of its Any). */
  readonly value: Buffer;
}

interface ProtoHost {
  name?: string | null;
  ipv4?: number | null;
  ipv6?: { first?: string | number | null; second?: string | number | null } | null;
  inner?: string;
}

interface ProtoEndpoint {
  host?: string;
  port?: number;
  metadata?: ProtoStruct | null;
  host2?: ProtoHost | null;
}

interface ProtoCluster {
  locality?: { region?: string; zone?: string; sub_zone?: string } | null;
  endpoints?: ProtoEndpoint[];
}

function ipv6Halves(ip: string): { first: string; second: string } {
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, ''];
  const groups = (part: string): string[] => (part ? part.split(':') : []);
  const h = groups(head);
  const t = groups(tail);
  const all = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const value = all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
  return { first: (value >> 64n).toString(10), second: (value & ((1n << 64n) - 1n)).toString(10) };
}

function halvesToIpv6(first: string | number, second: string | number): string {
  const value = (BigInt(first) << 64n) | BigInt(second);
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((value >> BigInt(i * 16)) & 0xffffn).toString(16));
  // Let node canonicalise (compress zeros) so the key matches one parsed from text.
  return new net.SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
}

function encodeHost(endpoint: EndpointConfig): ProtoHost {
  const { host, kind } = endpoint.address;
  if (kind === 'ipv4') return { ipv4: host.split('.').reduce((acc, b) => acc * 256 + Number(b), 0) };
  if (kind === 'ipv6') return { ipv6: ipv6Halves(host) };
  return { name: host };
}

function encodeEndpoint(endpoint: EndpointConfig): ProtoEndpoint {
  const metadata: { [key: string]: JsonValue } = {
    ...endpoint.userMetadata,
    'quilkin.dev': { tokens: endpoint.tokens.map((t) => t.toString('base64')) },
  };
  return { host: endpoint.address.host, port: endpoint.address.port, metadata: jsonToStruct(metadata), host2: encodeHost(endpoint) };
}

export function encodeCluster(cluster: ClusterConfig): EncodedResource {
  const { cluster: type } = quilkinMessageTypes();
  const message: ProtoCluster = {
    locality: cluster.locality ? { region: cluster.locality.region, zone: cluster.locality.zone ?? '', sub_zone: cluster.locality.subZone ?? '' } : null,
    endpoints: cluster.endpoints.map(encodeEndpoint),
  };
  const value = Buffer.from(type.encode(type.fromObject(message)).finish());
  return { name: localityKey(cluster.locality), version: digestVersion(value), value };
}

/** Host text from `host2` when set (newer peers), else the `host` string (v0.9 peers). */
function decodeHostText(endpoint: ProtoEndpoint): string {
  const host2 = endpoint.host2;
  if (host2?.ipv4 !== undefined && host2.ipv4 !== null && (host2.inner === undefined || host2.inner === 'ipv4')) {
    const v = host2.ipv4 >>> 0;
    return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
  }
  if (host2?.ipv6 && (host2.inner === undefined || host2.inner === 'ipv6')) return `[${halvesToIpv6(host2.ipv6.first ?? 0, host2.ipv6.second ?? 0)}]`;
  if (host2?.name) return host2.name;
  const host = endpoint.host ?? '';
  return net.isIPv6(host) ? `[${host}]` : host;
}

/** Decodes and validates one Cluster resource; problems go to `issues` under `at`. */
export function decodeCluster(value: Buffer, at: PathSegment[], issues: IssueCollector): ClusterConfig | undefined {
  const { cluster: type } = quilkinMessageTypes();
  let message: ProtoCluster;
  try {
    message = type.toObject(type.decode(value), { longs: String, enums: String, oneofs: true, defaults: false }) as ProtoCluster;
  } catch (err) {
    issues.add(at, `malformed Cluster message: ${(err as Error).message}`);
    return undefined;
  }
  const endpoints = (message.endpoints ?? []).map((e, i) => {
    const port = e.port ?? 0;
    if (port > 65535) issues.add([...at, 'endpoints', i, 'port'], `port ${port} is out of range`);
    return { address: `${decodeHostText(e)}:${port}`, metadata: e.metadata ? structToJson(e.metadata) : undefined };
  });
  const locality = message.locality?.region
    ? [message.locality.region, message.locality.zone ?? '', message.locality.sub_zone ?? ''].join(':').replace(/:+$/, '')
    : undefined;
  const parsed = parseClusters([{ ...(locality ? { locality } : {}), endpoints }], issues, at);
  return parsed[0];
}
