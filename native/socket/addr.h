// SPDX-License-Identifier: Apache-2.0
// Socket addresses as the workers see them: every address in IPv6 form, because the
// listening and endpoint sockets are dual-stack and the kernel reports IPv4 peers as
// ::ffff:a.b.c.d. One fixed-size, padding-free key type keeps hashing and comparison cheap.
#pragma once
#include <netinet/in.h>

#include <cstdint>
#include <cstring>

#include "native/net/keyed_hash.h"

namespace qk::socket {

struct AddrKey {
  uint8_t ip[16];
  uint16_t port;  // host byte order
  uint16_t pad;   // always 0 so the key can be compared and hashed as bytes

  bool operator==(const AddrKey& other) const { return std::memcmp(this, &other, sizeof(*this)) == 0; }
};
static_assert(sizeof(AddrKey) == 20, "AddrKey must be padding-free");

inline AddrKey addr_key__from_sockaddr(const sockaddr_in6& sa) {
  AddrKey key{};
  std::memcpy(key.ip, &sa.sin6_addr, sizeof(key.ip));
  key.port = ntohs(sa.sin6_port);
  return key;
}

inline void addr_key__to_sockaddr(const AddrKey& key, sockaddr_in6* sa) {
  std::memset(sa, 0, sizeof(*sa));
  sa->sin6_family = AF_INET6;
  std::memcpy(&sa->sin6_addr, key.ip, sizeof(key.ip));
  sa->sin6_port = htons(key.port);
}

// Client -> endpoint: one session.
struct SessionKey {
  AddrKey client;
  AddrKey dest;
  bool operator==(const SessionKey& other) const { return std::memcmp(this, &other, sizeof(*this)) == 0; }
};

// (endpoint that replied, endpoint socket it replied to): identifies exactly one client.
struct ReplyKey {
  AddrKey source;
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
