// SPDX-License-Identifier: Apache-2.0
// Native Firewall (quilkin.filters.firewall.v1alpha1.Firewall): first matching rule decides,
// default deny; see firewall.ts.
#pragma once

#include "native/engine/filter.h"

namespace qk::filters {

std::unique_ptr<engine::Filter> firewall__parse(engine::ParseEnv& env, uint32_t slot);

}  // namespace qk::filters
