// SPDX-License-Identifier: Apache-2.0
// Native HashedTokenRouter (quilkin.filters.token_router.v1alpha1.HashedTokenRouter): behaves
// exactly like TokenRouter today (upstream delegates to it), so it builds the same filter.
#pragma once

#include "data-plane/filters/token_router/token_router.h"

namespace qk::filters {

inline std::unique_ptr<engine::Filter> hashed_token_router__parse(engine::ParseEnv& env, uint32_t slot) {
  return token_router__parse(env, slot);
}

}  // namespace qk::filters
