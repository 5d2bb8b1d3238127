// SPDX-License-Identifier: Apache-2.0
// fast-check generators for the differential fuzzer: valid chains (every filter kind, nested Match),
// clusters with tokens, and packet sequences with pre-set metadata and clock steps.
import fc from 'fast-check';
import { compareEndpointAddress, parseEndpointAddress, type SocketAddr, socketAddr } from '../../config/address';
import type { ClusterConfig, EndpointConfig } from '../../config/model';
import type { Metadata, MetadataValue } from '../../data-plane/filters/metadata';
import type { RawFilterConfig } from '../conformance/implementations';

const KEYS = ['quilkin.dev/capture', 'k1', 'k1/is_present', 'ts'];
const TOKENS = ['abc', 'xyz', '', '\u0000\u00ff', 'é'].map((t) => Buffer.from(t, 'latin1'));
const ENDPOINTS = ['127.0.0.1:7001', '127.0.0.2:7002', '10.0.0.1:9000', '[::1]:7003', '[2001:db8::1]:8000'];
const SOURCES = ['127.0.0.1:8000', '10.1.2.3:7000', '[::1]:8000', '[2001:db8::5]:9000', '224.0.0.1:5000', '192.168.1.1:65535', '[::ffff:10.0.0.9]:1'];
// Patterns both the TS translator and RE2 accept, covering Unicode/byte mode, flags and anchors.
const PATTERNS = ['.{3}$', '[0-9]+', 'a|b', '(?-u)\\xff+', '^ab', 'x*', '\\d', '(?i)hello', '[^a-z]{2}', '(?m)^a$', '(?s).', 'é+', '\\w+', '(?-u:.)', '\\s'];
const CIDRS = ['127.0.0.0/8', '10.0.0.0/8', '::1/128', '0.0.0.0/0', '::/0', '192.168.1.1', '::ffff:0:0/96', '2001:db8::/32'];
const PORTS: Array<string | number> = ['7000', 8000, '1000-9000', '0-65535', '8000-8001', 65534];

const key = fc.constantFrom(...KEYS);
const smallBytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));

const affix = fc.record({ size: fc.integer({ min: 0, max: 6 }), remove: fc.boolean() });
const capture = fc.oneof(
  fc.record({ metadataKey: key, prefix: affix }),
  fc.record({ metadataKey: key, suffix: affix }),
  fc.record({ metadataKey: key, regex: fc.record({ pattern: fc.constantFrom(...PATTERNS) }) }),
);
const strategy = fc.constantFrom('APPEND', 'PREPEND', 'DO_NOTHING');
const concatenate = fc.record({ on_read: strategy, on_write: strategy, bytes: smallBytes(4).map((b) => b.toString('base64')) });
const rule = fc.record({
  action: fc.constantFrom('ALLOW', 'DENY'),
  sources: fc.array(fc.constantFrom(...CIDRS), { maxLength: 3 }),
  ports: fc.array(fc.constantFrom(...PORTS), { maxLength: 3 }),
});
const firewall = fc.record({ on_read: fc.array(rule, { maxLength: 3 }), on_write: fc.array(rule, { maxLength: 3 }) });
// RANDOM is left out: TS and native draw from different generators (tested separately).
const loadBalancer = fc.record({ policy: fc.constantFrom('ROUND_ROBIN', 'HASH') });
const rateLimit = fc.record({ max_packets: fc.integer({ min: 0, max: 3 }), period: fc.integer({ min: 1, max: 3 }) });
const routerConfig = fc.option(fc.record({ metadataKey: key }), { nil: undefined });

function named(name: string, config: fc.Arbitrary<unknown>): fc.Arbitrary<RawFilterConfig> {
  return config.map((c) => (c === undefined ? { name } : { name, config: c }));
}

const NS = 'quilkin.filters.';
const leafFilter: fc.Arbitrary<RawFilterConfig> = fc.oneof(
  named(`${NS}capture.v1alpha1.Capture`, capture),
  named(`${NS}concatenate.v1alpha1.Concatenate`, concatenate),
  named(`${NS}debug.v1alpha1.Debug`, fc.option(fc.record({ id: fc.string({ maxLength: 4 }) }), { nil: undefined })),
  named(`${NS}drop.v1alpha1.Drop`, fc.constant(undefined)),
  named(`${NS}firewall.v1alpha1.Firewall`, firewall),
  named(`${NS}load_balancer.v1alpha1.LoadBalancer`, loadBalancer),
  named(`${NS}local_rate_limit.v1alpha1.LocalRateLimit`, rateLimit),
  named(`${NS}pass.v1alpha1.Pass`, fc.constant(undefined)),
  named(`${NS}timestamp.v1alpha1.Timestamp`, fc.record({ metadataKey: key })),
  named(`${NS}token_router.v1alpha1.TokenRouter`, routerConfig),
  named(`${NS}token_router.v1alpha1.HashedTokenRouter`, routerConfig),
);

const branchValue = fc.constantFrom<unknown>('abc', 1, 0, true, false, ['abc', 1], 'x', 255);
const directional = fc.record({
  metadataKey: key,
  branches: fc.array(
    fc.tuple(branchValue, leafFilter).map(([value, f]) => ({ value, ...f })),
    { maxLength: 3 },
  ),
  fallthrough: fc.option(leafFilter, { nil: undefined }),
});
const match = fc
  .record({ on_read: fc.option(directional, { nil: undefined }), on_write: fc.option(directional, { nil: undefined }) })
  .filter((m) => m.on_read !== undefined || m.on_write !== undefined)
  .map((m) => JSON.parse(JSON.stringify(m)) as unknown);

export const filterArb: fc.Arbitrary<RawFilterConfig> = fc.oneof({ weight: 4, arbitrary: leafFilter }, { weight: 1, arbitrary: named(`${NS}match.v1alpha1.Match`, match) });

function endpoint(address: string, tokens: Buffer[]): EndpointConfig {
  return { address: parseEndpointAddress(address), tokens, userMetadata: {} };
}

export const clustersArb: fc.Arbitrary<ClusterConfig[]> = fc
  .uniqueArray(fc.tuple(fc.constantFrom(...ENDPOINTS), fc.uniqueArray(fc.constantFrom(...TOKENS), { maxLength: 2, comparator: (a, b) => a.equals(b) })), {
    maxLength: 4,
    selector: ([a]) => a,
  })
  .map((list) => {
    if (list.length === 0) return [];
    const endpoints = list.map(([a, t]) => endpoint(a, t)).sort((x, y) => compareEndpointAddress(x.address, y.address));
    return [{ endpoints }];
  });

const metaValue: fc.Arbitrary<MetadataValue> = fc.oneof(
  smallBytes(4),
  fc.constantFrom(...TOKENS),
  fc.constantFrom('abc', 'x'),
  fc.integer({ min: 0, max: 300 }),
  fc.boolean(),
  fc.constant(Buffer.from('00000000635137b5', 'hex')),
  fc.constant([Buffer.from('abc'), 1] as MetadataValue),
);

export interface FuzzStep {
  direction: 'read' | 'write';
  source: SocketAddr;
  dest: SocketAddr;
  contents: Buffer;
  metadata: Metadata;
  advanceSeconds: number;
}

const addr = fc.constantFrom(...SOURCES).map((text) => {
  const a = parseEndpointAddress(text);
  return socketAddr(a.host, a.port);
});

const stepArb: fc.Arbitrary<FuzzStep> = fc.record({
  direction: fc.constantFrom<'read' | 'write'>('read', 'read', 'read', 'write'),
  source: addr,
  dest: addr,
  contents: fc.tuple(smallBytes(16), fc.option(fc.constantFrom(...TOKENS), { nil: undefined })).map(([b, t]) => (t ? Buffer.concat([b, t]) : b)),
  metadata: fc.array(fc.tuple(key, metaValue), { maxLength: 2 }).map((entries) => new Map(entries)),
  advanceSeconds: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.integer({ min: 1, max: 3 }) }, { weight: 1, arbitrary: fc.constant(61) }),
});

export interface FuzzCase {
  filters: RawFilterConfig[];
  clusters: ClusterConfig[];
  steps: FuzzStep[];
}

export const caseArb: fc.Arbitrary<FuzzCase> = fc.record({
  filters: fc.array(filterArb, { maxLength: 4 }),
  clusters: clustersArb,
  steps: fc.array(stepArb, { minLength: 1, maxLength: 4 }),
});
