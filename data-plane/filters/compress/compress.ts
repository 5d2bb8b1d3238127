// SPDX-License-Identifier: Apache-2.0
// Compress: compresses or decompresses the whole packet per direction, with Snappy or LZ4.
import { z } from 'zod';
import { FAST } from '../../../bpf/fast-abi';
import type { Filter, FilterFactory, FilterResult, FilterServices } from '../filter';
import { NotLowerable } from '../kernel';
import { jsonSchemaOf, parseWith, requireConfig } from '../config-schema';
import { type Codec, lz4Codec, snappyCodec } from './codecs';

export const COMPRESS_NAME = 'quilkin.filters.compress.v1alpha1.Compress';
/** Quilkin's one drop discriminant for every compression failure. */
export const COMPRESSION_DROP = 'filter::compression::io';
/** Quilkin's generic counters for this filter (quilkin_filter_int_counter label and help). */
export const COMPRESS_COUNTERS = {
  compressed: { label: 'compressed_bytes_total', help: 'Total number of compressed bytes either received or sent.' },
  decompressed: { label: 'decompressed_bytes_total', help: 'Total number of decompressed bytes either received or sent.' },
} as const;

// ---- config -------------------------------------------------------------------------------
const MODES = ['SNAPPY', 'LZ4'] as const;
const ACTIONS = ['DO_NOTHING', 'COMPRESS', 'DECOMPRESS'] as const;

/** serde's wording for a unit-variant enum, so a typo reads as it does in Quilkin. */
function variantError(field: string, expected: string) {
  return (issue: { input?: unknown }) =>
    issue.input === undefined
      ? `missing field \`${field}\` (${expected})`
      : `unknown variant ${typeof issue.input === 'string' ? `\`${issue.input}\`` : JSON.stringify(issue.input)}, expected ${expected}`;
}

/** snake_case keys as in Quilkin; `mode` defaults to SNAPPY, both actions are required; unknown keys are ignored. */
const configSchema = z.object({
  mode: z.enum(MODES, { error: variantError('mode', '`SNAPPY` or `LZ4`') }).default('SNAPPY'),
  on_read: z.enum(ACTIONS, { error: variantError('on_read', 'one of `DO_NOTHING`, `COMPRESS`, `DECOMPRESS`') }),
  on_write: z.enum(ACTIONS, { error: variantError('on_write', 'one of `DO_NOTHING`, `COMPRESS`, `DECOMPRESS`') }),
});

export type CompressConfig = z.output<typeof configSchema>;
export type CompressMode = CompressConfig['mode'];
export type CompressAction = CompressConfig['on_read'];

// ---- behaviour ----------------------------------------------------------------------------
const CODECS: Record<CompressMode, Codec> = { SNAPPY: snappyCodec, LZ4: lz4Codec };

type Direction = 'read' | 'write';

/** One direction's step: the codec call plus Quilkin's byte counters; undefined for DO_NOTHING. */
function step(action: CompressAction, codec: Codec, direction: Direction, services: FilterServices) {
  if (action === 'DO_NOTHING') return undefined;
  const { compressed, decompressed } = COMPRESS_COUNTERS;
  const compressedBytes = services.metrics.counter(COMPRESS_NAME, compressed.label, compressed.help, direction);
  const decompressedBytes = services.metrics.counter(COMPRESS_NAME, decompressed.label, decompressed.help, direction);
  const compressing = action === 'COMPRESS';
  return (ctx: { contents: Buffer }): FilterResult => {
    const before = ctx.contents;
    const result = compressing ? codec.encode(before) : codec.decode(before);
    if (!result.ok) {
      services.log.debug({ filter: COMPRESS_NAME, direction, action, bytes: before.length, error: result.error }, 'compression failed; packet dropped');
      return COMPRESSION_DROP;
    }
    ctx.contents = result.contents;
    (compressing ? decompressedBytes : compressedBytes).inc(before.length);
    (compressing ? compressedBytes : decompressedBytes).inc(result.contents.length);
    return undefined;
  };
}

export function createCompress(config: CompressConfig, services: FilterServices): Filter {
  const codec = CODECS[config.mode];
  const onRead = step(config.on_read, codec, 'read', services);
  const onWrite = step(config.on_write, codec, 'write', services);
  const filter: Filter = {};
  if (onRead) filter.read = onRead;
  if (onWrite) filter.write = onWrite;
  return filter;
}

// ---- native encoding (native/engine/description.md) ---------------------------------------
const MODE_BYTE: Record<CompressMode, number> = { SNAPPY: 0, LZ4: 1 };
const ACTION_BYTE: Record<CompressAction, number> = { DO_NOTHING: 0, COMPRESS: 1, DECOMPRESS: 2 };
/** compress.cc's counter cells, [direction * 2 + (compressed 0 | decompressed 1)]. */
const ENGINE_COUNTERS = (['read', 'write'] as const).flatMap((event) => [
  { ...COMPRESS_COUNTERS.compressed, event },
  { ...COMPRESS_COUNTERS.decompressed, event },
]);

export const compressFactory: FilterFactory<CompressConfig> = {
  name: COMPRESS_NAME,
  schema: jsonSchemaOf(configSchema),
  validate: (raw) => parseWith(configSchema, requireConfig(COMPRESS_NAME, raw)),
  create: (config, services) => createCompress(config, services),
  native: {
    encode({ w }, config) {
      w.u8(MODE_BYTE[config.mode]).u8(ACTION_BYTE[config.on_read]).u8(ACTION_BYTE[config.on_write]);
    },
    cells: () => ({ counters: ENGINE_COUNTERS }),
  },
  // A direction that does nothing lowers to nothing; the others need the whole payload.
  kernel: {
    lower(ctx, config) {
      const at = ctx.direction === 'read' ? 'on_read' : 'on_write';
      const action = config[at];
      if (action === 'DO_NOTHING') return;
      const verb = action === 'COMPRESS' ? 'compresses' : 'decompresses';
      throw new NotLowerable(`${verb} the whole payload; the kernel program sees ${FAST.QK_FAST_WINDOW} bytes at each end`, at);
    },
  },
};
