// SPDX-License-Identifier: Apache-2.0
#include "native/socket/session_shard.h"

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace qk::socket {

namespace {

// The per-source cap counts hosts, not ports.
SockAddr ip_of(const SockAddr& client) {
  SockAddr host = client;
  host.port = 0;
  return host;
}

}  // namespace

bool SourceCounts::try_add(const SockAddr& ip, uint32_t max) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint32_t* n = counts_.find(ip);
  if (n && *n >= max) return false;
  counts_.put(ip, n ? *n + 1 : 1);
  return true;
}

void SourceCounts::remove(const SockAddr& ip) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint32_t* n = counts_.find(ip);
  if (!n) return;
  if (*n <= 1)
    counts_.erase(ip);
  else
    counts_.put(ip, *n - 1);
}

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
  const uint32_t per_source = budget_.per_source_max;
  if (per_source && !budget_.sources.try_add(ip_of(key.client), per_source)) {
    *why = QK_DROP_SOURCE_SESSION_LIMIT;
    return nullptr;
  }
  // Reserve a place in the global budget and an endpoint socket; under pressure an unanswered
  // session of this shard makes way. Anything taken is given back if a later step fails.
  uint32_t socket_index = 0;
  bool reserved = reserve_budget(now_ms);
  int claimed = reserved ? claim_socket(key.dest, &socket_index) : -1;
  if (reserved && claimed < 0 && evict_unreplied(now_ms)) claimed = claim_socket(key.dest, &socket_index);
  if (!reserved || claimed < 0) {
    if (reserved) budget_.live.fetch_sub(1, std::memory_order_relaxed);
    if (per_source) budget_.sources.remove(ip_of(key.client));
    *why = reserved ? QK_DROP_IO : QK_DROP_SESSION_TABLE_FULL;
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
  const uint32_t epoch = slab_[slot].epoch + 1;
  slab_[slot] = Session{key, socket_index, true, false, epoch, now_ms, now_ms};
  unreplied_.emplace_back(slot, epoch);
  by_key_.put(key, slot);
  by_reply_.put(ReplyKey{key.dest, socket_index}, slot);
  bump(counters_.sessions_created);
  return &slab_[slot];
}

// The budget is shared by every worker's shard, so the place an eviction frees can be taken by
// another worker's new session before this one claims it: evict again, a few times, rather than
// refuse a client while this shard still holds unanswered sessions.
bool SessionShard::reserve_budget(int64_t now_ms) {
  constexpr int kAttempts = 4;
  for (int attempt = 0; attempt < kAttempts; attempt++) {
    if (budget_.live.fetch_add(1, std::memory_order_relaxed) < budget_.max) return true;
    budget_.live.fetch_sub(1, std::memory_order_relaxed);
    if (attempt + 1 == kAttempts || !evict_unreplied(now_ms)) return false;
  }
  return false;
}

bool SessionShard::evict_unreplied(int64_t now_ms) {
  while (!unreplied_.empty()) {
    auto [slot, epoch] = unreplied_.front();
    unreplied_.pop_front();
    const Session& s = slab_[slot];
    if (s.live && s.epoch == epoch && !s.replied) {
      close_session(slot, now_ms);
      bump(counters_.sessions_evicted);
      return true;
    }
  }
  return false;
}

const Session* SessionShard::on_reply(const SockAddr& source, uint32_t socket_index) {
  const uint32_t* slot = by_reply_.find(ReplyKey{source, socket_index});
  if (!slot) return nullptr;
  slab_[*slot].replied = true;
  return &slab_[*slot];
}

// Picks an endpoint socket that carries no other client to `dest`, opening one if every
// existing socket already does. This keeps (endpoint, socket) -> client unambiguous.
int SessionShard::claim_socket(const SockAddr& dest, uint32_t* index) {
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
    int err = open_endpoint_socket();
    if (err < 0) return err;
  }
  *index = ds.next++;
  return 0;
}

int SessionShard::open_endpoint_socket() {
  int fd = ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  int off = 0;
  // Replies from a busy endpoint arrive in bursts on one socket; the default ~208 KiB holds
  // only a few hundred small datagrams. Memory is charged only while datagrams are queued.
  int rcvbuf = 1 << 20;
  sockaddr_in6 any = sockaddr__in6_any(0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kEpollEndpointBase + sockets_.size();
  int err = 0;
  // Dual-stack so one socket reaches IPv4 and IPv6 endpoints; port 0 = ephemeral.
  if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) < 0 ||
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0 ||
      bind(fd, reinterpret_cast<sockaddr*>(&any), sizeof(any)) < 0 || epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) < 0)
    err = -errno;
  if (err < 0) {
    close(fd);
    bump(counters_.errors[kRead][QK_DROP_IO]);
    return err;
  }
  sockets_.push_back(fd);
  bump(counters_.endpoint_sockets);
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
  if (budget_.per_source_max) budget_.sources.remove(ip_of(s.key.client));
  bump(counters_.sessions_closed);
  int64_t age_ms = now_ms - s.created_ms;
  counters_.durations.push(static_cast<uint32_t>(age_ms > 0 ? age_ms / 1000 : 0));
}

size_t SessionShard::expire(int64_t now_ms, const SessionTimeouts& timeouts) {
  size_t closed = 0;
  for (uint32_t slot = 0; slot < slab_.size(); slot++) {
    const Session& s = slab_[slot];
    if (!s.live) continue;
    const int64_t idle = now_ms - s.last_seen_ms;
    if (idle >= timeouts.idle_ms || (!s.replied && idle >= timeouts.unreplied_ms)) {
      close_session(slot, now_ms);
      closed++;
    }
  }
  // Unanswered sessions live at most unreplied_ms, so the queue's head goes stale that soon
  // and the queue stays as long as the sessions opened in that time.
  while (!unreplied_.empty()) {
    const Session& s = slab_[unreplied_.front().first];
    if (s.live && s.epoch == unreplied_.front().second && !s.replied) break;
    unreplied_.pop_front();
  }
  // An unanswered session that keeps sending (one-way traffic) holds the head; compact so
  // the entries behind it cannot pile up.
  if (unreplied_.size() > 2 * by_key_.size() + 64) {
    std::deque<std::pair<uint32_t, uint32_t>> kept;
    for (const auto& [slot, epoch] : unreplied_)
      if (slab_[slot].live && slab_[slot].epoch == epoch && !slab_[slot].replied) kept.emplace_back(slot, epoch);
    unreplied_.swap(kept);
  }
  return closed;
}

void SessionShard::close_all(int64_t now_ms) {
  for (uint32_t slot = 0; slot < slab_.size(); slot++)
    if (slab_[slot].live) close_session(slot, now_ms);
}

}  // namespace qk::socket
