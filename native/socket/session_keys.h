// SPDX-License-Identifier: Apache-2.0
// The session tables' keys. SockAddr is padding-free and canonical (IPv4 as family 4 even when
// the dual-stack socket reports ::ffff:a.b.c.d), so keys compare and hash as bytes.
#pragma once
#include <cstdint>
#include <cstring>

#include "native/net/keyed_hash.h"
#include "native/engine/sock_addr.h"

namespace qk::socket {

// Client -> endpoint: one session.
struct SessionKey {
  SockAddr client;
  SockAddr dest;
  bool operator==(const SessionKey& other) const { return std::memcmp(this, &other, sizeof(*this)) == 0; }
};

// (endpoint that replied, endpoint socket it replied to): identifies exactly one client.
struct ReplyKey {
  SockAddr source;
  uint32_t socket_index;
  bool operator==(const ReplyKey& other) const { return std::memcmp(this, &other, sizeof(*this)) == 0; }
};
static_assert(sizeof(SessionKey) == 40 && sizeof(ReplyKey) == 24, "keys must be padding-free");

template <typename K>
struct KeyHash {
  // Keyed per process: clients choose these keys, so a fixed hash would let one host
  // precompute colliding addresses and turn every lookup into a long linear probe.
  uint64_t operator()(const K& key) const { return qk_keyed_hash(&key, sizeof(key)); }
};

}  // namespace qk::socket
