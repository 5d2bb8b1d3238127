// SPDX-License-Identifier: Apache-2.0
#include "data-plane/filters/drop/drop.h"

namespace qk::filters {
using namespace qk::engine;

namespace {

class DropFilter : public Filter {
 public:
  explicit DropFilter(uint32_t slot) : Filter(slot) {}
  uint8_t read(FilterCtx&) const override { return QK_DROP_DROP_FILTER; }
  uint8_t write(FilterCtx&) const override { return QK_DROP_DROP_FILTER; }
};

}  // namespace

std::unique_ptr<Filter> drop__parse(ParseEnv&, uint32_t slot) { return std::make_unique<DropFilter>(slot); }

}  // namespace qk::filters
