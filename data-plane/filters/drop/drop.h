// SPDX-License-Identifier: Apache-2.0
// Native Drop (quilkin.filters.drop.v1alpha1.Drop); see drop.ts.
#pragma once

#include "native/engine/filter.h"

namespace qk::filters {

std::unique_ptr<engine::Filter> drop__parse(engine::ParseEnv& env, uint32_t slot);

}  // namespace qk::filters
