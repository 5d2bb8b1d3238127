// SPDX-License-Identifier: Apache-2.0
// Native LoadBalancer (quilkin.filters.load_balancer.v1alpha1.LoadBalancer): appends one endpoint
// chosen by round robin, random or source hash; see load_balancer.ts and native/engine/README.md
// for how its state behaves across threads.
#pragma once

#include "native/engine/filter.h"

namespace qk::filters {

std::unique_ptr<engine::Filter> load_balancer__parse(engine::ParseEnv& env, uint32_t slot);

}  // namespace qk::filters
