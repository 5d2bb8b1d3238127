// SPDX-License-Identifier: Apache-2.0
// The off-link path: per-session kernel sockets for endpoints the attached interface cannot reach.
#include "native/xdp/offlink.h"

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "native/engine/sock_addr.h"

namespace qk::xdp {

bool OfflinkPath::Key::operator==(const Key& o) const {
  return port == o.port && endpoint.family == o.endpoint.family && endpoint.port == o.endpoint.port &&
         std::memcmp(endpoint.addr, o.endpoint.addr, 16) == 0;
}

size_t OfflinkPath::KeyHash::operator()(const Key& k) const {
  uint64_t h = 1469598103934665603ull ^ (uint64_t(k.port) << 24 | uint64_t(k.endpoint.port) << 8 | k.endpoint.family);
  for (uint8_t b : k.endpoint.addr) h = (h ^ b) * 1099511628211ull;
  return size_t(h);
}

OfflinkPath::~OfflinkPath() {
  for (auto& [key, s] : sessions_) close(s->fd);
  if (epfd_ >= 0) close(epfd_);
}

int OfflinkPath::open(OfflinkSession* s) {
  if (epfd_ < 0) {
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) return -errno;
  }
  int fd = ::socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  int off = 0, on = 1;
  setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  sockaddr_in6 bind_to = sockaddr__in6_any(s->port);
  sockaddr_in6 peer = sockaddr__to_in6(sockaddr__from_qk(s->endpoint));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = s;
  if (bind(fd, reinterpret_cast<sockaddr*>(&bind_to), sizeof(bind_to)) < 0 ||
      connect(fd, reinterpret_cast<sockaddr*>(&peer), sizeof(peer)) < 0 ||
      epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) < 0) {
    int err = -errno;
    close(fd);
    return err;
  }
  s->fd = fd;
  return 0;
}

int OfflinkPath::send(const qk_addr& client, const qk_addr& local, uint16_t port, const qk_addr& endpoint,
                      const uint8_t* data, uint32_t len, uint64_t now) {
  Key key{port, endpoint};
  auto it = sessions_.find(key);
  if (it == sessions_.end()) {
    auto s = std::make_unique<OfflinkSession>();
    s->client = client;
    s->local = local;
    s->endpoint = endpoint;
    s->port = port;
    int err = open(s.get());
    if (err) return err;
    it = sessions_.emplace(key, std::move(s)).first;
  }
  OfflinkSession& s = *it->second;
  // The session table may have given this port to another client after an expiry: follow it.
  s.client = client;
  s.local = local;
  s.last_ns = now;
  if (::send(s.fd, data, len, MSG_DONTWAIT) < 0) return -errno;
  return 0;
}

void OfflinkPath::receive(uint8_t* buf, uint32_t cap, uint32_t max_replies, uint64_t now, const ReplyFn& on_reply) {
  if (epfd_ < 0 || sessions_.empty()) return;
  epoll_event events[16];
  int n = epoll_wait(epfd_, events, 16, 0);
  for (int i = 0; i < n && max_replies; i++) {
    auto* s = static_cast<OfflinkSession*>(events[i].data.ptr);
    for (; max_replies; max_replies--) {
      ssize_t got = recv(s->fd, buf, cap, MSG_DONTWAIT);
      if (got < 0) break;  // EAGAIN: drained; a refused send surfaces here too and is ignored
      s->last_ns = now;
      on_reply(*s, uint32_t(got));
    }
  }
}

void OfflinkPath::expire(uint64_t now, const SeenFn& seen_elsewhere) {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    OfflinkSession& s = *it->second;
    if (now - s.last_ns > idle_ns_ && seen_elsewhere) {
      uint64_t seen = seen_elsewhere(s);
      if (seen > s.last_ns) s.last_ns = seen < now ? seen : now;
    }
    if (now - s.last_ns > idle_ns_) {
      close(it->second->fd);  // closing also removes it from the epoll set
      it = sessions_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace qk::xdp
