// SPDX-License-Identifier: Apache-2.0
// Description filter kind -> native filter constructor (the native twin of data-plane/filters/registry.ts).
#include "data-plane/filters/capture/capture.h"
#include "data-plane/filters/compress/compress.h"
#include "data-plane/filters/concatenate/concatenate.h"
#include "data-plane/filters/debug/debug.h"
#include "data-plane/filters/drop/drop.h"
#include "data-plane/filters/firewall/firewall.h"
#include "data-plane/filters/hashed_token_router/hashed_token_router.h"
#include "data-plane/filters/load_balancer/load_balancer.h"
#include "data-plane/filters/local_rate_limit/local_rate_limit.h"
#include "data-plane/filters/match/match.h"
#include "data-plane/filters/pass/pass.h"
#include "data-plane/filters/timestamp/timestamp.h"
#include "data-plane/filters/token_router/token_router.h"
#include "native/engine/filter.h"

namespace qk::engine {

using ParseFn = std::unique_ptr<Filter> (*)(ParseEnv&, uint32_t);

// Indexed by the description's filter kind (description.md).
static const ParseFn kParsers[] = {
    nullptr,
    filters::capture__parse,
    filters::concatenate__parse,
    filters::debug__parse,
    filters::drop__parse,
    filters::firewall__parse,
    filters::load_balancer__parse,
    filters::local_rate_limit__parse,
    filters::match__parse,
    filters::pass__parse,
    filters::timestamp__parse,
    filters::token_router__parse,
    filters::hashed_token_router__parse,
    filters::compress__parse,
};

std::unique_ptr<Filter> filter__parse(ParseEnv& env) {
  uint8_t kind = env.r.u8("filter kind");
  uint32_t slot = env.r.u32("filter slot");
  if (!env.r.ok()) return nullptr;
  if (kind == 0 || kind >= sizeof(kParsers) / sizeof(kParsers[0])) {
    env.r.fail("unknown filter kind " + std::to_string(kind));
    return nullptr;
  }
  if (slot >= env.slot_count) {
    env.r.fail("filter slot " + std::to_string(slot) + " out of range");
    return nullptr;
  }
  return kParsers[kind](env, slot);
}

}  // namespace qk::engine
