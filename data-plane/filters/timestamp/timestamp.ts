// SPDX-License-Identifier: Apache-2.0
// Timestamp: observes (now - timestamp in metadata) into quilkin_filter_histogram; never changes packets.
import { z } from 'zod';
import type { Filter, FilterFactory, FilterServices } from '../filter';
import { neverLowered } from '../kernel';
import type { Metadata } from '../metadata';
import { jsonSchemaOf, metadataKey, parseWith, requireConfig } from '../config-schema';

export const TIMESTAMP_NAME = 'quilkin.filters.timestamp.v1alpha1.Timestamp';
export const TIMESTAMP_HELP = 'duration in seconds of time since the timestamp in metadata compared to now';
const HISTOGRAM_LABEL = 'duration';

// ---- config -------------------------------------------------------------------------------
const configSchema = z.object({ metadataKey });

export type TimestampConfig = z.output<typeof configSchema>;

// ---- behaviour ----------------------------------------------------------------------------
/** Unix seconds chrono can represent (about +-262143 years); outside that Quilkin warns and skips. */
const MAX_UNIX_SECONDS = 8_210_266_876_799;
const MIN_UNIX_SECONDS = -8_334_601_228_800;

/** Reads the timestamp as Unix seconds: a Number, or exactly 8 bytes big-endian signed. */
export function timestampSeconds(metadata: Metadata, key: string): number | undefined {
  const value = metadata.get(key);
  if (typeof value === 'number') return value;
  if (Buffer.isBuffer(value) && value.length === 8) return Number(value.readBigInt64BE(0));
  return undefined;
}

export function createTimestamp(config: TimestampConfig, services: FilterServices): Filter {
  const key = config.metadataKey;
  const make = (event: 'read' | 'write') => services.metrics.histogram(TIMESTAMP_NAME, HISTOGRAM_LABEL, TIMESTAMP_HELP, event, key);
  const readHistogram = make('read');
  const writeHistogram = make('write');
  const observe = (metadata: Metadata, histogram: { observe(v: number): void }): undefined => {
    const seconds = timestampSeconds(metadata, key);
    if (seconds === undefined) return undefined;
    if (seconds > MAX_UNIX_SECONDS || seconds < MIN_UNIX_SECONDS) {
      services.log.warn({ key, seconds }, 'timestamp in metadata is out of the representable date range');
      return undefined;
    }
    histogram.observe(services.now() / 1000 - seconds);
    return undefined;
  };
  return {
    read: (ctx) => observe(ctx.metadata, readHistogram),
    write: (ctx) => observe(ctx.metadata, writeHistogram),
  };
}

export const timestampFactory: FilterFactory<TimestampConfig> = {
  name: TIMESTAMP_NAME,
  schema: jsonSchemaOf(configSchema),
  validate: (raw) => parseWith(configSchema, requireConfig(TIMESTAMP_NAME, raw)),
  create: createTimestamp,
  native: {
    encode({ w, key }, config) {
      w.u16(key(config.metadataKey));
    },
    // timestamp.cc's read and write histograms, one series per direction as createTimestamp's.
    cells: (config) => ({ histogram: { label: HISTOGRAM_LABEL, help: TIMESTAMP_HELP, sharedMetadata: config.metadataKey } }),
  },
  kernel: neverLowered('its histogram compares the wall clock with a metadata timestamp in user space'),
};
