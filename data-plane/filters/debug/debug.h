// SPDX-License-Identifier: Apache-2.0
// Native Debug (quilkin.filters.debug.v1alpha1.Debug): copies an event into the worker's lock-free
// ring for JS to log; never blocks, never changes the packet. See debug.ts.
#pragma once

#include "native/engine/filter.h"

namespace qk::filters {

std::unique_ptr<engine::Filter> debug__parse(engine::ParseEnv& env, uint32_t slot);

}  // namespace qk::filters
