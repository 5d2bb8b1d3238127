// SPDX-License-Identifier: Apache-2.0
// Match: picks a nested filter by comparing a metadata value with each branch's value.
import { z } from 'zod';
import type { JsonValue } from '../../../config/model';
import { type Filter, FilterConfigError, type FilterFactory, type FilterResult, type FilterServices, missingConfig } from '../filter';
import { metadataEquals, metadataFromJson, type Metadata, type MetadataValue } from '../metadata';
import type { FilterRegistry } from '../registry';
import { scalarString } from '../../../config/scalars';
import { jsonSchemaOf, parseWith } from '../config-schema';
import { writeValue } from '../../compiler/values';
import type { EncodeContext } from '../native';
import { FAST, META_TAG, STEP } from '../../../bpf/fast-abi';
import { type KernelLowering, type LowerContext, NotLowerable } from '../kernel';

export const MATCH_NAME = 'quilkin.filters.match.v1alpha1.Match';
export const MATCH_NO_METADATA = 'filter::match::no metadata';
/** Quilkin's generic counters for this filter (quilkin_filter_int_counter label and help). */
export const MATCH_COUNTERS = {
  matched: { label: 'packets_matched_total', help: 'Total number of packets where the dynamic metadata matches a branch value.' },
  fallthrough: { label: 'packets_fallthrough_total', help: 'Total number of packets that are processed by the fallthrough configuration' },
} as const;
const DROP_NAME = 'quilkin.filters.drop.v1alpha1.Drop';

// ---- config -------------------------------------------------------------------------------
const branchValue = z.custom<JsonValue>((v) => metadataFromJson(v) !== undefined, {
  message: 'must be a bool, a non-negative integer, a string or a list of those',
});

/** A nested filter: `{name, label?, config?}`, inlined into branches. */
const nestedFilter = {
  name: scalarString('must be a string', 'missing field `name`'),
  label: scalarString().nullable().optional(),
  config: z.unknown().optional(),
};

// As in Quilkin v0.9: a direction and a branch ignore unknown keys (serde's default and `flatten`),
// the fallthrough is a whole filter entry and refuses them (`deny_unknown_fields`), so a typo such
// as `conifg:` there is an error instead of a silently dropped config.
const directional = z.object({
  metadataKey: scalarString('must be a string', 'missing field `metadataKey`'),
  branches: z.array(z.object({ value: branchValue, ...nestedFilter }), { error: 'missing field `branches` (a list)' }),
  fallthrough: z.strictObject(nestedFilter).optional(),
});

/** `on_read: null` is the same as leaving it out (Quilkin's Option). */
const configSchema = z.object({ on_read: directional.nullable().optional(), on_write: directional.nullable().optional() }).strict();

export type NestedFilterConfig = { name: string; label?: string; config?: JsonValue };
export type BranchConfig = NestedFilterConfig & { value: JsonValue };
export type DirectionalConfig = { metadataKey: string; branches: BranchConfig[]; fallthrough: NestedFilterConfig };
export type MatchConfig = { on_read?: DirectionalConfig; on_write?: DirectionalConfig };

/** Validates a nested filter through the registry; the normalised form keeps `config` only if given. */
function normaliseNested(registry: FilterRegistry, f: { name: string; label?: string | null; config?: unknown }, at: string): NestedFilterConfig {
  let config: JsonValue | undefined;
  try {
    config = registry.validate(f.name, f.config ?? undefined);
  } catch (err) {
    throw new FilterConfigError(`${at}: ${(err as Error).message}`);
  }
  return {
    name: f.name,
    ...(typeof f.label === 'string' ? { label: f.label } : {}),
    ...(f.config !== undefined && f.config !== null ? { config: config ?? null } : {}),
  };
}

function normaliseDirection(registry: FilterRegistry, d: z.output<typeof directional>, at: string): DirectionalConfig {
  const branches = d.branches.map((b, i) => ({ value: b.value, ...normaliseNested(registry, b, `${at}.branches[${i}]`) }));
  const fallthrough = d.fallthrough ? normaliseNested(registry, d.fallthrough, `${at}.fallthrough`) : { name: DROP_NAME };
  return { metadataKey: d.metadataKey, branches, fallthrough };
}

export function validateMatch(registry: FilterRegistry, raw: unknown): MatchConfig {
  if (raw === undefined || raw === null) throw missingConfig(MATCH_NAME);
  const parsed = parseWith(configSchema, raw);
  if (!parsed.on_read && !parsed.on_write) throw missingConfig(MATCH_NAME);
  return {
    ...(parsed.on_read ? { on_read: normaliseDirection(registry, parsed.on_read, 'on_read') } : {}),
    ...(parsed.on_write ? { on_write: normaliseDirection(registry, parsed.on_write, 'on_write') } : {}),
  };
}

// ---- behaviour ----------------------------------------------------------------------------
interface CompiledDirection {
  readonly key: string;
  readonly values: readonly MetadataValue[];
  readonly filters: readonly Filter[];
  readonly fallthrough: Filter;
}

function compile(d: DirectionalConfig, services: FilterServices): CompiledDirection {
  return {
    key: d.metadataKey,
    values: d.branches.map((b) => metadataFromJson(b.value) as MetadataValue),
    filters: d.branches.map((b) => services.createFilter(b.name, b.config)),
    fallthrough: services.createFilter(d.fallthrough.name, d.fallthrough.config),
  };
}

/** Returns the nested filter to run, or undefined when the key is missing (the caller drops). */
function select(d: CompiledDirection, metadata: Metadata, matched: { inc(): void }, fellThrough: { inc(): void }): Filter | undefined {
  const value = metadata.get(d.key);
  if (value === undefined) return undefined;
  for (let i = 0; i < d.values.length; i++) {
    // Branch value on the left: Quilkin's Number == single-byte Bytes quirk depends on the order.
    if (metadataEquals(d.values[i], value)) {
      matched.inc();
      return d.filters[i];
    }
  }
  fellThrough.inc();
  return d.fallthrough;
}

export function createMatch(config: MatchConfig, services: FilterServices): Filter {
  // Both counters carry event="read" even for write-path matches, as upstream registers them.
  const matched = services.metrics.counter(MATCH_NAME, MATCH_COUNTERS.matched.label, MATCH_COUNTERS.matched.help, 'read');
  const fellThrough = services.metrics.counter(MATCH_NAME, MATCH_COUNTERS.fallthrough.label, MATCH_COUNTERS.fallthrough.help, 'read');
  const filter: Filter = {};
  if (config.on_read) {
    const d = compile(config.on_read, services);
    filter.read = (ctx): FilterResult => {
      const chosen = select(d, ctx.metadata, matched, fellThrough);
      if (!chosen) return MATCH_NO_METADATA;
      return chosen.read ? chosen.read(ctx) : undefined;
    };
  }
  if (config.on_write) {
    const d = compile(config.on_write, services);
    filter.write = (ctx): FilterResult => {
      const chosen = select(d, ctx.metadata, matched, fellThrough);
      if (!chosen) return MATCH_NO_METADATA;
      return chosen.write ? chosen.write(ctx) : undefined;
    };
  }
  return filter;
}

// ---- native encoding (native/engine/description.md) ---------------------------------------
/** Each direction: present flag, key, branches (value, nested filter), fallthrough filter. */
function encodeMatch(ctx: EncodeContext, config: MatchConfig, path: string): void {
  for (const dir of ['on_read', 'on_write'] as const) {
    const d = config[dir];
    ctx.w.u8(d ? 1 : 0);
    if (!d) continue;
    ctx.w.u16(ctx.key(d.metadataKey));
    ctx.w.u16(d.branches.length);
    d.branches.forEach((b, i) => {
      const value = metadataFromJson(b.value);
      if (value === undefined) throw new Error(`${path}.${dir}.branches[${i}].value: not a metadata value`);
      writeValue(ctx.w, value);
      ctx.filter(b.name, b.config, `${path}.${dir}.branches[${i}]`);
    });
    ctx.filter(d.fallthrough.name, d.fallthrough.config, `${path}.${dir}.fallthrough`);
  }
}

/** match.cc's counter cells, by index: matched, then fallthrough (both event="read", as createMatch's). */
const ENGINE_COUNTERS = [
  { ...MATCH_COUNTERS.matched, event: 'read' as const },
  { ...MATCH_COUNTERS.fallthrough, event: 'read' as const },
];

// ---- in-kernel lowering (data-plane/filters/kernel.ts) -------------------------------------
/** A branch value as a BRANCH step carries it: tag and bytes. */
function kernelValue(json: JsonValue, at: string): { tag: number; bytes: Buffer; text: string } {
  const value = metadataFromJson(json);
  if (typeof value === 'boolean') return { tag: META_TAG.BOOL, bytes: Buffer.from([value ? 1 : 0]), text: String(value) };
  if (typeof value !== 'string' && !Buffer.isBuffer(value)) {
    const kind = typeof value === 'number' ? 'a Number' : 'a List';
    throw new NotLowerable(`${kind}; only Bytes, String and Bool values are lowered`, at);
  }
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  if (bytes.length > FAST.QK_FAST_VALUE_MAX) throw new NotLowerable(`${bytes.length} bytes, more than the ${FAST.QK_FAST_VALUE_MAX} a step carries`, at);
  return {
    tag: typeof value === 'string' ? META_TAG.STRING : META_TAG.BYTES,
    bytes,
    text: typeof value === 'string' ? JSON.stringify(value) : `0x${value.toString('hex')}`,
  };
}

/**
 * MATCH (next: the fallthrough), one BRANCH per branch (next: its body), then the bodies: each
 * branch's ends with a JUMP past the Match; the fallthrough's comes last and needs none.
 */
function lowerMatch(ctx: LowerContext, config: MatchConfig, path: string): void {
  const dir = ctx.direction === 'read' ? 'on_read' : 'on_write';
  const d = config[dir];
  if (!d) return;
  const values = d.branches.map((b, i) => kernelValue(b.value, `${dir}.branches[${i}].value`));
  const match = ctx.emit({ kind: STEP.MATCH, key: ctx.key(d.metadataKey), count: values.length, arg: ctx.cells(2) });
  const branches = values.map((v) => ctx.emit({ kind: STEP.BRANCH, op: v.tag, value: v.bytes }));
  const jumps: number[] = [];
  const parts: string[] = [];
  const body = (name: string, config: JsonValue | undefined, at: string, label: string): void => {
    parts.push(`${label} > ${ctx.filter(name, config, `${path}.${dir}.${at}`) || '(nothing)'}`);
  };
  ctx.alternatives([
    ...d.branches.map((b, i) => () => {
      ctx.patch(branches[i], ctx.pc);
      body(b.name, b.config, `branches[${i}]`, values[i].text);
      jumps.push(ctx.emit({ kind: STEP.JUMP }));
    }),
    () => {
      ctx.patch(match, ctx.pc);
      body(d.fallthrough.name, d.fallthrough.config, 'fallthrough', 'else');
    },
  ]);
  for (const jump of jumps) ctx.patch(jump, ctx.pc);
  ctx.describe(`${d.metadataKey}: ${parts.join(' | ')}`);
}

const matchKernel: KernelLowering<MatchConfig> = { lower: lowerMatch };

/** Match needs the registry to validate nested filters, so its factory is made per registry. */
export function matchFactory(registry: FilterRegistry): FilterFactory<MatchConfig> {
  return {
    name: MATCH_NAME,
    schema: jsonSchemaOf(configSchema),
    validate: (raw) => validateMatch(registry, raw),
    create: createMatch,
    native: { encode: encodeMatch, cells: () => ({ counters: ENGINE_COUNTERS }) },
    kernel: matchKernel,
  };
}
