// SPDX-License-Identifier: Apache-2.0
// Little-endian writer for the test entry's result buffer (the inverse of DescReader).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "native/engine/metadata.h"

namespace qk::engine {

class ByteWriter {
 public:
  std::vector<uint8_t> out;

  void u8(uint8_t v) { out.push_back(v); }
  void u16(uint16_t v) { uint_le(v, 2); }
  void u32(uint32_t v) { uint_le(v, 4); }
  void u64(uint64_t v) { uint_le(v, 8); }
  void raw(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    out.insert(out.end(), b, b + n);
  }
  void str16(const std::string& s) {
    u16(static_cast<uint16_t>(s.size()));
    raw(s.data(), s.size());
  }
  void bytes32(const void* p, uint32_t n) {
    u32(n);
    raw(p, n);
  }
  // Same encoding as a description `value`.
  void value(const MetaValue& v) {
    u8(static_cast<uint8_t>(v.tag));
    switch (v.tag) {
      case MetaTag::Bool:
        u8(v.b ? 1 : 0);
        break;
      case MetaTag::Number:
        u64(v.n);
        break;
      case MetaTag::String:
      case MetaTag::Bytes:
        bytes32(v.bytes, v.len);
        break;
      case MetaTag::List:
        u32(v.len);
        for (uint32_t i = 0; i < v.len; i++) value(v.items[i]);
        break;
    }
  }

 private:
  void uint_le(uint64_t v, int n) {
    for (int i = 0; i < n; i++) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
};

}  // namespace qk::engine
