// SPDX-License-Identifier: Apache-2.0
// Concatenate: adds fixed bytes to the head or tail of packets, per direction.
import { z } from 'zod';
import { CONCAT_SIDE, FAST, STEP } from '../../../bpf/fast-abi';
import type { Filter, FilterFactory } from '../filter';
import { NotLowerable } from '../kernel';
import { base64String, decodeBase64, jsonSchemaOf, parseWith, requireConfig } from '../config-schema';

export const CONCATENATE_NAME = 'quilkin.filters.concatenate.v1alpha1.Concatenate';

// ---- config -------------------------------------------------------------------------------
const strategy = z.enum(['APPEND', 'PREPEND', 'DO_NOTHING'], { error: 'must be one of `APPEND`, `PREPEND`, `DO_NOTHING`' });

/** snake_case keys as in Quilkin; unknown keys are ignored (dropped from the normalised form). */
const configSchema = z.object({
  on_read: strategy.default('DO_NOTHING'),
  on_write: strategy.default('DO_NOTHING'),
  bytes: base64String,
});

export type ConcatenateConfig = z.output<typeof configSchema>;
export type Strategy = ConcatenateConfig['on_read'];

// ---- behaviour ----------------------------------------------------------------------------
/** Returns a function that applies the strategy; DO_NOTHING yields undefined so the direction is skipped. */
function applier(strategy: Strategy, bytes: Buffer): ((contents: Buffer) => Buffer) | undefined {
  if (strategy === 'DO_NOTHING' || bytes.length === 0) return undefined;
  // One allocation per packet is unavoidable: the packet grows and Buffers are fixed-size.
  if (strategy === 'APPEND') return (contents) => Buffer.concat([contents, bytes], contents.length + bytes.length);
  return (contents) => Buffer.concat([bytes, contents], contents.length + bytes.length);
}

export function createConcatenate(config: ConcatenateConfig): Filter {
  const bytes = decodeBase64(config.bytes);
  const onRead = applier(config.on_read, bytes);
  const onWrite = applier(config.on_write, bytes);
  const filter: Filter = {};
  if (onRead) {
    filter.read = (ctx) => {
      ctx.contents = onRead(ctx.contents);
      return undefined;
    };
  }
  if (onWrite) {
    filter.write = (ctx) => {
      ctx.contents = onWrite(ctx.contents);
      return undefined;
    };
  }
  return filter;
}

// ---- native encoding (native/engine/description.md) ---------------------------------------
const STRATEGY_BYTE: Record<Strategy, number> = { DO_NOTHING: 0, APPEND: 1, PREPEND: 2 };

export const concatenateFactory: FilterFactory<ConcatenateConfig> = {
  name: CONCATENATE_NAME,
  schema: jsonSchemaOf(configSchema),
  validate: (raw) => parseWith(configSchema, requireConfig(CONCATENATE_NAME, raw)),
  create: (config) => createConcatenate(config),
  native: {
    encode({ w }, config) {
      w.u8(STRATEGY_BYTE[config.on_read]).u8(STRATEGY_BYTE[config.on_write]).bytes32(decodeBase64(config.bytes));
    },
  },
  kernel: {
    lower(ctx, config) {
      const strategy = ctx.direction === 'read' ? config.on_read : config.on_write;
      const bytes = decodeBase64(config.bytes);
      if (strategy === 'DO_NOTHING' || bytes.length === 0) return;
      if (bytes.length > FAST.QK_FAST_VALUE_MAX) {
        throw new NotLowerable(`${bytes.length} bytes, more than the ${FAST.QK_FAST_VALUE_MAX} a step carries`, 'bytes');
      }
      ctx.emit({ kind: STEP.CONCATENATE, op: CONCAT_SIDE[strategy], value: bytes });
      ctx.describe(`${strategy.toLowerCase()} ${bytes.length} byte${bytes.length === 1 ? '' : 's'}`);
    },
  },
};
