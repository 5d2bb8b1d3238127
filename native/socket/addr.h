// SPDX-License-Identifier: Apache-2.0
// Socket addresses as the workers see them: every address in IPv6 form, because the
// listening and upstream sockets are dual-stack and the kernel reports IPv4 peers as
// ::ffff:a.b.c.d. One fixed-size, padding-free key type keeps hashing and comparison cheap.
#pragma once
#include <netinet/in.h>

#include <cstdint>
#include <cstring>

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

// Word-at-a-time multiply/xor-shift mixing: the keys are 20-40 bytes, and linear probing
// needs well-spread low bits, which the final xor-shift provides.
inline uint64_t hash_bytes(const void* data, size_t len, uint64_t seed) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ULL);
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdULL;
    h ^= h >> 32;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, p + i, len - i);
  h = (h ^ tail) * 0xc4ceb9fe1a85ec53ULL;
  return h ^ (h >> 29);
}

// Client -> endpoint: one session.
struct SessionKey {
  AddrKey client;
  AddrKey dest;
  bool operator==(const SessionKey& other) const { return std::memcmp(this, &other, sizeof(*this)) == 0; }
};

// (endpoint that replied, upstream socket it replied to): identifies exactly one client.
struct ReplyKey {
  AddrKey source;
  uint32_t socket_index;
  bool operator==(const ReplyKey& other) const { return std::memcmp(this, &other, sizeof(*this)) == 0; }
};
static_assert(sizeof(SessionKey) == 40 && sizeof(ReplyKey) == 24, "keys must be padding-free");

template <typename K>
struct KeyHash {
  uint64_t operator()(const K& key) const { return hash_bytes(&key, sizeof(key), 0x5eed); }
};

}  // namespace qk::socket
