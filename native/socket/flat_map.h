// SPDX-License-Identifier: Apache-2.0
// An open-addressing hash map (linear probing, backward-shift deletion) from a padding-free
// key to a uint32 index. Used only by one worker thread, so it has no locks. It allocates
// only when it grows (load above 1/2), never per lookup, insert or erase.
#pragma once
#include <cstdint>
#include <vector>

namespace qk::socket {

template <typename K, typename Hash>
class FlatMap {
 public:
  explicit FlatMap(size_t initial_capacity = 64) { reset(round_up(initial_capacity)); }

  size_t size() const { return size_; }

  // Returns the value or nullptr.
  const uint32_t* find(const K& key) const {
    size_t i = slot_of(key);
    while (slots_[i].used) {
      if (slots_[i].key == key) return &slots_[i].value;
      i = (i + 1) & mask_;
    }
    return nullptr;
  }

  // Inserts or overwrites.
  void put(const K& key, uint32_t value) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    size_t i = slot_of(key);
    while (slots_[i].used) {
      if (slots_[i].key == key) {
        slots_[i].value = value;
        return;
      }
      i = (i + 1) & mask_;
    }
    slots_[i] = Slot{key, value, true};
    size_++;
  }

  bool erase(const K& key) {
    size_t i = slot_of(key);
    while (slots_[i].used && !(slots_[i].key == key)) i = (i + 1) & mask_;
    if (!slots_[i].used) return false;
    // Backward shift: pull later members of the probe run into the hole so lookups never
    // need tombstones.
    size_t hole = i;
    for (size_t j = (i + 1) & mask_; slots_[j].used; j = (j + 1) & mask_) {
      size_t home = slot_of(slots_[j].key);
      bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
      if (movable) {
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole].used = false;
    size_--;
    return true;
  }

 private:
  struct Slot {
    K key;
    uint32_t value;
    bool used;
  };

  static size_t round_up(size_t n) {
    size_t c = 16;
    while (c < n) c <<= 1;
    return c;
  }

  size_t slot_of(const K& key) const { return Hash{}(key)&mask_; }

  void reset(size_t capacity) {
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    size_ = 0;
  }

  void grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    reset(old.size() * 2);
    for (const Slot& s : old)
      if (s.used) put(s.key, s.value);
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace qk::socket
