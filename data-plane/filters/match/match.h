// SPDX-License-Identifier: Apache-2.0
// Native Match (quilkin.filters.match.v1alpha1.Match): picks a nested filter by a metadata value;
// see match.ts.
#pragma once

#include "native/engine/filter.h"

namespace qk::filters {

std::unique_ptr<engine::Filter> match__parse(engine::ParseEnv& env, uint32_t slot);

// Reads one description `value` (also used by the test entry for initial metadata).
bool match__parse_value(engine::DescReader& r, engine::OwnedValue* out, int depth);

}  // namespace qk::filters
