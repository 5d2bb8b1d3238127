// SPDX-License-Identifier: Apache-2.0
// The native code's one socket address, SockAddr, and every conversion to and from it: the
// kernel's sockaddr_in6 of the dual-stack sockets and the C qk_addr of the frame layer. Kept in
// one place so the IPv4-mapped IPv6 rule (::ffff:a.b.c.d is IPv4) is written once.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstring>

#include "native/net/frame.h"

namespace qk {

// Canonical: IPv4 is family 4 however it arrived. pad is always 0, so tables can compare and
// hash a SockAddr as bytes.
struct SockAddr {
  uint8_t family = 0;  // 4, 6, or 0 (none)
  uint8_t pad = 0;
  uint16_t port = 0;    // host byte order
  uint8_t ip[16] = {};  // IPv4 in the first 4 bytes, the rest zero

  bool operator==(const SockAddr& o) const { return std::memcmp(this, &o, sizeof(*this)) == 0; }
  uint32_t ip_len() const { return family == 4 ? 4 : 16; }
};
static_assert(sizeof(SockAddr) == 20, "SockAddr must be padding-free");

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

// From a dual-stack socket, where the kernel reports IPv4 peers as ::ffff:a.b.c.d. Scope id and
// flow label are not part of the address; another family gives the empty (unanswerable) address.
inline SockAddr sockaddr__from_in6(const sockaddr_in6& sa) {
  SockAddr a;
  if (sa.sin6_family != AF_INET6) return a;
  a.family = 6;
  a.port = ntohs(sa.sin6_port);
  std::memcpy(a.ip, &sa.sin6_addr, 16);
  return sockaddr__canonical(a);
}

// For a dual-stack socket: IPv4 as ::ffff:a.b.c.d, so one AF_INET6 socket reaches both families.
inline sockaddr_in6 sockaddr__to_in6(const SockAddr& a) {
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_port = htons(a.port);
  if (a.family == 4) {
    sa.sin6_addr.s6_addr[10] = 0xff;
    sa.sin6_addr.s6_addr[11] = 0xff;
    std::memcpy(sa.sin6_addr.s6_addr + 12, a.ip, 4);
  } else {
    std::memcpy(sa.sin6_addr.s6_addr, a.ip, 16);
  }
  return sa;
}

// [::]:port, what a dual-stack socket binds to (port 0 = ephemeral).
inline sockaddr_in6 sockaddr__in6_any(uint16_t port) {
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_addr = in6addr_any;
  sa.sin6_port = htons(port);
  return sa;
}

// qk_addr (the frame layer's) has the same family tags and byte layout rules, so these only copy.
inline SockAddr sockaddr__from_qk(const qk_addr& q) {
  SockAddr a;
  a.family = q.family;
  a.port = q.port;
  std::memcpy(a.ip, q.addr, 16);
  return a;
}

inline qk_addr sockaddr__to_qk(const SockAddr& a) {
  qk_addr q{};
  q.family = a.family;
  q.port = a.port;
  std::memcpy(q.addr, a.ip, 16);
  return q;
}

}  // namespace qk
