// SPDX-License-Identifier: Apache-2.0
// Native Capture (quilkin.filters.capture.v1alpha1.Capture): prefix, suffix or regex capture into
// metadata; see capture.ts for the reference behaviour.
#pragma once

#include "native/engine/filter.h"

namespace qk::filters {

std::unique_ptr<engine::Filter> capture__parse(engine::ParseEnv& env, uint32_t slot);

}  // namespace qk::filters
