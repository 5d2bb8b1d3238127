// SPDX-License-Identifier: Apache-2.0
// Quilkin's v1alpha1 YAML config: text -> validated Config, with every error reported by path.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { AddressError, compareEndpointAddress, parseEndpointAddress } from './address';
import { type ConfigIssue, IssueCollector, type PathSegment, type Validated } from './issues';
import {
  type ClusterConfig,
  type Config,
  DEFAULT_ICAO_CODE,
  type EndpointConfig,
  type FilterConfig,
  type FilterConfigValidator,
  type JsonValue,
  type Locality,
  localityKey,
} from './model';

const TOP_LEVEL_KEYS = new Set(['version', 'id', 'clusters', 'filters', 'icao_code', 'qcmp_port', 'datacenters']);
const FILTER_ENTRY_KEYS = new Set(['name', 'label', 'config']);
const ENDPOINT_KEYS = new Set(['address', 'metadata']);
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

type RawMap = { [key: string]: unknown };

function isRawMap(value: unknown): value is RawMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

export function decodeBase64Strict(text: string): Buffer | undefined {
  return STRICT_BASE64.test(text) ? Buffer.from(text, 'base64') : undefined;
}

export function parseLocality(text: string): Locality | string {
  if (text === '') return 'locality must not be empty';
  const parts = text.split(':');
  if (parts.length > 3) return `locality \`${text}\` has more than three parts (region:zone:subzone)`;
  if (parts[0] === '') return `locality \`${text}\` has an empty region`;
  return {
    region: parts[0],
    ...(parts[1] ? { zone: parts[1] } : {}),
    ...(parts[2] ? { subZone: parts[2] } : {}),
  };
}

function parseTokens(value: unknown, path: PathSegment[], issues: IssueCollector): Buffer[] {
  if (!Array.isArray(value)) {
    issues.add(path, 'tokens must be an array of base64 encoded tokens');
    return [];
  }
  const tokens: Buffer[] = [];
  const seen = new Set<string>();
  value.forEach((item, i) => {
    if (typeof item !== 'string') {
      issues.add([...path, i], 'token must be a base64 encoded string');
      return;
    }
    const token = decodeBase64Strict(item);
    if (!token) {
      issues.add([...path, i], `\`${item}\` is not valid standard base64`);
      return;
    }
    const key = token.toString('latin1');
    if (seen.has(key)) issues.add([...path, i], 'Found duplicate tokens in endpoint metadata.');
    seen.add(key);
    tokens.push(token);
  });
  return tokens;
}

export function parseEndpoint(raw: unknown, path: PathSegment[], issues: IssueCollector): EndpointConfig | undefined {
  if (!isRawMap(raw)) {
    issues.add(path, 'endpoint must be a mapping with an `address`');
    return undefined;
  }
  const before = issues.issues.length;
  for (const key of Object.keys(raw)) if (!ENDPOINT_KEYS.has(key)) issues.add([...path, key], `unknown field \`${key}\``);
  let address;
  if (typeof raw.address !== 'string') issues.add([...path, 'address'], 'missing field `address` (a `host:port` string)');
  else {
    try {
      address = parseEndpointAddress(raw.address);
    } catch (err) {
      issues.add([...path, 'address'], err instanceof AddressError ? err.message : String(err));
    }
  }
  let tokens: Buffer[] = [];
  const userMetadata: Record<string, JsonValue> = {};
  if (raw.metadata !== undefined && raw.metadata !== null) {
    if (!isRawMap(raw.metadata)) issues.add([...path, 'metadata'], 'metadata must be a mapping');
    else {
      for (const [key, value] of Object.entries(raw.metadata)) {
        if (key !== 'quilkin.dev') {
          userMetadata[key] = value as JsonValue;
          continue;
        }
        if (!isRawMap(value) || value.tokens === undefined) {
          issues.add([...path, 'metadata', key], 'missing field `tokens`');
          continue;
        }
        tokens = parseTokens(value.tokens, [...path, 'metadata', key, 'tokens'], issues);
      }
    }
  }
  if (issues.issues.length !== before || !address) return undefined;
  return { address, tokens, userMetadata };
}

function parseCluster(raw: unknown, path: PathSegment[], issues: IssueCollector): ClusterConfig | undefined {
  if (!isRawMap(raw)) {
    issues.add(path, 'cluster must be a mapping with `endpoints` (clusters is a list of {locality?, endpoints})');
    return undefined;
  }
  let locality: Locality | undefined;
  if (raw.locality !== undefined && raw.locality !== null) {
    const parsed = typeof raw.locality === 'string' ? parseLocality(raw.locality) : 'locality must be a string';
    if (typeof parsed === 'string') issues.add([...path, 'locality'], parsed);
    else locality = parsed;
  }
  if (!Array.isArray(raw.endpoints)) {
    issues.add([...path, 'endpoints'], 'missing field `endpoints` (a list)');
    return undefined;
  }
  const byKey = new Map<string, EndpointConfig>();
  raw.endpoints.forEach((e, i) => {
    const endpoint = parseEndpoint(e, [...path, 'endpoints', i], issues);
    if (endpoint && !byKey.has(endpoint.address.key)) byKey.set(endpoint.address.key, endpoint);
  });
  const endpoints = [...byKey.values()].sort((a, b) => compareEndpointAddress(a.address, b.address));
  return { ...(locality ? { locality } : {}), endpoints };
}

function sameCluster(a: ClusterConfig, b: ClusterConfig): boolean {
  if (localityKey(a.locality) !== localityKey(b.locality) || a.endpoints.length !== b.endpoints.length) return false;
  return a.endpoints.every((e, i) => {
    const f = b.endpoints[i];
    return (
      e.address.key === f.address.key &&
      e.tokens.length === f.tokens.length &&
      e.tokens.every((t, j) => t.equals(f.tokens[j])) &&
      JSON.stringify(e.userMetadata) === JSON.stringify(f.userMetadata)
    );
  });
}

export function parseClusters(raw: unknown, issues: IssueCollector, path: PathSegment[] = ['clusters']): ClusterConfig[] {
  if (!Array.isArray(raw)) {
    issues.add(path, 'clusters must be a list of {locality?, endpoints}');
    return [];
  }
  const parsed = raw
    .map((c, i) => parseCluster(c, [...path, i], issues))
    .filter((c): c is ClusterConfig => c !== undefined)
    .sort((a, b) => (localityKey(a.locality) < localityKey(b.locality) ? -1 : localityKey(a.locality) > localityKey(b.locality) ? 1 : 0));
  // Same locality twice: identical entries are an error (as in Quilkin); otherwise the later one wins.
  const byLocality = new Map<string, ClusterConfig>();
  for (const cluster of parsed) {
    const key = localityKey(cluster.locality);
    const previous = byLocality.get(key);
    if (previous && sameCluster(previous, cluster)) issues.add(path, 'duplicate localities found in cluster map');
    byLocality.set(key, cluster);
  }
  return [...byLocality.values()];
}

export function parseFilters(raw: unknown, validator: FilterConfigValidator, issues: IssueCollector, path: PathSegment[] = ['filters']): FilterConfig[] {
  if (!Array.isArray(raw)) {
    issues.add(path, 'filters must be a list of {name, label?, config?}');
    return [];
  }
  const filters: FilterConfig[] = [];
  raw.forEach((entry, i) => {
    const at = [...path, i];
    if (!isRawMap(entry)) return issues.add(at, 'filter must be a mapping with a `name`');
    const unknown = Object.keys(entry).filter((k) => !FILTER_ENTRY_KEYS.has(k));
    for (const key of unknown) issues.add([...at, key], `unknown field \`${key}\`, expected one of \`name\`, \`label\`, \`config\``);
    if (typeof entry.name !== 'string') return issues.add([...at, 'name'], 'missing field `name`');
    if (entry.label !== undefined && entry.label !== null && typeof entry.label !== 'string') {
      issues.add([...at, 'label'], 'label must be a string');
    }
    try {
      const config = validator.validate(entry.name, entry.config ?? undefined);
      if (unknown.length === 0) {
        filters.push({
          name: entry.name,
          ...(typeof entry.label === 'string' ? { label: entry.label } : {}),
          ...(config !== undefined ? { config } : {}),
        });
      }
    } catch (err) {
      issues.add(entry.config === undefined || entry.config === null ? [...at, 'name'] : [...at, 'config'], (err as Error).message);
    }
  });
  return filters;
}

/** Validates a config document that has already been parsed into plain data (YAML or JSON). */
export function validateConfig(raw: unknown, validator: FilterConfigValidator): Validated<Config> {
  const issues = new IssueCollector();
  if (raw === null || raw === undefined) return { ok: true, value: { version: 'v1alpha1', clusters: [], filters: [], icaoCode: DEFAULT_ICAO_CODE } };
  if (!isRawMap(raw)) return { ok: false, issues: [{ path: [], message: 'the config must be a mapping' }] };
  for (const key of Object.keys(raw)) {
    if (!TOP_LEVEL_KEYS.has(key)) issues.add([key], `unknown field \`${key}\``);
  }
  if (raw.version !== undefined && typeof raw.version !== 'string') issues.add(['version'], 'version must be a string');
  let id: string | undefined;
  if (raw.id !== undefined && raw.id !== null) {
    if (typeof raw.id !== 'string') issues.add(['id'], 'id must be a string');
    else if (raw.id !== '') id = raw.id;
  }
  let icaoCode = DEFAULT_ICAO_CODE;
  if (raw.icao_code !== undefined) {
    if (typeof raw.icao_code !== 'string' || !/^[A-Z]{4}$/.test(raw.icao_code)) {
      issues.add(['icao_code'], 'icao_code must be exactly four characters A-Z');
    } else icaoCode = raw.icao_code;
  }
  let qcmpPort: number | undefined;
  if (raw.qcmp_port !== undefined) {
    if (!Number.isInteger(raw.qcmp_port) || (raw.qcmp_port as number) < 0 || (raw.qcmp_port as number) > 65535) {
      issues.add(['qcmp_port'], 'qcmp_port must be an integer from 0 to 65535');
    } else qcmpPort = raw.qcmp_port as number;
  }
  const clusters = raw.clusters === undefined || raw.clusters === null ? [] : parseClusters(raw.clusters, issues);
  const filters = raw.filters === undefined || raw.filters === null ? [] : parseFilters(raw.filters, validator, issues);
  if (!issues.ok) return { ok: false, issues: issues.issues };
  return {
    ok: true,
    value: { version: 'v1alpha1', ...(id !== undefined ? { id } : {}), clusters, filters, icaoCode, ...(qcmpPort !== undefined ? { qcmpPort } : {}) },
  };
}

/** Adds line/column to issues by walking the YAML document along each issue's path. */
function locate(issues: ConfigIssue[], root: YamlNode | null, lines: LineCounter): ConfigIssue[] {
  return issues.map((issue) => {
    let node: unknown = root;
    let located: YamlNode | undefined = root ?? undefined;
    for (const seg of issue.path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && p.key.value === seg);
        if (!pair) break;
        node = pair.value ?? pair.key;
        // An unknown field is the key's fault; anything else is about the value.
        const pointAtKey = issue.message.startsWith('unknown field') && seg === issue.path[issue.path.length - 1];
        located = (pointAtKey || !pair.value ? pair.key : pair.value) as YamlNode;
      } else if (isSeq(node) && typeof seg === 'number') {
        node = node.items[seg];
        if (!node) break;
        located = node as YamlNode;
      } else break;
    }
    if (!located?.range) return issue;
    const pos = lines.linePos(located.range[0]);
    return { ...issue, line: pos.line, column: pos.col };
  });
}

/** Parses YAML (or JSON) text into a validated Config. */
export function parseConfigText(text: string, validator: FilterConfigValidator): Validated<Config> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return { path: [], message: `YAML syntax error: ${e.message.split('\n')[0]}`, ...(pos ? { line: pos.line, column: pos.col } : {}) };
      }),
    };
  }
  const result = validateConfig(doc.toJS({ maxAliasCount: 100 }), validator);
  if (result.ok) return result;
  return { ok: false, issues: locate(result.issues, doc.contents, lines) };
}
