// SPDX-License-Identifier: Apache-2.0
// Capture: copies bytes from the packet (prefix, suffix or regex) into dynamic metadata.
import { z } from 'zod';
import type { JsonValue } from '../../../config/model';
import { FAST, STEP } from '../../../bpf/fast-abi';
import { type Filter, FilterConfigError, type FilterFactory, type FilterServices, type ReadContext } from '../filter';
import { type KernelLowering, NotLowerable } from '../kernel';
import { CAPTURE_KEY, type MetadataValue } from '../metadata';
import { jsonSchemaOf, metadataKey, parseWith, requireConfig } from '../config-schema';
import { ByteRegex, RegexSyntaxError } from './byte-regex';
import { regexForEngine } from './engine-regex';

export const CAPTURE_NAME = 'quilkin.filters.capture.v1alpha1.Capture';
export const NO_VALUE_CAPTURED = 'filter::capture::no value captured';

// ---- config -------------------------------------------------------------------------------
const affix = z.object({
  size: z
    .number({ error: 'missing field `size` (an unsigned 32-bit integer)' })
    .int('must be an integer')
    .min(0, 'must not be negative')
    .max(0xffffffff, 'must fit in 32 bits'),
  remove: z.boolean({ error: 'must be a boolean' }).default(false),
});

const regex = z.object({
  pattern: z.string({ error: 'missing field `pattern` (a string)' }).superRefine((pattern, ctx) => {
    try {
      new ByteRegex(pattern);
    } catch (err) {
      if (!(err instanceof RegexSyntaxError) && !(err instanceof SyntaxError)) throw err;
      ctx.addIssue({ code: 'custom', message: err.message });
    }
  }),
});

const STRATEGIES = ['prefix', 'suffix', 'regex'] as const;
const KEYS = new Set<string>(['metadataKey', ...STRATEGIES]);

/** The key set is closed, so the object is strict; the strategy count is checked before zod runs. */
const configSchema = z
  .object({
    metadataKey: metadataKey.default(CAPTURE_KEY),
    prefix: affix.optional(),
    suffix: affix.optional(),
    regex: regex.optional(),
  })
  .strict();

type Affix = z.output<typeof affix>;
export type CaptureConfig =
  { metadataKey: string; prefix: Affix } | { metadataKey: string; suffix: Affix } | { metadataKey: string; regex: { pattern: string } };

export function validateCapture(raw: unknown): CaptureConfig {
  requireConfig(CAPTURE_NAME, raw);
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new FilterConfigError('config must be a mapping');
  const record = raw as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!KEYS.has(key)) throw new FilterConfigError(`unknown field \`${key}\`, expected one of \`metadataKey\`, \`prefix\`, \`suffix\`, \`regex\``);
  }
  const given = STRATEGIES.filter((s) => record[s] !== undefined);
  if (given.length > 1) throw new FilterConfigError('Multiple strategies found, only one capture strategy is permitted');
  if (given.length === 0) throw new FilterConfigError('Capture strategy of `regex`, `suffix`, or `prefix` is required');
  const parsed = parseWith(configSchema, record);
  if (parsed.prefix) return { metadataKey: parsed.metadataKey, prefix: parsed.prefix };
  if (parsed.suffix) return { metadataKey: parsed.metadataKey, suffix: parsed.suffix };
  return { metadataKey: parsed.metadataKey, regex: parsed.regex! };
}

// ---- behaviour ----------------------------------------------------------------------------
/** Returns the captured value, or undefined; an affix with `remove` trims `ctx.contents`. */
type Strategy = (ctx: ReadContext) => MetadataValue | undefined;

function affixStrategy(a: Affix, atHead: boolean): Strategy {
  const { size, remove } = a;
  return (ctx) => {
    const contents = ctx.contents;
    if (contents.length < size) return undefined;
    // Views, not copies: the captured bytes and the trimmed packet share the packet's memory.
    const split = atHead ? size : contents.length - size;
    const captured = atHead ? contents.subarray(0, split) : contents.subarray(split);
    if (remove && size > 0) ctx.contents = atHead ? contents.subarray(split) : contents.subarray(0, split);
    return captured;
  };
}

function regexStrategy(pattern: string, services?: FilterServices): Strategy {
  const re = services?.regex ? services.regex(pattern) : new ByteRegex(pattern);
  return (ctx) => {
    const matches = re.findAll(ctx.contents);
    if (matches.length === 0) return undefined;
    return matches.length === 1 ? matches[0] : matches;
  };
}

/** `services.regex`, when given, matches (production: RE2, linear time); else the reference ByteRegex. */
export function createCapture(config: CaptureConfig, services?: FilterServices): Filter {
  const key = config.metadataKey;
  const presentKey = `${key}/is_present`;
  const strategy =
    'prefix' in config
      ? affixStrategy(config.prefix, true)
      : 'suffix' in config
        ? affixStrategy(config.suffix, false)
        : regexStrategy(config.regex.pattern, services);
  return {
    read(ctx) {
      const value = strategy(ctx);
      ctx.metadata.set(presentKey, value !== undefined);
      if (value === undefined) return NO_VALUE_CAPTURED;
      ctx.metadata.set(key, value);
      return undefined;
    },
  };
}

/** The generated schema plus the "exactly one strategy" rule zod's object type cannot express. */
const captureSchema = { ...(jsonSchemaOf(configSchema) as { [key: string]: JsonValue }), oneOf: STRATEGIES.map((s) => ({ required: [s] })) };

// ---- native encoding (native/engine/description.md) ---------------------------------------
const STRATEGY_BYTE = { prefix: 0, suffix: 1, regex: 2 } as const;

// ---- in-kernel lowering (data-plane/filters/kernel.ts) -------------------------------------
const captureKernel: KernelLowering<CaptureConfig> = {
  lower(ctx, config) {
    if (ctx.direction !== 'read') return;
    if ('regex' in config) throw new NotLowerable('regex captures run in user space (RE2)', 'regex');
    const [strategy, affix, op] =
      'prefix' in config
        ? (['prefix', config.prefix, FAST.QK_STEP_CAPTURE_PREFIX] as const)
        : (['suffix', config.suffix, FAST.QK_STEP_CAPTURE_SUFFIX] as const);
    if (affix.size > FAST.QK_FAST_VALUE_MAX) {
      throw new NotLowerable(`${affix.size} bytes, more than the ${FAST.QK_FAST_VALUE_MAX} a metadata value holds in the kernel`, `${strategy}.size`);
    }
    // The kernel captures from the payload as received (its two windows), not from added bytes.
    if (ctx.concatenated) throw new NotLowerable('Capture after Concatenate: the kernel captures from the payload as received');
    ctx.emit({
      kind: STEP.CAPTURE,
      op,
      flags: affix.remove ? FAST.QK_STEP_F_REMOVE : 0,
      arg: affix.size,
      key: ctx.key(config.metadataKey),
      key2: ctx.key(`${config.metadataKey}/is_present`),
    });
    ctx.describe(`${strategy} ${affix.size}${affix.remove ? ', remove' : ''}`);
  },
};

export const captureFactory: FilterFactory<CaptureConfig> = {
  name: CAPTURE_NAME,
  schema: captureSchema,
  validate: validateCapture,
  create: (config, services) => createCapture(config, services),
  native: {
    encode({ w, key }, config) {
      w.u16(key(config.metadataKey)).u16(key(`${config.metadataKey}/is_present`));
      if ('regex' in config) {
        w.u8(STRATEGY_BYTE.regex)
          .u32(0)
          .u8(0)
          .bytes32(Buffer.from(regexForEngine(config.regex.pattern), 'latin1'));
        return;
      }
      const [strategy, affix] = 'prefix' in config ? [STRATEGY_BYTE.prefix, config.prefix] : [STRATEGY_BYTE.suffix, config.suffix];
      w.u8(strategy)
        .u32(affix.size)
        .u8(affix.remove ? 1 : 0)
        .bytes32(Buffer.alloc(0));
    },
  },
  kernel: captureKernel,
};
