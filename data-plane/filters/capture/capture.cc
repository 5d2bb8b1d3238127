// SPDX-License-Identifier: Apache-2.0
#include "data-plane/filters/capture/capture.h"

#include <re2/re2.h>

#include <map>
#include <mutex>

#include "data-plane/filters/capture/capture_core.h"
#include "data-plane/filters/capture/capture_regex.h"

namespace qk::filters {
using namespace qk::engine;

namespace {

// Largest UDP payload (65507) plus what Concatenate may have added: what one capture can copy.
constexpr uint32_t kMaxCaptureBytes = 65536 + 1024;

// The compiler sends the pattern already translated to a byte-level regex (translatePattern in
// byte-regex.ts, the TS reference's own translation of Rust syntax), so RE2 runs in Latin-1 mode
// where one character is one packet byte: both sides then run the same regex.
std::shared_ptr<const RE2> compile_regex(const std::string& pattern, std::string* error) {
  RE2::Options opts;
  opts.set_log_errors(false);
  opts.set_encoding(RE2::Options::EncodingLatin1);
  opts.set_max_mem(64 << 20);  // Unicode classes expand into large byte alternations
  auto re = std::make_shared<RE2>(pattern, opts);
  if (!re->ok()) {
    *error = "invalid regex `" + pattern + "`: " + re->error();
    return nullptr;
  }
  return re;
}

}  // namespace

// Compiled regexes are shared process-wide by pattern: the translated Unicode classes make RE2
// compilation costly (milliseconds), and RE2 objects are safe to use from many threads.
std::shared_ptr<const RE2> capture__regex(const std::string& pattern, std::string* error) {
  static std::mutex mu;  // taken only while building a generation, never per packet
  static std::map<std::string, std::shared_ptr<const RE2>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(pattern);
  if (it != cache.end()) return it->second;
  auto re = compile_regex(pattern, error);
  if (!re) return nullptr;
  if (cache.size() >= 256) cache.clear();
  cache.emplace(pattern, re);
  return re;
}

namespace {

class CaptureFilter : public Filter {
 public:
  CaptureFilter(uint32_t slot, uint16_t key, uint16_t present_key, uint8_t strategy, uint32_t size, bool remove,
                std::shared_ptr<const RE2> re)
      : Filter(slot),
        key_(key),
        present_key_(present_key),
        strategy_(strategy),
        size_(size),
        remove_(remove),
        re_(std::move(re)) {}

  bool edits_payload() const override { return remove_; }
  uint32_t metadata_bytes() const override { return kMaxCaptureBytes; }
  uint32_t metadata_items() const override { return strategy_ == QK_CAPTURE_REGEX ? kMaxCaptureBytes + 1 : 0; }

  uint8_t read(FilterCtx& ctx) const override {
    uint8_t reason = strategy_ == QK_CAPTURE_REGEX ? capture_regex(ctx) : capture_affix(ctx);
    ctx.meta.set(present_key_, MetaValue::of_bool(reason == QK_DROP_NONE));
    return reason;
  }

 private:
  uint8_t capture_affix(FilterCtx& ctx) const {
    uint32_t off = 0;
    if (!qk_capture__affix(ctx.pkt.len, size_, strategy_ == QK_CAPTURE_SUFFIX, &off)) return QK_DROP_CAPTURE_NO_VALUE;
    MetaValue v{};
    v.tag = MetaTag::Bytes;
    v.len = size_;
    v.bytes = ctx.meta.copy_bytes(ctx.pkt.data() + off, size_);
    if (!v.bytes) return QK_DROP_TOO_LARGE;
    ctx.meta.set(key_, v);
    if (remove_) {
      if (strategy_ == QK_CAPTURE_SUFFIX)
        ctx.pkt.trim_back(size_);
      else
        ctx.pkt.trim_front(size_);
    }
    return QK_DROP_NONE;
  }

  // Every non-overlapping match, left to right; an empty match right where the previous match
  // ended is skipped, as Rust's find_iter does.
  uint8_t capture_regex(FilterCtx& ctx) const {
    MetaValue* first = nullptr;
    uint32_t count = 0;
    bool full = false;
    capture__for_each_match(*re_, ctx.pkt.data(), ctx.pkt.len, [&](size_t start, size_t end) {
      const uint32_t n = static_cast<uint32_t>(end - start);
      MetaValue* item = ctx.meta.alloc_items(1);
      const uint8_t* bytes = ctx.meta.copy_bytes(ctx.pkt.data() + start, n);
      if (!item || !bytes) return !(full = true);
      if (!first) first = item;
      item->tag = MetaTag::Bytes;
      item->len = n;
      item->bytes = bytes;
      count++;
      return true;
    });
    if (full) return QK_DROP_TOO_LARGE;
    if (count == 0) return QK_DROP_CAPTURE_NO_VALUE;
    if (count == 1) {
      ctx.meta.set(key_, *first);
      return QK_DROP_NONE;
    }
    MetaValue list{};
    list.tag = MetaTag::List;
    list.len = count;
    list.items = first;
    ctx.meta.set(key_, list);
    return QK_DROP_NONE;
  }

  uint16_t key_, present_key_;
  uint8_t strategy_;
  uint32_t size_;
  bool remove_;
  std::shared_ptr<const RE2> re_;
};

}  // namespace

std::unique_ptr<Filter> capture__parse(ParseEnv& env, uint32_t slot) {
  DescReader& r = env.r;
  uint16_t key = env.key_index("capture key");
  uint16_t present = env.key_index("capture is_present key");
  uint8_t strategy = r.u8("capture strategy");
  uint32_t size = r.u32("capture size");
  bool remove = r.u8("capture remove") != 0;
  std::string pattern = r.bytes32("capture regex");
  if (!r.ok()) return nullptr;
  if (key >= env.key_count || present >= env.key_count) r.fail("capture key index out of range");
  if (strategy > QK_CAPTURE_REGEX) r.fail("unknown capture strategy " + std::to_string(strategy));
  std::shared_ptr<const RE2> re;
  if (r.ok() && strategy == QK_CAPTURE_REGEX) {
    std::string error;
    re = capture__regex(pattern, &error);
    if (!re) r.fail(error);
  }
  if (!r.ok()) return nullptr;
  return std::make_unique<CaptureFilter>(slot, key, present, strategy, size, remove, std::move(re));
}

}  // namespace qk::filters
