// SPDX-License-Identifier: Apache-2.0
// Debug: logs every packet at info level; never changes or drops anything.
import { z } from 'zod';
import { formatSocketAddr } from '../../../config/address';
import type { Filter, FilterFactory, FilterServices } from '../filter';
import { neverLowered } from '../kernel';
import { jsonSchemaOf, parseWith, stringField } from '../config-schema';

export const DEBUG_NAME = 'quilkin.filters.debug.v1alpha1.Debug';

// ---- config -------------------------------------------------------------------------------
/** Optional config; `id` tags the log lines. `id: null` means no id (Quilkin's Option<String>); a number is its text. */
const configSchema = z.object({ id: stringField.nullable().optional() }).transform((c): { id?: string } => (typeof c.id === 'string' ? { id: c.id } : {}));

export type DebugConfig = z.output<typeof configSchema>;

// ---- behaviour ----------------------------------------------------------------------------
export function createDebug(config: DebugConfig, services: FilterServices): Filter {
  const id = config.id;
  const log = services.log;
  return {
    read(ctx) {
      // Lossy UTF-8, as Quilkin renders contents (invalid sequences become U+FFFD).
      log.info({ id, source: formatSocketAddr(ctx.source), contents: ctx.contents.toString('utf8') }, 'Read filter event');
      return undefined;
    },
    write(ctx) {
      log.info({ id, source: formatSocketAddr(ctx.source), dest: formatSocketAddr(ctx.dest), contents: ctx.contents.toString('utf8') }, 'Write filter event');
      return undefined;
    },
  };
}

export const debugFactory: FilterFactory<DebugConfig> = {
  name: DEBUG_NAME,
  schema: jsonSchemaOf(configSchema),
  validate: (raw) => parseWith(configSchema, raw ?? {}),
  create: createDebug,
  native: {
    encode({ w }, config) {
      w.u8(config.id !== undefined ? 1 : 0).str16(config.id ?? '');
    },
    // The engine queues each packet's event for the JS thread, which logs it with this id.
    debugEvents: (config) => ({ id: config.id }),
  },
  kernel: neverLowered('logs every packet from user space'),
};
