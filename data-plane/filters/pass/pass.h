// SPDX-License-Identifier: Apache-2.0
// Native Pass (quilkin.filters.pass.v1alpha1.Pass); see pass.ts.
#pragma once

#include "native/engine/filter.h"

namespace qk::filters {

std::unique_ptr<engine::Filter> pass__parse(engine::ParseEnv& env, uint32_t slot);

}  // namespace qk::filters
