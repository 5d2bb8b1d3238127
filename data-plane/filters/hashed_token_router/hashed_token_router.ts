// SPDX-License-Identifier: Apache-2.0
// HashedTokenRouter: Quilkin's legacy name for TokenRouter; same config, same behaviour.
import { tokenRouterFactory } from '../token-routing';

export const HASHED_TOKEN_ROUTER_NAME = 'quilkin.filters.token_router.v1alpha1.HashedTokenRouter';

/** Kept because configs in the wild still use the name; lookups are hashed in both routers now. */
export const hashedTokenRouter = tokenRouterFactory(HASHED_TOKEN_ROUTER_NAME);
