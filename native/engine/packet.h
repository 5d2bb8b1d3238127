// SPDX-License-Identifier: Apache-2.0
// A packet in a caller-owned buffer with headroom and tailroom, so filters prepend, append and trim
// in place. The engine never allocates or frees the buffer.
#pragma once

#include <cstdint>
#include <cstring>

namespace qk::engine {

struct PacketBuf {
  uint8_t* base = nullptr;  // start of the whole buffer
  uint32_t capacity = 0;    // bytes at base
  uint32_t head = 0;        // offset of the first payload byte
  uint32_t len = 0;         // payload length

  static PacketBuf wrap(uint8_t* base, uint32_t capacity, uint32_t head, uint32_t len) {
    PacketBuf p;
    p.base = base;
    p.capacity = capacity;
    p.head = head;
    p.len = len;
    return p;
  }

  uint8_t* data() const { return base + head; }
  uint32_t headroom() const { return head; }
  uint32_t tailroom() const { return capacity - head - len; }

  // Makes room for n bytes before the payload and returns a pointer to them; when headroom is
  // short the payload is moved back inside the buffer. nullptr if the buffer is too small.
  uint8_t* push_front(uint32_t n) {
    if (n > capacity - len) return nullptr;
    if (n > head) {
      uint32_t new_head = n + (capacity - len - n) / 2;  // re-centre so both ends have room again
      std::memmove(base + new_head, base + head, len);
      head = new_head;
    }
    head -= n;
    len += n;
    return base + head;
  }

  // Makes room for n bytes after the payload and returns a pointer to them.
  uint8_t* push_back(uint32_t n) {
    if (n > capacity - len) return nullptr;
    if (n > tailroom()) {
      uint32_t new_head = (capacity - len - n) / 2;
      std::memmove(base + new_head, base + head, len);
      head = new_head;
    }
    uint8_t* at = base + head + len;
    len += n;
    return at;
  }

  void trim_front(uint32_t n) {
    if (n > len) n = len;
    head += n;
    len -= n;
  }
  void trim_back(uint32_t n) { len -= n > len ? len : n; }
};

}  // namespace qk::engine
