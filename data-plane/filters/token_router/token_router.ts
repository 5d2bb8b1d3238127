// SPDX-License-Identifier: Apache-2.0
// TokenRouter: sends a packet to the endpoints whose tokens equal the bytes captured into metadata.
import { tokenRouterFactory } from '../token-routing';

export const TOKEN_ROUTER_NAME = 'quilkin.filters.token_router.v1alpha1.TokenRouter';

/** Config `{ metadataKey?: string }` (default `quilkin.dev/capture`); see ../token-routing.ts and README.md. */
export const tokenRouter = tokenRouterFactory(TOKEN_ROUTER_NAME);
