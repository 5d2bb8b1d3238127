// SPDX-License-Identifier: Apache-2.0
// Native Concatenate (quilkin.filters.concatenate.v1alpha1.Concatenate): append or prepend fixed
// bytes per direction; see concatenate.ts.
#pragma once

#include "native/engine/filter.h"

namespace qk::filters {

std::unique_ptr<engine::Filter> concatenate__parse(engine::ParseEnv& env, uint32_t slot);

}  // namespace qk::filters
