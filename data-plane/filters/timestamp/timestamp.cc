// SPDX-License-Identifier: Apache-2.0
#include "data-plane/filters/timestamp/timestamp.h"

namespace qk::filters {
using namespace qk::engine;

namespace {

// The Unix seconds Quilkin's date type can represent (about ±262143 years), as timestamp.ts.
constexpr int64_t kMaxSeconds = 8210266876799LL;
constexpr int64_t kMinSeconds = -8334601228800LL;

// Number: Unix seconds; Bytes of exactly 8: big-endian signed seconds; anything else: no sample.
bool timestamp_of(const MetaValue& v, int64_t* out) {
  if (v.tag == MetaTag::Number) {
    if (v.n > static_cast<uint64_t>(kMaxSeconds)) return false;
    *out = static_cast<int64_t>(v.n);
    return true;
  }
  if (v.tag != MetaTag::Bytes || v.len != 8) return false;
  uint64_t u = 0;
  for (uint32_t i = 0; i < 8; i++) u = (u << 8) | v.bytes[i];
  int64_t s = static_cast<int64_t>(u);
  if (s > kMaxSeconds || s < kMinSeconds) return false;
  *out = s;
  return true;
}

class TimestampFilter : public Filter {
 public:
  TimestampFilter(uint32_t slot, uint16_t key) : Filter(slot), key_(key) {}
  bool has_cells() const override { return true; }
  uint8_t read(FilterCtx& ctx) const override { return observe(ctx, 0); }
  uint8_t write(FilterCtx& ctx) const override { return observe(ctx, 1); }

 private:
  uint8_t observe(FilterCtx& ctx, int dir) const {
    const MetaValue* v = ctx.meta.get(key_);
    int64_t ts = 0;
    if (!v || !timestamp_of(*v, &ts)) return QK_DROP_NONE;
    double seconds = static_cast<double>(ctx.ws.clock.now_ms()) / 1000.0 - static_cast<double>(ts);
    SlotCell& cell = ctx.ws.cell(slot());
    int b = 0;
    while (b < SlotCell::kBuckets && seconds > kHistogramBounds[b]) b++;
    cell__add(cell.hist_bucket[dir][b], 1);
    cell__add(cell.hist_count[dir], 1);
    cell.hist_sum[dir].store(cell.hist_sum[dir].load(std::memory_order_relaxed) + seconds, std::memory_order_relaxed);
    return QK_DROP_NONE;
  }
  uint16_t key_;
};

}  // namespace

std::unique_ptr<Filter> timestamp__parse(ParseEnv& env, uint32_t slot) {
  uint16_t key = env.key_index("timestamp key");
  if (env.r.ok() && key >= env.key_count) env.r.fail("timestamp key index out of range");
  if (!env.r.ok()) return nullptr;
  return std::make_unique<TimestampFilter>(slot, key);
}

}  // namespace qk::filters
