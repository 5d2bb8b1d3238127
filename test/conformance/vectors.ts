// SPDX-License-Identifier: Apache-2.0
// Loads conformance vector files (data-plane/filters/*/{vectors,cases}.yaml and
// test/conformance/vectors/chain.yaml) and decodes their encodings (Bytes, MetaValue, endpoints) into typed cases.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { parseEndpointAddress, type SocketAddr, socketAddr } from '../../config/address';
import { IssueCollector } from '../../config/issues';
import type { ClusterConfig } from '../../config/model';
import { parseClusters } from '../../config/parse';
import type { Metadata, MetadataValue } from '../../data-plane/filters/metadata';
import { repoRoot } from '../support/repo';
import type { RawFilterConfig } from './implementations';

type Raw = Record<string, unknown>;

export interface PacketExpect {
  dropped: boolean;
  reason?: string;
  output?: Buffer;
  metadata?: Map<string, MetadataValue | null>;
  destinations?: string[];
  destinationsOrdered: boolean;
  destinationsOneOf?: string[];
  sameAsStep?: number;
  observed?: boolean;
}

export interface PacketStep {
  direction: 'read' | 'write';
  source: SocketAddr;
  dest: SocketAddr;
  input: Buffer;
  metadata: Metadata;
  advanceSeconds: number;
  expect: PacketExpect;
}

export type VectorCase =
  | { kind: 'config'; name: string; filters: RawFilterConfig[]; expect: { valid: boolean; errorContains?: string; normalized?: unknown } }
  | { kind: 'packets'; name: string; filters: RawFilterConfig[]; clusters: ClusterConfig[]; steps: PacketStep[] };

export interface VectorFile {
  /** Where it came from, relative to the repository root. */
  readonly label: string;
  readonly cases: VectorCase[];
}

const DEFAULT_ENDPOINTS = [{ address: '127.0.0.1:7001' }];
const DEFAULT_CLIENT = '127.0.0.1:8000';

export function decodeBytes(value: unknown, where: string): Buffer {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (typeof value === 'number') return Buffer.from(String(value), 'utf8');
  if (value && typeof value === 'object') {
    const v = value as Raw;
    if (typeof v.hex === 'string') return Buffer.from(v.hex, 'hex');
    if (typeof v.base64 === 'string') return Buffer.from(v.base64, 'base64');
    // Large payloads (compression fixtures): UTF-8 text repeated `times` times.
    if (typeof v.repeat === 'string' && Number.isInteger(v.times) && (v.times as number) >= 0) return Buffer.from(v.repeat.repeat(v.times as number), 'utf8');
  }
  throw new Error(`${where}: not a Bytes encoding: ${JSON.stringify(value)}`);
}

export function decodeMetaValue(value: unknown, where: string): MetadataValue {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${where}: MetaValue must be a one-key map`);
  const [[kind, v]] = Object.entries(value as Raw);
  switch (kind) {
    case 'bytes':
      return Buffer.from(String(v), 'utf8');
    case 'bytes_hex':
      return Buffer.from(String(v), 'hex');
    case 'bytes_base64':
      return Buffer.from(String(v), 'base64');
    case 'string':
      return String(v);
    case 'number':
      return Number(v);
    case 'bool':
      return Boolean(v);
    case 'list':
      return (v as unknown[]).map((item, i) => decodeMetaValue(item, `${where}[${i}]`));
  }
  throw new Error(`${where}: unknown MetaValue kind \`${kind}\``);
}

function decodeMetadata(raw: unknown, where: string): Metadata {
  const out: Metadata = new Map();
  for (const [k, v] of Object.entries((raw ?? {}) as Raw)) out.set(k, decodeMetaValue(v, `${where}.${k}`));
  return out;
}

function parseAddr(text: string): SocketAddr {
  const a = parseEndpointAddress(text);
  return socketAddr(a.host, a.port);
}

export function decodeClusters(raw: unknown, where: string): ClusterConfig[] {
  const endpoints = raw === undefined ? DEFAULT_ENDPOINTS : raw;
  if (Array.isArray(endpoints) && endpoints.length === 0) return [];
  const issues = new IssueCollector();
  const clusters = parseClusters([{ endpoints }], issues, [where]);
  if (!issues.ok) throw new Error(`${where}: bad endpoints: ${JSON.stringify(issues.issues)}`);
  return clusters;
}

function decodeExpect(raw: Raw, where: string): PacketExpect {
  const metadata = raw.metadata
    ? new Map(Object.entries(raw.metadata as Raw).map(([k, v]) => [k, v === null ? null : decodeMetaValue(v, `${where}.metadata.${k}`)] as const))
    : undefined;
  return {
    dropped: raw.dropped === true,
    reason: raw.reason as string | undefined,
    output: raw.output === undefined ? undefined : decodeBytes(raw.output, `${where}.output`),
    metadata,
    destinations: (raw.destinations as string[] | undefined)?.map((d) => parseEndpointAddress(d).key),
    destinationsOrdered: raw.destinations_ordered === true,
    destinationsOneOf: (raw.destinations_one_of as string[] | undefined)?.map((d) => parseEndpointAddress(d).key),
    sameAsStep: raw.same_as_step as number | undefined,
    observed: raw.observed as boolean | undefined,
  };
}

function decodeStep(raw: Raw, clusters: ClusterConfig[], where: string): PacketStep {
  const direction = (raw.direction ?? 'read') as 'read' | 'write';
  const firstEndpoint = clusters[0]?.endpoints[0]?.address.key ?? '127.0.0.1:7001';
  const defaultSource = direction === 'read' ? DEFAULT_CLIENT : firstEndpoint;
  return {
    direction,
    source: parseAddr((raw.source as string | undefined) ?? defaultSource),
    dest: parseAddr((raw.dest as string | undefined) ?? DEFAULT_CLIENT),
    input: decodeBytes(raw.input ?? '', `${where}.input`),
    metadata: decodeMetadata(raw.metadata, `${where}.metadata`),
    advanceSeconds: (raw.advance_seconds as number | undefined) ?? 0,
    expect: decodeExpect((raw.expect ?? {}) as Raw, `${where}.expect`),
  };
}

function decodeCase(raw: Raw, where: string): VectorCase {
  const name = String(raw.name);
  const filters = ((raw.filters ?? []) as RawFilterConfig[]).map((f) => ({ ...f }));
  if (raw.kind === 'config') {
    const e = (raw.expect ?? {}) as Raw;
    return {
      kind: 'config',
      name,
      filters,
      expect: { valid: e.valid === true, errorContains: e.error_contains as string | undefined, normalized: e.normalized },
    };
  }
  const clusters = decodeClusters(raw.endpoints, `${where}.endpoints`);
  const steps =
    raw.kind === 'sequence' ? (raw.steps as Raw[]).map((s, i) => decodeStep(s, clusters, `${where}.steps[${i}]`)) : [decodeStep(raw, clusters, where)];
  return { kind: 'packets', name, filters, clusters, steps };
}

export function loadVectorFile(file: string, label: string): VectorFile {
  const doc = parse(fs.readFileSync(file, 'utf8'), { maxAliasCount: 1000 }) as Raw;
  const cases = (doc.cases as Raw[]).map((c, i) => decodeCase(c, `${label} cases[${i}] (${String(c.name)})`));
  return { label, cases };
}

/** The chain and config vectors (not tied to one filter). */
export const VECTORS_DIR = path.join('test', 'conformance', 'vectors');

/** Per filter folder: the Quilkin-derived vectors.yaml first, then our own cases.yaml. */
const FILTER_VECTOR_FILES = ['vectors.yaml', 'cases.yaml'];

/** Every filter vector file: each filter folder's vectors.yaml and cases.yaml, then the chain vectors. */
export function filterVectorFiles(): Array<{ file: string; label: string }> {
  const root = repoRoot();
  const filtersDir = path.join('data-plane', 'filters');
  const perFilter = fs
    .readdirSync(path.join(root, filtersDir))
    .sort()
    .flatMap((d) => FILTER_VECTOR_FILES.map((f) => path.join(filtersDir, d, f)));
  return [...perFilter, path.join(VECTORS_DIR, 'chain.yaml')]
    .filter((label) => fs.existsSync(path.join(root, label)))
    .map((label) => ({ file: path.join(root, label), label }));
}
