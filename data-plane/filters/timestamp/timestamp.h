// SPDX-License-Identifier: Apache-2.0
// Native Timestamp (quilkin.filters.timestamp.v1alpha1.Timestamp): observes now - metadata timestamp
// into a per-worker histogram; see timestamp.ts.
#pragma once

#include "native/engine/filter.h"

namespace qk::filters {

std::unique_ptr<engine::Filter> timestamp__parse(engine::ParseEnv& env, uint32_t slot);

}  // namespace qk::filters
