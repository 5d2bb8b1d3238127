// SPDX-License-Identifier: Apache-2.0
// The endpoint table's token index: sorted (hash, bytes) entries, searched without allocation.
#include <algorithm>
#include <cstring>

#include "native/engine/engine.h"
#include "native/net/fnv.h"

namespace qk::engine {

void EndpointTable::add_token(uint32_t endpoint, const uint8_t* token, uint32_t len) {
  TokenEntry e{qk_fnv1a64(QK_FNV64_OFFSET, token, len), endpoint, static_cast<uint32_t>(token_bytes_.size()), len};
  token_bytes_.insert(token_bytes_.end(), token, token + len);
  tokens_.push_back(e);
}

void EndpointTable::finish() {
  // By hash, then endpoint index, so a lookup appends endpoints in table order.
  std::sort(tokens_.begin(), tokens_.end(), [](const TokenEntry& a, const TokenEntry& b) {
    return a.hash != b.hash ? a.hash < b.hash : a.endpoint < b.endpoint;
  });
}

uint32_t EndpointTable::lookup_token(const uint8_t* token, uint32_t len, uint32_t* out, uint32_t cap) const {
  const uint64_t h = qk_fnv1a64(QK_FNV64_OFFSET, token, len);
  auto it =
      std::lower_bound(tokens_.begin(), tokens_.end(), h, [](const TokenEntry& e, uint64_t v) { return e.hash < v; });
  uint32_t n = 0;
  for (; it != tokens_.end() && it->hash == h && n < cap; ++it) {
    if (it->len == len && (len == 0 || std::memcmp(token_bytes_.data() + it->offset, token, len) == 0))
      out[n++] = it->endpoint;
  }
  return n;
}

}  // namespace qk::engine
