// SPDX-License-Identifier: Apache-2.0
// Mutated configs and xDS resources through the paths that accept them: YAML/JSON text into the
// config loader (parseConfigText), plain data into validateConfig, and Cluster / FilterChain /
// Datacenter resources (damaged bytes and hostile field values) into the xDS decode path
// (decodeDelta); whatever is accepted goes on through the compile stage. Nothing may throw past
// these entry points, no call may take long (a hang), and every rejection is a message that names
// something: a path or a reason, never "[object Object]" or an empty string. The compile stage may
// refuse only with its CompileError. Counts: CI 1000 documents and 3000 resources, soak 12k each.
import { create, toBinary } from '@bufbuild/protobuf';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import type { ConfigIssue } from '../../config/issues';
import { type Config, type Datacenter, emptyConfig, type JsonValue } from '../../config/model';

type JsonObject = { [key: string]: JsonValue };
import { parseConfigText, validateConfig } from '../../config/parse';
import { decodeDelta, resourcesOf } from '../../proto/codec';
import { ResourceSchema } from '../../proto/gen/envoy/service/discovery/v3/discovery_pb';
import { ClusterSchema, DatacenterSchema, FilterChainSchema } from '../../proto/gen/quilkin/config/v1alpha1/config_pb';
import type { XdsResource } from '../../proto/messages';
import { CLUSTER_TYPE, DATACENTER_TYPE, FILTER_CHAIN_NAME, FILTER_CHAIN_TYPE, type ResourceType } from '../../proto/type-urls';
import { compile } from '../../data-plane/compiler/compile';
import { CompileError } from '../../data-plane/compiler/description';
import { filterRegistry } from '../../data-plane/filters/index';
import { configArb, type FuzzConfig } from './arbitraries';
import { announce, FUZZ_SEED, PROFILE, prng, seedFor, sized, withReplaySync } from './profile';

const CONFIGS = sized(1000, 12_000);
const RESOURCES = sized(3000, 12_000);
/** One call slower than this is a hang for this test (a typical call takes well under 5 ms; a
 *  16k-bracket document ~200 ms on an idle core, seconds on a loaded shared machine). */
const SLOW_MS = 5000;
let slowest = { ms: 0, what: '' };
const MAX_MESSAGE = 64 * 1024;
const MAX_DOCUMENT = 256 * 1024;

const registry = filterRegistry();
const names = { address: () => undefined };

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, n: number): number => Math.floor(r() * n);

/** A file-form document from a generated config (the shape a user writes). */
function fileForm(c: FuzzConfig): Record<string, unknown> {
  return {
    version: 'v1alpha1',
    clusters: c.clusters.map((g) => ({
      endpoints: g.endpoints.map((e) => ({
        address: e.address.key,
        metadata: { 'quilkin.dev': { tokens: e.tokens.map((t) => t.toString('base64')) } },
      })),
    })),
    filters: c.filters,
  };
}

function sampleConfigs(seed: number, n: number) {
  return fc.sample(configArb, { seed, numRuns: n });
}

const HUGE: unknown[] = [
  1e308,
  -1,
  2 ** 53 + 1,
  -(2 ** 31),
  4294967296,
  0.5,
  'x'.repeat(70_000),
  '\u0000',
  '\ud800',
  '../../etc/passwd',
  '%s%s%n',
  '0x10',
  '1e999',
  '-0',
  'NaN',
  '::',
  '[::1]:99999',
  '256.1.1.1:7000',
  'localhost:-1',
];
const SWAPS: unknown[] = [null, true, false, 0, 1, '', 'abc', [], {}, [1, 'a'], { a: 1 }, { version: 'v1alpha1' }];

/** Nests `inner` `depth` levels deep in arrays or maps. */
function nest(inner: unknown, depth: number, asMap: boolean): unknown {
  let v = inner;
  for (let i = 0; i < depth; i++) v = asMap ? { k: v } : [v];
  return v;
}

/** JSON text nested `depth` levels (built as text: JSON.stringify would overflow the stack). */
function deepJson(depth: number, asMap: boolean): string {
  return asMap ? '{"k":'.repeat(depth) + '1' + '}'.repeat(depth) : '['.repeat(depth) + '1' + ']'.repeat(depth);
}

/** Every (container, key) in a tree, for picking a node to replace. */
function slots(root: unknown): Array<[Record<string | number, unknown>, string | number]> {
  const out: Array<[Record<string | number, unknown>, string | number]> = [];
  const walk = (node: unknown, depth: number): void => {
    if (depth > 40 || node === null || typeof node !== 'object') return;
    for (const k of Object.keys(node)) {
      const key = Array.isArray(node) ? Number(k) : k;
      out.push([node as Record<string | number, unknown>, key]);
      walk((node as Record<string, unknown>)[k], depth + 1);
    }
  };
  walk(root, 0);
  return out;
}

/** One structural mutation: type swap, huge value, deep nesting, deletion, unknown key, long list. */
function mutateTree(r: Rand, doc: Record<string, unknown>): unknown {
  const copy = JSON.parse(JSON.stringify(doc)) as Record<string, unknown>;
  const all = slots(copy);
  const rounds = 1 + int(r, 3);
  for (let i = 0; i < rounds && all.length; i++) {
    const [holder, key] = pick(r, all);
    switch (int(r, 7)) {
      case 0:
        holder[key] = pick(r, SWAPS);
        break;
      case 1:
        holder[key] = pick(r, HUGE);
        break;
      case 2:
        holder[key] = nest(holder[key], 50 + int(r, 3000), r() < 0.5);
        break;
      case 3:
        if (Array.isArray(holder)) holder.splice(Number(key), 1);
        else delete holder[key];
        break;
      case 4:
        if (!Array.isArray(holder)) holder[`unknown_${int(r, 100)}`] = pick(r, SWAPS);
        break;
      case 5:
        holder[key] = Array.from({ length: 20 + int(r, 300) }, () => holder[key]);
        break;
      default:
        holder[key] =
          typeof holder[key] === 'string' ? (holder[key] as string) + pick(r, ['\n', ': x', '"', '&a', '*a', '!!binary', '{']) : String(holder[key]);
    }
  }
  return r() < 0.05 ? pick(r, SWAPS) : copy;
}

/** Text damage: bit flips, truncation, insertion of YAML syntax, huge indentation, deep brackets. */
function mutateText(r: Rand, text: string): string {
  const b = Buffer.from(text, 'utf8');
  switch (int(r, 7)) {
    case 0: {
      for (let i = 0; i < 1 + int(r, 8) && b.length; i++) b[int(r, b.length)] ^= 1 << int(r, 8);
      return b.toString('utf8');
    }
    case 1:
      return text.slice(0, int(r, text.length + 1));
    case 2: {
      const at = int(r, text.length + 1);
      return (
        text.slice(0, at) +
        pick(r, ['\t', ': : :', '- - -', '&anchor ', '*anchor', '!!python/object ', '%YAML 9.9\n', '---\n', '{{{', ']]', '"', "'", '\u0000', '<<: *a\n']) +
        text.slice(at)
      );
    }
    case 3:
      return '['.repeat(1 + int(r, 3000)) + text;
    case 4:
      return (
        `a: &a [${'x,'.repeat(50)}]\n` +
        Array.from(
          { length: 12 },
          (_, i) =>
            `b${i}: &b${i} [${Array(10)
              .fill(i ? `*b${i - 1}` : '*a')
              .join(',')}]`,
        ).join('\n')
      );
    case 5:
      return text.replace(/\n/g, '\n' + ' '.repeat(int(r, 200)));
    default:
      return Buffer.from(Array.from({ length: int(r, 600) }, () => int(r, 256))).toString(r() < 0.5 ? 'latin1' : 'utf8');
  }
}

/** A rejection names its problem: non-empty, bounded, no stringified objects or "undefined". */
function checkIssues(issues: readonly ConfigIssue[], what: string, input: string): void {
  // Plain checks, not chai: a rejected document can carry thousands of issues.
  const fail = (why: string, issue?: ConfigIssue): never => {
    throw new Error(`${what}: ${why}${issue ? `: ${JSON.stringify(issue).slice(0, 400)}` : ''}`);
  };
  if (issues.length === 0) fail('a rejection carries no issue');
  const echoesInput = input.includes('[object Object]');
  for (const issue of issues) {
    if (typeof issue.message !== 'string' || issue.message === '') fail('an issue without a message', issue);
    // Messages quote the offending value whole (a 70k-character address comes back whole), so the
    // bound grows with the input; it still catches a message that multiplies it.
    if (issue.message.length > MAX_MESSAGE + input.length) fail(`a ${issue.message.length}-character message`);
    if (!echoesInput && /\[object Object\]|^undefined|^Error$/.test(issue.message)) fail('a message that names nothing', issue);
    if (!Array.isArray(issue.path) || issue.path.some((seg) => typeof seg !== 'string' && typeof seg !== 'number')) fail('a malformed path', issue);
  }
}

/** The compile stage of an accepted config: refuses only with CompileError, which names the reason. */
function checkCompiles(config: Config, what: string): 'compiled' | 'refused' {
  try {
    compile(config, { registry, names }).nativeChain();
    return 'compiled';
  } catch (err) {
    if (!(err instanceof CompileError)) throw new Error(`${what}: the compile stage threw ${String(err)} (not a CompileError)`, { cause: err });
    expect(err.message, what).to.not.equal('');
    return 'refused';
  }
}

function timed<T>(what: string, f: () => T): T {
  const t = performance.now();
  let out: T;
  try {
    out = f();
  } catch (err) {
    throw new Error(`${what}: threw past the entry point: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`, { cause: err });
  }
  const ms = performance.now() - t;
  if (ms > slowest.ms) slowest = { ms, what: what.slice(0, 120) };
  if (process.env.FUZZ_DEBUG && ms > 300) console.log(`    slow ${ms.toFixed(0)} ms: ${what.slice(0, 200)}`);
  if (ms > SLOW_MS) throw new Error(`${what}: took ${ms.toFixed(0)} ms (> ${SLOW_MS} ms: a hang)`);
  return out;
}

const dumpPath = (i: number): string => path.join(os.tmpdir(), `qk-fuzz-config-${FUZZ_SEED}-${i}.txt`);

/** Keeps a failing input on disk (the replay reproduces it too; this is the quick look). */
function dumpOnFailure<T>(i: number, text: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    fs.writeFileSync(dumpPath(i), text);
    throw err;
  }
}

const short = (s: string): string => JSON.stringify(s.length > 300 ? `${s.slice(0, 300)}…(${s.length} chars)` : s);

/** Mocha sets Error.stackTraceLimit to Infinity: each of the yaml parser's errors on a document
 *  nested thousands deep then records thousands of frames (seconds, GBs). The proxy runs with
 *  Node's default of 10, which these tests restore while they run. */
function productionStackLimit(): void {
  let saved = Error.stackTraceLimit;
  before(() => {
    saved = Error.stackTraceLimit;
    Error.stackTraceLimit = 10;
  });
  after(() => {
    Error.stackTraceLimit = saved;
  });
}

describe('fuzz: mutated configs through the loader and the compile stage', function () {
  this.timeout(PROFILE === 'soak' ? 900_000 : 120_000);
  productionStackLimit();

  it(`rejects or accepts ${CONFIGS} mutated YAML/JSON documents precisely, never throwing or hanging`, function () {
    announce('config mutation (text + tree)', CONFIGS, 'documents');
    withReplaySync(__filename, CONFIGS, () => {
      const seed = seedFor('config-mutation');
      const r = prng(seed);
      const bases = sampleConfigs(seed, 200).map(fileForm);
      const tally = { accepted: 0, rejected: 0, compiled: 0, refused: 0 };
      for (let i = 0; i < CONFIGS; i++) {
        const base = bases[i % bases.length]!;
        let tree = r() < 0.5 ? mutateTree(r, base) : base;
        let text: string;
        try {
          text = JSON.stringify(tree) ?? 'null';
          // Compounded list growth can make tens of MB; a big document is a load test, not this one.
          if (text.length > MAX_DOCUMENT) [tree, text] = [base, JSON.stringify(base)];
          // YAML for the smaller ones (the yaml package's stringify is slow on deep trees).
          if (text.length < 64 * 1024 && r() < 0.5) text = stringify(tree, { aliasDuplicateObjects: false });
        } catch {
          [tree, text] = [base, JSON.stringify(base)];
        }
        if (tree === base || r() < 0.3) text = mutateText(r, text);
        const what = `document ${i} ${short(text)} (written to ${dumpPath(i)} on failure)`;
        dumpOnFailure(i, text, () => {
          const result = timed(what, () => parseConfigText(text, registry));
          if (result.ok) {
            tally.accepted++;
            tally[timed(what, () => checkCompiles(result.value, what))]++;
          } else {
            tally.rejected++;
            checkIssues(result.issues, what, text);
          }
          // Plain data (what providers hand over) straight into the validator.
          const direct = timed(`${what} (validateConfig)`, () => validateConfig(tree, registry));
          if (!direct.ok) checkIssues(direct.issues, `${what} (validateConfig)`, JSON.stringify(tree) ?? '');
        });
      }
      console.log(`  [fuzz] configs: ${JSON.stringify(tally)}; slowest call ${slowest.ms.toFixed(0)} ms`);
      expect(tally.rejected, 'most mutations must be caught').to.be.greaterThan(CONFIGS / 10);
      expect(tally.accepted, 'some mutations stay valid (the generator reaches the compile stage)').to.be.greaterThan(CONFIGS / 50);
    });
  });
});

function resource(name: string, typeUrl: string, value: Uint8Array): XdsResource {
  return create(ResourceSchema, { name, version: '1', resource: { typeUrl, value } });
}

function datacenters(r: Rand): Datacenter[] {
  return Array.from({ length: int(r, 3) }, (_, i) => ({
    host: `10.9.${i}.${1 + int(r, 250)}`,
    qcmpPort: 1 + int(r, 65535),
    icaoCode: pick(r, ['ABCD', 'XXXX', 'EGLL']),
  }));
}

/** A message with hostile field values, built through the schema (so it is well-formed protobuf). */
function hostileMessage(r: Rand, type: ResourceType): Uint8Array {
  const str = (): string => pick(r, ['', 'a', '\u0000', '\ud800x', 'x'.repeat(int(r, 5000)), '127.0.0.1', '::1', 'ex ample', 'é'.repeat(30), '../']);
  if (type === CLUSTER_TYPE) {
    const endpoint = () => ({
      host: str(),
      port: pick(r, [0, 1, 7000, 65535, 65536, 4294967295]),
      metadata: pick<JsonObject | undefined>(r, [
        undefined,
        {},
        { 'quilkin.dev': { tokens: [str()] } },
        { 'quilkin.dev': { tokens: 'abc' } },
        { 'quilkin.dev': nest('x', 1 + int(r, 60), true) as JsonObject },
        { 'quilkin.dev': { tokens: Array.from({ length: int(r, 3000) }, () => 'YWJj') } },
        { other: [1, 2, { a: null }] },
      ]),
      host2: pick(r, [
        undefined,
        { inner: { case: 'name' as const, value: str() } },
        { inner: { case: 'ipv4' as const, value: int(r, 2 ** 32) } },
        { inner: { case: 'ipv6' as const, value: { first: BigInt(int(r, 2 ** 32)) << 32n, second: BigInt(int(r, 2 ** 32)) } } },
      ]),
    });
    return toBinary(
      ClusterSchema,
      create(ClusterSchema, {
        locality: r() < 0.5 ? { region: str(), zone: str(), subZone: str() } : undefined,
        endpoints: Array.from({ length: int(r, 6) }, endpoint),
      }),
    );
  }
  if (type === FILTER_CHAIN_TYPE) {
    const known = registry.names();
    const filter = () => ({
      name: r() < 0.7 && known.length ? pick(r, known) : str(),
      label: r() < 0.2 ? str() : undefined,
      config: pick(r, [
        undefined,
        '',
        '{',
        'null',
        '[]',
        '{"a":1}',
        deepJson(2000 + int(r, 8000), r() < 0.5),
        JSON.stringify({ on_read: 'APPEND', on_write: 'APPEND', bytes: str() }),
        JSON.stringify({ metadataKey: str(), regex: { pattern: pick(r, ['(a+)+$', '[', '\\', 'a{99999}', '(?<n>a)', '\\p{L}']) } }),
        JSON.stringify({ max_packets: pick(r, [-1, 1e308, 0, 2 ** 64]), period: pick(r, [0, -5, 1e9]) }),
        JSON.stringify({ on_read: [{ action: 'ALLOW', sources: [str()], ports: [pick(r, ['0-70000', '5-1', 'a', 99999])] }] }),
      ]),
    });
    return toBinary(FilterChainSchema, create(FilterChainSchema, { filters: Array.from({ length: int(r, 6) }, filter) }));
  }
  return toBinary(DatacenterSchema, create(DatacenterSchema, { host: str(), qcmpPort: pick(r, [0, 7600, 65536, 4294967295]), icaoCode: str() }));
}

/** Byte damage on an encoded message: flips, truncation, splices, lying lengths, random bytes. */
function mutateBytes(r: Rand, value: Uint8Array): Uint8Array {
  const b = Buffer.from(value);
  switch (int(r, 6)) {
    case 0:
      for (let i = 0; i < 1 + int(r, 6) && b.length; i++) b[int(r, b.length)] ^= 1 << int(r, 8);
      return b;
    case 1:
      return b.subarray(0, int(r, b.length + 1));
    case 2: {
      const at = int(r, b.length + 1);
      const junk = Buffer.from(Array.from({ length: 1 + int(r, 16) }, () => int(r, 256)));
      return Buffer.concat([b.subarray(0, at), junk, b.subarray(at)]);
    }
    case 3:
      // A length-delimited field claiming far more bytes than follow.
      return Buffer.concat([Buffer.from([0x12, 0xff, 0xff, 0xff, 0xff, 0x0f]), b]);
    case 4:
      return Buffer.concat([b, b, b]);
    default:
      return Buffer.from(Array.from({ length: int(r, 400) }, () => int(r, 256)));
  }
}

describe('fuzz: mutated xDS resources through decode, validation and compile', function () {
  this.timeout(PROFILE === 'soak' ? 900_000 : 120_000);
  productionStackLimit();

  it(`NACKs or accepts ${RESOURCES} mutated Cluster/FilterChain/Datacenter resources precisely, never throwing or hanging`, function () {
    announce('xDS resource mutation', RESOURCES, 'resources');
    withReplaySync(__filename, RESOURCES, () => {
      const seed = seedFor('xds-mutation');
      const r = prng(seed);
      const configs: Config[] = [];
      for (const c of sampleConfigs(seed, 100)) {
        const parsed = validateConfig(fileForm(c), registry);
        if (parsed.ok) configs.push({ ...parsed.value, datacenters: datacenters(r) });
      }
      expect(configs.length).to.be.greaterThan(50);
      const types: ResourceType[] = [CLUSTER_TYPE, FILTER_CHAIN_TYPE, DATACENTER_TYPE];
      const tally = { accepted: 0, nacked: 0, compiled: 0, refused: 0 };
      for (let i = 0; i < RESOURCES; i++) {
        const config = configs[i % configs.length]!;
        const type = types[i % types.length]!;
        let list = [...resourcesOf(config, type).values()].map((e) => ({ name: e.name, value: e.value }));
        if (list.length === 0 || r() < 0.3) list = [{ name: type === FILTER_CHAIN_TYPE ? FILTER_CHAIN_NAME : `r${i}`, value: hostileMessage(r, type) }];
        const resources = list.map((e) => {
          const value = r() < 0.8 ? mutateBytes(r, e.value) : e.value;
          // Now and then the envelope lies: another type URL, an empty or huge name.
          const typeUrl = r() < 0.05 ? pick(r, types) : type;
          const name = r() < 0.05 ? pick(r, ['', 'x'.repeat(10_000), '\u0000']) : e.name;
          return resource(name, typeUrl, value);
        });
        const removed = r() < 0.1 ? [pick(r, ['', 'filter_chain', 'x'.repeat(1000)])] : [];
        const what = `resource ${i} (${type}, ${resources.map((x) => Buffer.from(x.resource!.value).toString('hex').slice(0, 120)).join(' | ')})`;
        const result = timed(what, () => decodeDelta(type, resources, removed, { validator: registry, currentDatacenters: config.datacenters ?? [] }));
        if (!result.ok) {
          tally.nacked++;
          expect(result.error, what).to.be.a('string').and.not.equal('');
          expect(result.error, what).to.not.match(/\[object Object\]/);
          continue;
        }
        tally.accepted++;
        const patched: Config = {
          ...emptyConfig(),
          clusters: result.patch.clusters ?? config.clusters,
          filters: result.patch.filters ?? config.filters,
          datacenters: result.patch.datacenters ?? config.datacenters,
        };
        tally[timed(what, () => checkCompiles(patched, what))]++;
      }
      console.log(`  [fuzz] xDS resources: ${JSON.stringify(tally)}; slowest call ${slowest.ms.toFixed(0)} ms`);
      expect(tally.nacked, 'most mutations must be caught').to.be.greaterThan(RESOURCES / 10);
      expect(tally.accepted, 'some mutations stay valid').to.be.greaterThan(RESOURCES / 50);
    });
  });
});
