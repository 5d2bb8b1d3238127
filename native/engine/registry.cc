// SPDX-License-Identifier: Apache-2.0
// Description filter kind -> native filter constructor (the native twin of data-plane/filters/registry.ts).
// The kind table itself is generated from data-plane/filters/kinds.json (filter_kinds.h).
#include "native/engine/filter.h"
#include "native/engine/filter_kinds.h"

namespace qk::engine {

std::unique_ptr<Filter> filter__parse(ParseEnv& env) {
  uint8_t kind = env.r.u8("filter kind");
  uint32_t slot = env.r.u32("filter slot");
  if (!env.r.ok()) return nullptr;
  if (kind >= kParsersByKind.size() || kParsersByKind[kind] == nullptr) {
    env.r.fail("unknown filter kind " + std::to_string(kind));
    return nullptr;
  }
  if (slot >= env.slot_count) {
    env.r.fail("filter slot " + std::to_string(slot) + " out of range");
    return nullptr;
  }
  return kParsersByKind[kind](env, slot);
}

}  // namespace qk::engine
