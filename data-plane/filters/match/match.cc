// SPDX-License-Identifier: Apache-2.0
#include "data-plane/filters/match/match.h"

#include <algorithm>
#include <vector>

namespace qk::filters {
using namespace qk::engine;

namespace {

constexpr int kMaxDepth = 16;
enum Counter { kMatched = 0, kFallthrough = 1 };

struct Branch {
  OwnedValue value;
  std::unique_ptr<Filter> filter;
};

struct Directional {
  bool present = false;
  uint16_t key = 0;
  std::vector<Branch> branches;
  std::unique_ptr<Filter> fallthrough;

  // Missing key drops; the first equal branch runs, else the fallthrough.
  const Filter* choose(FilterCtx& ctx, uint8_t* reason) const {
    const MetaValue* v = ctx.meta.get(key);
    if (!v) {
      *reason = QK_DROP_MATCH_NO_METADATA;
      return nullptr;
    }
    SlotCell& cell = ctx.ws.cell(slot_of_owner);
    for (const auto& b : branches)
      if (metavalue__equals(b.value.value, *v)) {
        cell__add(cell.counter[kMatched], 1);
        return b.filter.get();
      }
    cell__add(cell.counter[kFallthrough], 1);
    return fallthrough.get();
  }
  uint32_t slot_of_owner = 0;
};

class MatchFilter : public Filter {
 public:
  MatchFilter(uint32_t slot, Directional on_read, Directional on_write)
      : Filter(slot), on_read_(std::move(on_read)), on_write_(std::move(on_write)) {
    // Values point into their own storage; re-point them now that they have their final home.
    for (Directional* d : {&on_read_, &on_write_})
      for (auto& b : d->branches) b.value.seal();
  }

  bool has_cells() const override { return true; }
  uint8_t read(FilterCtx& ctx) const override {
    if (!on_read_.present) return QK_DROP_NONE;
    uint8_t reason = QK_DROP_NONE;
    const Filter* f = on_read_.choose(ctx, &reason);
    return f ? f->read(ctx) : reason;
  }
  uint8_t write(FilterCtx& ctx) const override {
    if (!on_write_.present) return QK_DROP_NONE;
    uint8_t reason = QK_DROP_NONE;
    const Filter* f = on_write_.choose(ctx, &reason);
    return f ? f->write(ctx) : reason;
  }
  uint32_t max_growth() const override { return std::max(growth(on_read_), growth(on_write_)); }
  // An identical Match has the same branches in the same order: each nested filter inherits from
  // its counterpart (rate limiters and load balancers inside branches keep their state).
  void inherit_state(const Filter& previous) override {
    const auto& prev = static_cast<const MatchFilter&>(previous);
    inherit_directional(on_read_, prev.on_read_);
    inherit_directional(on_write_, prev.on_write_);
  }
  void for_each_nested(void (*fn)(const Filter&, void*), void* arg) const override {
    for (const Directional* d : {&on_read_, &on_write_}) {
      for (const auto& b : d->branches) fn(*b.filter, arg);
      if (d->fallthrough) fn(*d->fallthrough, arg);
    }
  }

 private:
  static void inherit_directional(Directional& d, const Directional& prev) {
    if (d.branches.size() != prev.branches.size()) return;  // not identical after all: keep fresh state
    for (size_t i = 0; i < d.branches.size(); i++) d.branches[i].filter->inherit_state(*prev.branches[i].filter);
    if (d.fallthrough && prev.fallthrough) d.fallthrough->inherit_state(*prev.fallthrough);
  }
  static uint32_t growth(const Directional& d) {
    uint32_t n = d.fallthrough ? d.fallthrough->max_growth() : 0;
    for (const auto& b : d.branches) n = std::max(n, b.filter->max_growth());
    return n;
  }
  Directional on_read_, on_write_;
};

bool parse_directional(ParseEnv& env, uint32_t slot, Directional* d) {
  DescReader& r = env.r;
  d->present = r.u8("match direction present") != 0;
  d->slot_of_owner = slot;
  if (!d->present || !r.ok()) return r.ok();
  d->key = env.key_index("match key");
  if (r.ok() && d->key >= env.key_count) r.fail("match key index out of range");
  d->branches.resize(r.u16("match branch count"));
  ParseEnv nested{env.r, env.key_count, env.slot_count, env.depth + 1, env.marks};
  for (auto& b : d->branches) {
    if (!match__parse_value(r, &b.value, 0)) return false;
    nested.note_nested_filter();
    b.filter = filter__parse(nested);
    if (!b.filter) return false;
  }
  nested.note_nested_filter();
  d->fallthrough = filter__parse(nested);
  return d->fallthrough != nullptr;
}

}  // namespace

bool match__parse_value(DescReader& r, OwnedValue* out, int depth) {
  if (depth > kMaxDepth) {
    r.fail("metadata value nested too deeply");
    return false;
  }
  uint8_t tag = r.u8("value tag");
  out->value.tag = static_cast<MetaTag>(tag);
  switch (tag) {
    case 0:
      out->value.b = r.u8("bool value") != 0;
      break;
    case 1:
      out->value.n = r.u64("number value");
      break;
    case 2:
    case 3:
      out->storage = r.bytes32("bytes value");
      break;
    case 4: {
      uint32_t n = r.u32("list length");
      if (n > r.remaining()) r.fail("list longer than the description");
      if (!r.ok()) return false;
      out->items.resize(n);
      for (auto& item : out->items)
        if (!match__parse_value(r, &item, depth + 1)) return false;
      break;
    }
    default:
      r.fail("unknown value tag " + std::to_string(tag));
  }
  if (depth == 0 && r.ok()) out->seal();
  return r.ok();
}

std::unique_ptr<Filter> match__parse(ParseEnv& env, uint32_t slot) {
  if (env.depth >= kMaxDepth) {
    env.r.fail("Match nested more than 16 deep");
    return nullptr;
  }
  Directional on_read, on_write;
  if (!parse_directional(env, slot, &on_read) || !parse_directional(env, slot, &on_write)) return nullptr;
  return std::make_unique<MatchFilter>(slot, std::move(on_read), std::move(on_write));
}

}  // namespace qk::filters
