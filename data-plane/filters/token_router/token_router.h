// SPDX-License-Identifier: Apache-2.0
// Native TokenRouter (quilkin.filters.token_router.v1alpha1.TokenRouter): routes to every endpoint
// holding the captured token; see token_router.ts. HashedTokenRouter shares this implementation.
#pragma once

#include "native/engine/filter.h"

namespace qk::filters {

std::unique_ptr<engine::Filter> token_router__parse(engine::ParseEnv& env, uint32_t slot);

}  // namespace qk::filters
