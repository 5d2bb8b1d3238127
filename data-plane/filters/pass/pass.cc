// SPDX-License-Identifier: Apache-2.0
#include "data-plane/filters/pass/pass.h"

namespace qk::filters {
using namespace qk::engine;

// Pass changes nothing in either direction: the base Filter's read and write already do that.
std::unique_ptr<Filter> pass__parse(ParseEnv&, uint32_t slot) { return std::make_unique<Filter>(slot); }

}  // namespace qk::filters
