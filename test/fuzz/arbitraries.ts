// SPDX-License-Identifier: Apache-2.0
// fast-check generators for the differential fuzzers: valid chains (every filter kind, nested Match),
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

// Random patterns from pieces both sides accept: quantified atoms (bytes, classes, Unicode and byte
// mode), unquantified assertions, groups and alternation.
const ATOMS = ['a', 'b', '.', '[a-c]', '[^a]', '\\d', '\\w', '\\s', 'é', '\\n', '(?-u:\\xff)', '(?-u:.)', '(?i)A', '(?s:.)'];
const ASSERTIONS = ['^', '$', '(?-u:\\b)', '(?m:^)', '(?m:$)'];
const QUANTIFIERS = ['', '', '*', '+', '?', '{2}', '{1,3}', '*?', '+?', '{0,2}'];
const piece = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...ATOMS), fc.constantFrom(...QUANTIFIERS)).map(([a, q]) => a + q) },
  { weight: 1, arbitrary: fc.constantFrom(...ASSERTIONS) },
);
const branch = fc.array(piece, { minLength: 1, maxLength: 3 }).map((p) => p.join(''));
// Groups are never quantified: for a quantified group that can match empty, JS backtracking (the TS
// reference) rejects the empty iteration and tries the next alternative, while automata engines
// (RE2 here, Rust's regex upstream) accept it: `(a*|b)?` on "b" is "b" in JS, "" in RE2 and Rust.
const randomPattern = fc
  .tuple(fc.array(branch, { minLength: 1, maxLength: 2 }), fc.boolean())
  .map(([alts, group]) => (group ? `(${alts.join('|')})` : alts.join('|')));
const smallBytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));

const affix = fc.record({ size: fc.integer({ min: 0, max: 6 }), remove: fc.boolean() });
const capture = fc.oneof(
  fc.record({ metadataKey: key, prefix: affix }),
  fc.record({ metadataKey: key, suffix: affix }),
  fc.record({ metadataKey: key, regex: fc.record({ pattern: fc.oneof(fc.constantFrom(...PATTERNS), randomPattern) }) }),
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

/** A Match config over `leaf` filters: up to 3 branches on `values` per direction, at least one direction. */
function matchOf(values: fc.Arbitrary<unknown>, leaf: fc.Arbitrary<RawFilterConfig>): fc.Arbitrary<unknown> {
  const directional = fc.record({
    metadataKey: key,
    branches: fc.array(
      fc.tuple(values, leaf).map(([value, f]) => ({ value, ...f })),
      { maxLength: 3 },
    ),
    fallthrough: fc.option(leaf, { nil: undefined }),
  });
  return fc
    .record({ on_read: fc.option(directional, { nil: undefined }), on_write: fc.option(directional, { nil: undefined }) })
    .filter((m) => m.on_read !== undefined || m.on_write !== undefined)
    .map((m) => JSON.parse(JSON.stringify(m)) as unknown);
}

const branchValue = fc.constantFrom<unknown>('abc', 1, 0, true, false, ['abc', 1], 'x', 255);

export const filterArb: fc.Arbitrary<RawFilterConfig> = fc.oneof(
  { weight: 4, arbitrary: leafFilter },
  { weight: 1, arbitrary: named(`${NS}match.v1alpha1.Match`, matchOf(branchValue, leafFilter)) },
);

function endpoint(address: string, tokens: Buffer[]): EndpointConfig {
  return { address: parseEndpointAddress(address), tokens, userMetadata: {} };
}

// Clusters and packets are decoded from one byte string each ("genome"): fast-check generates and
// shrinks a flat Uint8Array far faster than a tree of records, which keeps 100k cases under a minute.

/** Byte i picks endpoint i (bit 7: present) and its tokens (bits 0-4: which of `tokens`, at most two). */
function decodeClusters(g: Uint8Array, tokenSet: readonly Buffer[] = TOKENS): ClusterConfig[] {
  const endpoints: EndpointConfig[] = [];
  ENDPOINTS.forEach((address, i) => {
    const b = g[i] ?? 0;
    if (!(b & 0x80)) return;
    const tokens = tokenSet.filter((_, t) => b & (1 << t)).slice(0, 2);
    endpoints.push(endpoint(address, tokens));
  });
  if (endpoints.length === 0) return [];
  endpoints.sort((x, y) => compareEndpointAddress(x.address, y.address));
  return [{ endpoints }];
}

export const clustersArb: fc.Arbitrary<ClusterConfig[]> = fc
  .uint8Array({ minLength: ENDPOINTS.length, maxLength: ENDPOINTS.length })
  .map((g) => decodeClusters(g));

const META_VALUES: MetadataValue[] = [
  ...TOKENS,
  'abc',
  'x',
  0,
  1,
  255,
  300,
  true,
  false,
  Buffer.from('00000000635137b5', 'hex'),
  [Buffer.from('abc'), 1],
  Buffer.from([1]),
];

export interface FuzzStep {
  direction: 'read' | 'write';
  source: SocketAddr;
  dest: SocketAddr;
  contents: Buffer;
  metadata: Metadata;
  advanceSeconds: number;
}

const ADDRS = SOURCES.map((text) => {
  const a = parseEndpointAddress(text);
  return socketAddr(a.host, a.port);
});
const ADVANCE = [0, 0, 0, 0, 0, 0, 1, 2, 3, 61];
const ALPHABET = [0x61, 0x62, 0x63, 0x41, 0x31, 0x20, 0x0a, 0xc3, 0xa9, 0xff, 0x61, 0x62];

/** How a step genome is read: which values, tokens and sources it picks from. */
interface StepAlphabet {
  readonly values: readonly MetadataValue[];
  readonly tokens: readonly Buffer[];
  /** Indexes into ADDRS, picked by the source byte (repeats bias the pick). */
  readonly sources: readonly number[];
}

const ALL_STEPS: StepAlphabet = { values: META_VALUES, tokens: TOKENS, sources: ADDRS.map((_, i) => i) };

/** Header bytes: direction, source, dest, clock advance, token suffix, two metadata entries; then contents. */
function decodeStep(g: Uint8Array, alphabet: StepAlphabet = ALL_STEPS): FuzzStep {
  const at = (i: number) => g[i] ?? 0;
  const metadata: Metadata = new Map();
  for (const i of [5, 6]) {
    const b = at(i);
    if (b & 0x80) metadata.set(KEYS[b & 3], alphabet.values[(b >> 2) % alphabet.values.length]);
  }
  // Half the packets are spelled from a small alphabet (letters, digit, space, newline, UTF-8 é,
  // a lone 0xff) so regex captures actually match.
  const raw = g.subarray(7);
  const body = at(3) & 0x80 ? Buffer.from(Array.from(raw, (b) => ALPHABET[b % ALPHABET.length])) : Buffer.from(raw);
  const token = at(4) & 0x80 ? alphabet.tokens[at(4) % alphabet.tokens.length] : undefined;
  return {
    direction: at(0) % 4 === 3 ? 'write' : 'read',
    source: ADDRS[alphabet.sources[at(1) % alphabet.sources.length]],
    dest: ADDRS[at(2) % ADDRS.length],
    contents: token ? Buffer.concat([body, token]) : body,
    metadata,
    advanceSeconds: ADVANCE[at(3) % ADVANCE.length],
  };
}

const stepArb: fc.Arbitrary<FuzzStep> = fc.uint8Array({ minLength: 7, maxLength: 24 }).map((g) => decodeStep(g));

/** One generated config and SEQUENCES packet sequences; each sequence runs on a fresh chain (one case). */
export interface FuzzConfig {
  filters: RawFilterConfig[];
  clusters: ClusterConfig[];
  sequences: FuzzStep[][];
}

export const SEQUENCES = 4;

export const configArb: fc.Arbitrary<FuzzConfig> = fc.record({
  filters: fc.array(filterArb, { maxLength: 4 }),
  clusters: clustersArb,
  sequences: fc.array(fc.array(stepArb, { minLength: 1, maxLength: 4 }), { minLength: SEQUENCES, maxLength: SEQUENCES }),
});

// ---- Lowerable-biased configs (kernel-differential.test.ts) ----------------------------------
// configArb's chains mostly hold a filter the in-kernel fast path does not lower (Debug,
// Timestamp, LocalRateLimit, regex Capture, Number/List Match values, empty tokens), so this one
// draws only from what data-plane/compiler/lower.ts accepts: Pass, Drop, Capture prefix/suffix of
// at most 32 bytes, TokenRouter/HashedTokenRouter, Firewall, Match on String/Bool values (config
// values are JSON: Bytes only arrive as metadata), LoadBalancer HASH and ROUND_ROBIN, Concatenate
// of at most 32 bytes. Packets carry only metadata the kernel can seed (Bytes, String, Bool of at
// most 32 bytes), mostly come from IPv4 sources (an IPv6 source's Hash is handed off), and some
// are longer than the program's 64-byte windows.

// No empty token: the kernel's token table cannot hold one (not lowerable).
const K_TOKENS = ['abc', 'xyz', '\u0000\u00ff', 'é', 'k'.repeat(32)].map((t) => Buffer.from(t, 'latin1'));
const K_VALUES: MetadataValue[] = [...K_TOKENS, 'abc', 'x', 'é', true, false, Buffer.from([1]), Buffer.from('xyz')];
// ADDRS indexes: 127.0.0.1, 10.1.2.3, 192.168.1.1 weighted; [::1], [2001:db8::5], [::ffff:10.0.0.9] once each. No
// multicast source: no session ever starts from one, so the kernel never sees its packets with a flow.
const K_STEPS: StepAlphabet = { values: K_VALUES, tokens: K_TOKENS, sources: [0, 1, 5, 0, 1, 5, 0, 1, 2, 3, 6] };

const kSize = fc.oneof(fc.constantFrom(1, 3, 3, 32), fc.integer({ min: 0, max: 32 }));
const kAffix = fc.record({ size: kSize, remove: fc.boolean() });
const kCapture = fc.oneof(fc.record({ metadataKey: key, prefix: kAffix }), fc.record({ metadataKey: key, suffix: kAffix }));
const kConcatenate = fc.record({ on_read: strategy, on_write: strategy, bytes: smallBytes(32).map((b) => b.toString('base64')) });
const kLoadBalancer = fc.record({ policy: fc.constantFrom('ROUND_ROBIN', 'HASH', 'HASH') });

const kLeaf: fc.Arbitrary<RawFilterConfig> = fc.oneof(
  { weight: 3, arbitrary: named(`${NS}capture.v1alpha1.Capture`, kCapture) },
  { weight: 2, arbitrary: named(`${NS}concatenate.v1alpha1.Concatenate`, kConcatenate) },
  { weight: 1, arbitrary: named(`${NS}drop.v1alpha1.Drop`, fc.constant(undefined)) },
  { weight: 2, arbitrary: named(`${NS}firewall.v1alpha1.Firewall`, firewall) },
  { weight: 2, arbitrary: named(`${NS}load_balancer.v1alpha1.LoadBalancer`, kLoadBalancer) },
  { weight: 1, arbitrary: named(`${NS}pass.v1alpha1.Pass`, fc.constant(undefined)) },
  { weight: 2, arbitrary: named(`${NS}token_router.v1alpha1.TokenRouter`, routerConfig) },
  { weight: 2, arbitrary: named(`${NS}token_router.v1alpha1.HashedTokenRouter`, routerConfig) },
);

const kBranchValue = fc.constantFrom<unknown>('abc', 'xyz', 'x', 'é', '\u0000\u00ff', true, false);

export const lowerableFilterArb: fc.Arbitrary<RawFilterConfig> = fc.oneof(
  { weight: 4, arbitrary: kLeaf },
  { weight: 1, arbitrary: named(`${NS}match.v1alpha1.Match`, matchOf(kBranchValue, kLeaf)) },
);

const kStepArb: fc.Arbitrary<FuzzStep> = fc
  .oneof({ weight: 4, arbitrary: fc.uint8Array({ minLength: 7, maxLength: 40 }) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 60, maxLength: 200 }) })
  .map((g) => decodeStep(g, K_STEPS));

export const lowerableConfigArb: fc.Arbitrary<FuzzConfig> = fc.record({
  filters: fc.array(lowerableFilterArb, { maxLength: 5 }),
  clusters: fc.uint8Array({ minLength: ENDPOINTS.length, maxLength: ENDPOINTS.length }).map((g) => decodeClusters(g, K_TOKENS)),
  sequences: fc.array(fc.array(kStepArb, { minLength: 1, maxLength: 4 }), { minLength: SEQUENCES, maxLength: SEQUENCES }),
});
