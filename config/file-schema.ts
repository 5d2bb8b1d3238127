// SPDX-License-Identifier: Apache-2.0
// The v1alpha1 config document as one zod schema: the validator runs it and
// `generate-config-schema` exports its input side, so the two cannot disagree.
import { z } from 'zod';
import { AddressError, compareEndpointAddress, type EndpointAddress, parseEndpointAddress } from './address';
import type { ConfigIssue, PathSegment } from './issues';
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
import { base64Bytes, scalarString } from './scalars';

// ---- helpers ------------------------------------------------------------------------------

/** Unknown keys are reported one per key; `expected` (if any) is appended to each message. */
function strictMap<S extends z.core.$ZodLooseShape>(shape: S, notAMap: string, expected?: string) {
  return z.strictObject(shape, { error: (iss) => (iss.code === 'unrecognized_keys' ? (expected ?? UNKNOWN_KEY) : notAMap) });
}
const UNKNOWN_KEY = 'unknown field';

/** `missing` when the field is absent, else `wrongType`. */
function fieldError(missing: string, wrongType: string) {
  return (iss: { input?: unknown }) => (iss.input === undefined ? missing : wrongType);
}

function addressOf(text: string, ctx: z.RefinementCtx): EndpointAddress {
  try {
    return parseEndpointAddress(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: err instanceof AddressError ? err.message : String(err), input: text });
    return z.NEVER;
  }
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

// ---- clusters -----------------------------------------------------------------------------

const tokenList = z
  .array(
    base64Bytes((text) => `\`${text}\` is not valid standard base64`, 'token must be a base64 encoded string'),
    { error: fieldError('missing field `tokens`', 'tokens must be an array of base64 encoded tokens') },
  )
  // Runs even when some tokens are malformed, so a duplicate and a bad token show up together.
  .superRefine(
    (tokens, ctx) => {
      if (!Array.isArray(tokens)) return;
      const seen = new Set<string>();
      tokens.forEach((token, i) => {
        if (!Buffer.isBuffer(token)) return;
        const key = token.toString('latin1');
        if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [i], message: 'Found duplicate tokens in endpoint metadata.', input: token });
        seen.add(key);
      });
    },
    { when: () => true },
  );

const endpointMetadata = z
  .object({ 'quilkin.dev': z.object({ tokens: tokenList }, { error: 'missing field `tokens`' }).optional() }, { error: 'metadata must be a mapping' })
  // Every other key is the user's, kept verbatim.
  .catchall(z.unknown());

const endpoint = strictMap(
  {
    address: z.string({ error: fieldError('missing field `address` (a `host:port` string)', 'address must be a `host:port` string') }).transform(addressOf),
    metadata: endpointMetadata.nullable().optional(),
  },
  'endpoint must be a mapping with an `address`',
).transform((e): EndpointConfig => {
  const { 'quilkin.dev': quilkin, ...user } = e.metadata ?? {};
  return { address: e.address, tokens: quilkin?.tokens ?? [], userMetadata: user as Record<string, JsonValue> };
});

const locality = z
  .string({ error: 'locality must be a string' })
  .regex(/^[^:]+(:[^:]*){0,2}$/, { error: (iss) => String(parseLocality(String(iss.input))) })
  .transform((text, ctx) => {
    const parsed = parseLocality(text);
    if (typeof parsed !== 'string') return parsed;
    ctx.addIssue({ code: 'custom', message: parsed, input: text });
    return z.NEVER;
  })
  .meta({ description: 'region[:zone[:subzone]]' });

const cluster = z
  .object(
    {
      locality: locality.nullable().optional(),
      endpoints: z.array(endpoint, { error: fieldError('missing field `endpoints` (a list)', 'endpoints must be a list') }),
    },
    { error: 'cluster must be a mapping with `endpoints` (clusters is a list of {locality?, endpoints})' },
  )
  .transform((c): ClusterConfig => {
    // Sorted by address, duplicates collapsed (first kept), as Quilkin's endpoint set.
    const byKey = new Map<string, EndpointConfig>();
    for (const e of c.endpoints) if (!byKey.has(e.address.key)) byKey.set(e.address.key, e);
    const endpoints = [...byKey.values()].sort((a, b) => compareEndpointAddress(a.address, b.address));
    return { ...(c.locality ? { locality: c.locality } : {}), endpoints };
  });

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

export const clusterList = z.array(cluster, { error: 'clusters must be a list of {locality?, endpoints}' }).transform((list, ctx): ClusterConfig[] => {
  const sorted = [...list].sort((a, b) => (localityKey(a.locality) < localityKey(b.locality) ? -1 : localityKey(a.locality) > localityKey(b.locality) ? 1 : 0));
  // Same locality twice: identical entries are an error (as in Quilkin); otherwise the later one wins.
  const byLocality = new Map<string, ClusterConfig>();
  for (const c of sorted) {
    const key = localityKey(c.locality);
    const previous = byLocality.get(key);
    if (previous && sameCluster(previous, c)) ctx.addIssue({ code: 'custom', message: 'duplicate localities found in cluster map', input: list });
    byLocality.set(key, c);
  }
  return [...byLocality.values()];
});

// ---- filters ------------------------------------------------------------------------------

/** One filter chain entry as written; its `config` is checked by the named filter's own schema. */
export const filterEntry = strictMap(
  {
    name: scalarString('name must be a string', 'missing field `name`'),
    label: scalarString('label must be a string').nullable().optional(),
    config: z.unknown().optional(),
  },
  'filter must be a mapping with a `name`',
  'expected one of `name`, `label`, `config`',
);

export function filterList(validator: FilterConfigValidator) {
  return z.array(
    filterEntry.transform((entry, ctx): FilterConfig => {
      const noConfig = entry.config === undefined || entry.config === null;
      try {
        const config = validator.validate(entry.name, noConfig ? undefined : entry.config);
        return { name: entry.name, ...(typeof entry.label === 'string' ? { label: entry.label } : {}), ...(config !== undefined ? { config } : {}) };
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: [noConfig ? 'name' : 'config'], message: (err as Error).message, input: entry });
        return z.NEVER;
      }
    }),
    { error: 'filters must be a list of {name, label?, config?}' },
  );
}

// ---- the document -------------------------------------------------------------------------

/**
 * The top-level fields. Kept as a plain shape so a new field is one more entry here and one more
 * line in `toConfig` (the JSON Schema follows by itself).
 */
function topLevelShape(validator: FilterConfigValidator) {
  return {
    version: z
      .literal('v1alpha1', {
        // A map or list would print as `[object Object]`: name its kind instead.
        error: (iss) =>
          iss.input !== null && typeof iss.input === 'object'
            ? `version must be \`v1alpha1\`, got a ${Array.isArray(iss.input) ? 'list' : 'map'}`
            : `unknown variant \`${String(iss.input)}\`, expected \`v1alpha1\``,
      })
      .nullable()
      .optional(),
    id: scalarString('id must be a string').nullable().optional().meta({ description: 'proxy identifier; default: the hostname' }),
    icao_code: z
      .string({ error: 'icao_code must be exactly four characters A-Z' })
      .regex(/^[A-Z]{4}$/, { error: 'icao_code must be exactly four characters A-Z' })
      .default(DEFAULT_ICAO_CODE),
    qcmp_port: z
      .number({ error: 'qcmp_port must be an integer from 0 to 65535' })
      .int({ error: 'qcmp_port must be an integer from 0 to 65535' })
      .min(0, { error: 'qcmp_port must be an integer from 0 to 65535' })
      .max(65535, { error: 'qcmp_port must be an integer from 0 to 65535' })
      .optional(),
    datacenters: z.unknown().optional().meta({ description: 'accepted and ignored in files (only meaningful over xDS)' }),
    clusters: clusterList.nullable().optional(),
    filters: filterList(validator).nullable().optional(),
  };
}

type Document = z.output<z.ZodObject<ReturnType<typeof topLevelShape>>>;

function toConfig(doc: Document): Config {
  return {
    version: 'v1alpha1',
    // An empty id means "not set" (the proxy then uses its hostname).
    ...(doc.id ? { id: doc.id } : {}),
    clusters: doc.clusters ?? [],
    filters: doc.filters ?? [],
    icaoCode: doc.icao_code,
    ...(doc.qcmp_port !== undefined ? { qcmpPort: doc.qcmp_port } : {}),
  };
}

export function configDocument(validator: FilterConfigValidator) {
  return strictMap(topLevelShape(validator), 'the config must be a mapping').transform(toConfig);
}

// ---- issues -------------------------------------------------------------------------------

/** zod issues -> ConfigIssues under `prefix`; an unknown-keys issue becomes one issue per key. */
export function toConfigIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PathSegment[] = []): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...(issue.path as PathSegment[])];
    if (issue.code === 'unrecognized_keys') {
      const suffix = issue.message === UNKNOWN_KEY ? '' : `, ${issue.message}`;
      for (const key of issue.keys) out.push({ path: [...path, key], message: `unknown field \`${key}\`${suffix}` });
    } else out.push({ path, message: issue.message });
  }
  return out;
}

/** Runs `schema` on `raw`; the value, or every problem found, each with its path. */
export function runSchema<T>(
  schema: z.ZodType<T>,
  raw: unknown,
  prefix: readonly PathSegment[] = [],
): { ok: true; value: T } | { ok: false; issues: ConfigIssue[] } {
  const result = schema.safeParse(raw);
  return result.success ? { ok: true, value: result.data } : { ok: false, issues: toConfigIssues(result.error.issues, prefix) };
}

// ---- JSON Schema --------------------------------------------------------------------------

export interface FilterSchemaSource extends FilterConfigValidator {
  names(): string[];
  get(name: string): { schema: JsonValue };
}

/** JSON Schema (draft 2020-12) of the config file: the document schema's input side. */
export function configDocumentJsonSchema(filters: FilterSchemaSource): { [key: string]: JsonValue } {
  const generated = z.toJSONSchema(configDocument(filters), {
    io: 'input',
    unrepresentable: 'any',
    override: (ctx) => {
      if (ctx.zodSchema !== filterEntry) return;
      // Each filter's config is checked by that filter's own (zod-generated) schema.
      const entry = ctx.jsonSchema as { properties: { name: object }; allOf?: unknown[] };
      entry.properties.name = { type: 'string', enum: filters.names() };
      entry.allOf = filters.names().map((name) => ({
        if: { properties: { name: { const: name } } },
        then: { properties: { config: filters.get(name).schema } },
      }));
    },
  }) as { [key: string]: JsonValue };
  return {
    ...generated,
    $id: 'https://quilkin.dev/schemas/v1alpha1/quilkin.yaml.schema.json',
    title: 'Quilkin configuration file (v1alpha1)',
  };
}
