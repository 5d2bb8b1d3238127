// SPDX-License-Identifier: Apache-2.0
#include "native/engine/metadata.h"

#include <cstring>

namespace qk::engine {

static bool is_text(MetaTag t) { return t == MetaTag::String || t == MetaTag::Bytes; }

bool metavalue__equals(const MetaValue& left, const MetaValue& right) {
  if (is_text(left.tag) && is_text(right.tag))
    return left.len == right.len && (left.len == 0 || std::memcmp(left.bytes, right.bytes, left.len) == 0);
  if (left.tag == MetaTag::Number) {
    if (right.tag == MetaTag::Number) return left.n == right.n;
    return right.tag == MetaTag::Bytes && right.len == 1 && right.bytes[0] == left.n;
  }
  if (left.tag != right.tag) return false;
  if (left.tag == MetaTag::Bool) return left.b == right.b;
  if (left.tag != MetaTag::List || left.len != right.len) return false;
  for (uint32_t i = 0; i < left.len; i++)
    if (!metavalue__equals(left.items[i], right.items[i])) return false;
  return true;
}

void OwnedValue::seal() {
  if (is_text(value.tag)) {
    value.len = static_cast<uint32_t>(storage.size());
    value.bytes = reinterpret_cast<const uint8_t*>(storage.data());
  } else if (value.tag == MetaTag::List) {
    views.clear();
    for (auto& item : items) {
      item.seal();
      views.push_back(item.value);
    }
    value.len = static_cast<uint32_t>(views.size());
    value.items = views.data();
  }
}

void MetaStore::resize(uint32_t nkeys, uint32_t arena_bytes, uint32_t arena_items) {
  if (arena_bytes != arena_cap_) {
    arena_.reset(arena_bytes ? new uint8_t[arena_bytes] : nullptr);
    arena_cap_ = arena_bytes;
  }
  if (arena_items != items_cap_) {
    items_.reset(arena_items ? new MetaValue[arena_items] : nullptr);
    items_cap_ = arena_items;
  }
  values_.assign(nkeys, MetaValue{});
  present_.assign(nkeys, 0);
  set_keys_.clear();
  set_keys_.reserve(nkeys);
  arena_used_ = 0;
  items_used_ = 0;
}

void MetaStore::clear() {
  for (uint32_t k : set_keys_) present_[k] = 0;
  set_keys_.clear();
  arena_used_ = 0;
  items_used_ = 0;
}

void MetaStore::set(uint32_t key, const MetaValue& v) {
  if (key >= values_.size()) return;
  if (!present_[key]) {
    present_[key] = 1;
    set_keys_.push_back(key);  // capacity reserved in resize_keys: never allocates
  }
  values_[key] = v;
}

const uint8_t* MetaStore::copy_bytes(const uint8_t* src, uint32_t n) {
  static const uint8_t kEmpty[1] = {0};
  if (n == 0) return kEmpty;  // an empty capture needs no arena (and must not read as "full")
  if (n > arena_cap_ - arena_used_) return nullptr;
  uint8_t* at = arena_.get() + arena_used_;
  if (n) std::memcpy(at, src, n);
  arena_used_ += n;
  return at;
}

MetaValue* MetaStore::alloc_items(uint32_t n) {
  if (n > items_cap_ - items_used_) return nullptr;
  MetaValue* at = items_.get() + items_used_;
  items_used_ += n;
  return at;
}

}  // namespace qk::engine
