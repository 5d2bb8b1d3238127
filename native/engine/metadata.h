// SPDX-License-Identifier: Apache-2.0
// Per-packet dynamic metadata without allocation: values live in a fixed arena owned by the worker,
// keys are the small integers the chain description interns.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace qk::engine {

enum class MetaTag : uint8_t { Bool = 0, Number = 1, String = 2, Bytes = 3, List = 4 };

struct MetaValue {
  MetaTag tag = MetaTag::Bool;
  uint32_t len = 0;  // bytes of String/Bytes, items of List
  union {
    bool b;
    uint64_t n;
    const uint8_t* bytes;
    const MetaValue* items;
  };
  // Trivial on purpose: the worker's value arena is allocated once without being touched.

  static MetaValue of_bool(bool v) {
    MetaValue m{};
    m.tag = MetaTag::Bool;
    m.b = v;
    return m;
  }
  static MetaValue of_number(uint64_t v) {
    MetaValue m{};
    m.tag = MetaTag::Number;
    m.n = v;
    return m;
  }
};

// Quilkin's equality with its quirks: String equals Bytes with the same content (either order);
// Number(n) equals Bytes(b) only with the Number on the left and b exactly one byte equal to n.
bool metavalue__equals(const MetaValue& left, const MetaValue& right);

// Owned value (for values that outlive a packet, like Match branch values).
struct OwnedValue {
  MetaValue value{};
  std::string storage;            // String/Bytes contents
  std::vector<OwnedValue> items;  // List items
  std::vector<MetaValue> views;   // MetaValue views of items (what value.items points at)
  void seal();                    // points value at storage/views; call after filling
};

class MetaStore {
 public:
  // Sized per chain (Filter::metadata_bytes/items summed): a chain without captures gets none, and
  // arenas are allocated uninitialised so untouched pages cost nothing.
  void resize(uint32_t nkeys, uint32_t arena_bytes, uint32_t arena_items);  // on chain change only
  void clear();                                                             // per packet

  uint32_t key_count() const { return static_cast<uint32_t>(values_.size()); }
  const MetaValue* get(uint32_t key) const { return key < values_.size() && present_[key] ? &values_[key] : nullptr; }
  void set(uint32_t key, const MetaValue& v);

  // Copies bytes into the arena; nullptr when the arena is full.
  const uint8_t* copy_bytes(const uint8_t* src, uint32_t n);
  // Reserves n list items; nullptr when the arena is full.
  MetaValue* alloc_items(uint32_t n);

 private:
  std::vector<MetaValue> values_;
  std::vector<uint8_t> present_;
  std::vector<uint32_t> set_keys_;  // keys set since clear(), so clear() is O(keys used)
  std::unique_ptr<uint8_t[]> arena_;
  std::unique_ptr<MetaValue[]> items_;
  uint32_t arena_cap_ = 0, items_cap_ = 0;
  uint32_t arena_used_ = 0;
  uint32_t items_used_ = 0;
};

}  // namespace qk::engine
