// SPDX-License-Identifier: Apache-2.0
// A compact socket address for the hot path: family, IP bytes and port in host order.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstring>

namespace qk::engine {

struct SockAddr {
  uint8_t family = 0;   // 4, 6, or 0 (none)
  uint16_t port = 0;    // host byte order
  uint8_t ip[16] = {};  // IPv4 in the first 4 bytes, the rest zero

  bool operator==(const SockAddr& o) const {
    return family == o.family && port == o.port && std::memcmp(ip, o.ip, 16) == 0;
  }
  uint32_t ip_len() const { return family == 4 ? 4 : 16; }
};

// IPv4-mapped IPv6 (::ffff:a.b.c.d) becomes plain IPv4, as every source is canonicalised before a
// filter sees it (Quilkin does the same).
inline SockAddr sockaddr__canonical(SockAddr a) {
  static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (a.family == 6 && std::memcmp(a.ip, kMapped, 12) == 0) {
    std::memmove(a.ip, a.ip + 12, 4);
    std::memset(a.ip + 4, 0, 12);
    a.family = 4;
  }
  return a;
}

// A source no reply can reach, as data-plane/address-checks.ts: port 0, "this network" 0/8,
// reserved 240/4 and the unspecified ::. Backends drop these (`invalid source address`) before
// the chain; multicast and the broadcast address stay the engine's `disallowed source ip`.
inline bool sockaddr__unanswerable(const SockAddr& canonical) {
  const uint8_t* ip = canonical.ip;
  if (canonical.port == 0) return true;
  if (canonical.family == 4) {
    bool broadcast = ip[0] == 255 && ip[1] == 255 && ip[2] == 255 && ip[3] == 255;
    return ip[0] == 0 || (ip[0] >= 240 && !broadcast);
  }
  for (int i = 0; i < 16; i++)
    if (ip[i] != 0) return false;
  return true;
}

// Converts from a kernel sockaddr (AF_INET / AF_INET6); returns false for other families.
inline bool sockaddr__from(const struct sockaddr* sa, SockAddr* out) {
  *out = SockAddr{};
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const struct sockaddr_in*>(sa);
    out->family = 4;
    out->port = ntohs(in->sin_port);
    std::memcpy(out->ip, &in->sin_addr, 4);
    return true;
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const struct sockaddr_in6*>(sa);
    out->family = 6;
    out->port = ntohs(in6->sin6_port);
    std::memcpy(out->ip, &in6->sin6_addr, 16);
    *out = sockaddr__canonical(*out);
    return true;
  }
  return false;
}

// Writes a kernel sockaddr; returns its length (0 if the address is empty).
inline socklen_t sockaddr__to(const SockAddr& a, struct sockaddr_storage* out) {
  std::memset(out, 0, sizeof(*out));
  if (a.family == 4) {
    auto* in = reinterpret_cast<struct sockaddr_in*>(out);
    in->sin_family = AF_INET;
    in->sin_port = htons(a.port);
    std::memcpy(&in->sin_addr, a.ip, 4);
    return sizeof(*in);
  }
  if (a.family == 6) {
    auto* in6 = reinterpret_cast<struct sockaddr_in6*>(out);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(a.port);
    std::memcpy(&in6->sin6_addr, a.ip, 16);
    return sizeof(*in6);
  }
  return 0;
}

}  // namespace qk::engine
