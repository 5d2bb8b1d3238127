// SPDX-License-Identifier: Apache-2.0
// Bounds-checked little-endian reader over a chain description. The first failure sticks: later
// reads return zeros, and error() names what was being read and where.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

namespace qk::engine {

class DescReader {
 public:
  DescReader(const uint8_t* data, size_t len) : p_(data), len_(len) {}

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  size_t offset() const { return off_; }
  size_t remaining() const { return len_ - off_; }
  const uint8_t* here() const { return p_ + off_; }

  void fail(const std::string& what) {
    if (error_.empty()) error_ = "chain description: " + what + " at offset " + std::to_string(off_);
  }

  uint8_t u8(const char* what) { return static_cast<uint8_t>(uint_le(1, what)); }
  uint16_t u16(const char* what) { return static_cast<uint16_t>(uint_le(2, what)); }
  uint32_t u32(const char* what) { return static_cast<uint32_t>(uint_le(4, what)); }
  uint64_t u64(const char* what) { return uint_le(8, what); }

  // Returns a pointer to n bytes inside the description (nullptr after a failure).
  const uint8_t* bytes(size_t n, const char* what) {
    if (!ok()) return nullptr;
    if (n > remaining()) {
      fail(std::string("truncated ") + what + " (need " + std::to_string(n) + " bytes)");
      return nullptr;
    }
    const uint8_t* at = p_ + off_;
    off_ += n;
    return at;
  }

  std::string str16(const char* what) {
    uint16_t n = u16(what);
    const uint8_t* b = bytes(n, what);
    return b ? std::string(reinterpret_cast<const char*>(b), n) : std::string();
  }
  std::string bytes32(const char* what) {
    uint32_t n = u32(what);
    const uint8_t* b = bytes(n, what);
    return b ? std::string(reinterpret_cast<const char*>(b), n) : std::string();
  }

 private:
  uint64_t uint_le(int n, const char* what) {
    const uint8_t* b = bytes(static_cast<size_t>(n), what);
    if (!b) return 0;
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = (v << 8) | b[i];
    return v;
  }

  const uint8_t* p_;
  size_t len_;
  size_t off_ = 0;
  std::string error_;
};

}  // namespace qk::engine
