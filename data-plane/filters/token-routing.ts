// SPDX-License-Identifier: Apache-2.0
// Token routing shared by TokenRouter and HashedTokenRouter (identical behaviour, two names, as in Quilkin).
import { z } from 'zod';
import { STEP } from '../../bpf/fast-abi';
import type { Filter, FilterFactory } from './filter';
import { CAPTURE_KEY } from './metadata';
import { jsonSchemaOf, metadataKey, parseWith } from './config-schema';

export const NO_TOKEN_FOUND = 'filter::token_router::no token found';
export const NO_ENDPOINT_MATCH = 'filter::token_router::no endpoint match';

// ---- config -------------------------------------------------------------------------------
/** Optional config; absent, `{}` and a missing key all mean the default key. */
const configSchema = z.object({ metadataKey: metadataKey.default(CAPTURE_KEY) });

export type TokenRouterConfig = z.output<typeof configSchema>;

// ---- behaviour ----------------------------------------------------------------------------
/**
 * Routes to exactly the endpoints holding the token stored at the configured key. The lookup is one hash
 * lookup in the ClusterMap's token index. A value that is not Bytes (a List from a multi-match
 * regex, a String) is "no token": Quilkin panics there, we drop.
 */
export function createTokenRouter(config: TokenRouterConfig): Filter {
  const key = config.metadataKey;
  return {
    read(ctx) {
      const token = ctx.metadata.get(key);
      if (!Buffer.isBuffer(token)) return NO_TOKEN_FOUND;
      const matches = ctx.endpoints.endpointsWithToken(token);
      // Quilkin v0.9 replaces the list: earlier filters' destinations neither survive nor prevent the drop.
      ctx.destinations.length = 0;
      for (let i = 0; i < matches.length; i++) ctx.destinations.push(matches[i]);
      return matches.length === 0 ? NO_ENDPOINT_MATCH : undefined;
    },
  };
}

/** A factory for either router name; both share config and behaviour. */
export function tokenRouterFactory(name: string): FilterFactory<TokenRouterConfig> {
  return {
    name,
    schema: jsonSchemaOf(configSchema),
    validate: (raw) => parseWith(configSchema, raw ?? {}),
    create: (config) => createTokenRouter(config),
    native: {
      encode({ w, key }, config) {
        w.u16(key(config.metadataKey));
      },
    },
    // Reads only; the compiler writes the token table the step looks the value up in.
    kernel: {
      lower(ctx, config) {
        if (ctx.direction === 'read') ctx.emit({ kind: STEP.TOKEN_ROUTER, key: ctx.key(config.metadataKey) });
      },
    },
  };
}
