// SPDX-License-Identifier: Apache-2.0
// Generated from data-plane/filters/kinds.json by scripts/gen-filter-kinds.js: do not edit.
// Description filter kind -> the native filter that parses it (native/engine/description.md).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

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

// The kind byte of each filter, for code that writes descriptions by hand (tests).
enum class FilterKind : uint8_t {
  Capture = 1,
  Concatenate = 2,
  Debug = 3,
  Drop = 4,
  Firewall = 5,
  LoadBalancer = 6,
  LocalRateLimit = 7,
  Match = 8,
  Pass = 9,
  Timestamp = 10,
  TokenRouter = 11,
  HashedTokenRouter = 12,
  Compress = 13,
};

struct FilterKindEntry {
  FilterKind kind;
  ParseFn parse;
};

inline constexpr FilterKindEntry kFilterKindTable[] = {
    {FilterKind::Capture, filters::capture__parse},
    {FilterKind::Concatenate, filters::concatenate__parse},
    {FilterKind::Debug, filters::debug__parse},
    {FilterKind::Drop, filters::drop__parse},
    {FilterKind::Firewall, filters::firewall__parse},
    {FilterKind::LoadBalancer, filters::load_balancer__parse},
    {FilterKind::LocalRateLimit, filters::local_rate_limit__parse},
    {FilterKind::Match, filters::match__parse},
    {FilterKind::Pass, filters::pass__parse},
    {FilterKind::Timestamp, filters::timestamp__parse},
    {FilterKind::TokenRouter, filters::token_router__parse},
    {FilterKind::HashedTokenRouter, filters::hashed_token_router__parse},
    {FilterKind::Compress, filters::compress__parse},
};

// One past the largest kind: the size of the lookup table.
inline constexpr size_t kFilterKindLimit = 14;

// Parsers indexed by kind, null where no filter has that kind. Built by the compiler: a kind of 0,
// out of range or listed twice is not a constant expression, so the build fails instead. (Taken
// kinds are tracked apart: a function address compared with null is no constant under -fsanitize.)
consteval std::array<ParseFn, kFilterKindLimit> parsers_by_kind() {
  std::array<ParseFn, kFilterKindLimit> out{};
  std::array<bool, kFilterKindLimit> taken{};
  for (const FilterKindEntry& e : kFilterKindTable) {
    const size_t kind = static_cast<size_t>(e.kind);
    if (kind == 0 || kind >= out.size() || taken[kind]) throw "bad filter kind table";
    taken[kind] = true;
    out[kind] = e.parse;
  }
  return out;
}

inline constexpr std::array<ParseFn, kFilterKindLimit> kParsersByKind = parsers_by_kind();

}  // namespace qk::engine
