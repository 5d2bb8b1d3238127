// SPDX-License-Identifier: Apache-2.0
#include "native/socket/session_shard.h"

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace qk::socket {

SessionShard::SessionShard(SessionBudget& budget, WorkerCounters& counters, int epoll_fd)
    : budget_(budget), counters_(counters), epoll_fd_(epoll_fd) {}

SessionShard::~SessionShard() {
  for (int fd : sockets_) close(fd);
}

Session* SessionShard::acquire(const SessionKey& key, int64_t now_ms, qk_drop_reason* why) {
  if (const uint32_t* slot = by_key_.find(key)) {
    Session& s = slab_[*slot];
    s.last_seen_ms = now_ms;
    return &s;
  }
  // Reserve a place in the global budget first; give it back if anything below fails.
  if (budget_.live.fetch_add(1, std::memory_order_relaxed) >= budget_.max) {
    budget_.live.fetch_sub(1, std::memory_order_relaxed);
    *why = QK_DROP_SESSION_TABLE_FULL;
    return nullptr;
  }
  uint32_t socket_index = 0;
  if (claim_socket(key.dest, &socket_index) < 0) {
    budget_.live.fetch_sub(1, std::memory_order_relaxed);
    *why = QK_DROP_IO;
    return nullptr;
  }
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<uint32_t>(slab_.size());
    slab_.push_back(Session{});
  }
  slab_[slot] = Session{key, socket_index, true, now_ms, now_ms};
  by_key_.put(key, slot);
  by_reply_.put(ReplyKey{key.dest, socket_index}, slot);
  counters_.sessions_created.add(1);
  return &slab_[slot];
}

const Session* SessionShard::find_reply(const AddrKey& source, uint32_t socket_index) const {
  const uint32_t* slot = by_reply_.find(ReplyKey{source, socket_index});
  return slot ? &slab_[*slot] : nullptr;
}

// Picks an upstream socket that carries no other client to `dest`, opening one if every
// existing socket already does. This keeps (endpoint, socket) -> client unambiguous.
int SessionShard::claim_socket(const AddrKey& dest, uint32_t* index) {
  const uint32_t* found = dest_index_.find(dest);
  uint32_t d;
  if (found) {
    d = *found;
  } else {
    d = static_cast<uint32_t>(dest_sockets_.size());
    dest_sockets_.emplace_back();
    dest_index_.put(dest, d);
  }
  DestSockets& ds = dest_sockets_[d];
  if (!ds.free.empty()) {
    *index = ds.free.back();
    ds.free.pop_back();
    return 0;
  }
  if (ds.next == sockets_.size()) {
    int err = open_upstream_socket();
    if (err < 0) return err;
  }
  *index = ds.next++;
  return 0;
}

int SessionShard::open_upstream_socket() {
  int fd = ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  int off = 0;
  // Replies from a busy endpoint arrive in bursts on one socket; the default ~208 KiB holds
  // only a few hundred small datagrams. Memory is charged only while datagrams are queued.
  int rcvbuf = 1 << 20;
  sockaddr_in6 any{};
  any.sin6_family = AF_INET6;
  any.sin6_addr = in6addr_any;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kEpollUpstreamBase + sockets_.size();
  int err = 0;
  // Dual-stack so one socket reaches IPv4 and IPv6 endpoints; port 0 = ephemeral.
  if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) < 0 ||
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0 ||
      bind(fd, reinterpret_cast<sockaddr*>(&any), sizeof(any)) < 0 ||
      epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) < 0)
    err = -errno;
  if (err < 0) {
    close(fd);
    counters_.errors[kRead][QK_DROP_IO].add(1);
    return err;
  }
  sockets_.push_back(fd);
  counters_.upstream_sockets.add(1);
  return 0;
}

void SessionShard::close_session(uint32_t slot, int64_t now_ms) {
  Session& s = slab_[slot];
  by_key_.erase(s.key);
  by_reply_.erase(ReplyKey{s.key.dest, s.socket_index});
  // The socket stays open for the next session to this endpoint (as Quilkin does).
  dest_sockets_[*dest_index_.find(s.key.dest)].free.push_back(s.socket_index);
  s.live = false;
  free_slots_.push_back(slot);
  budget_.live.fetch_sub(1, std::memory_order_relaxed);
  counters_.sessions_closed.add(1);
  int64_t age_ms = now_ms - s.created_ms;
  counters_.durations.push(static_cast<uint32_t>(age_ms > 0 ? age_ms / 1000 : 0));
}

size_t SessionShard::expire(int64_t now_ms, int64_t idle_ms) {
  size_t closed = 0;
  for (uint32_t slot = 0; slot < slab_.size(); slot++) {
    if (slab_[slot].live && now_ms - slab_[slot].last_seen_ms >= idle_ms) {
      close_session(slot, now_ms);
      closed++;
    }
  }
  return closed;
}

void SessionShard::close_all(int64_t now_ms) {
  for (uint32_t slot = 0; slot < slab_.size(); slot++)
    if (slab_[slot].live) close_session(slot, now_ms);
}

}  // namespace qk::socket
