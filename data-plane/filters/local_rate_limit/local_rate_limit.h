// SPDX-License-Identifier: Apache-2.0
// Native LocalRateLimit (quilkin.filters.local_rate_limit.v1alpha1.LocalRateLimit): per source
// ip:port windows, per worker thread (see native/engine/README.md); see local_rate_limit.ts.
#pragma once

#include "native/engine/filter.h"

namespace qk::filters {

std::unique_ptr<engine::Filter> local_rate_limit__parse(engine::ParseEnv& env, uint32_t slot);

}  // namespace qk::filters
