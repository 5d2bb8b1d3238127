// SPDX-License-Identifier: Apache-2.0
// One worker's sessions and endpoint sockets. SO_REUSEPORT pins a client's flow to one
// listening socket, hence to one worker, and replies come back on that worker's endpoint
// sockets, so each worker owns a private shard: no locks, no sharing, on the packet path.
// Only the global session count is shared (one atomic add per session created/closed).
#pragma once
#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

#include "native/socket/session_keys.h"
#include "native/socket/counters.h"
#include "native/socket/flat_map.h"

namespace qk::socket {

// epoll_event.data.u64 tags in a worker: its listening socket, its wake-up eventfd, and
// endpoint socket i as kEpollEndpointBase + i.
constexpr uint64_t kEpollListen = 0;
constexpr uint64_t kEpollWake = 1;
constexpr uint64_t kEpollEndpointBase = 2;

struct Session {
  SessionKey key;
  uint32_t socket_index;
  bool live;
  bool replied;    // an endpoint has answered on this session
  uint32_t epoch;  // bumped each time the slot is reused, so stale queue entries are recognised
  int64_t created_ms;
  int64_t last_seen_ms;
};

// Sessions per client IP, over every shard (SO_REUSEPORT spreads one host's ports over all
// workers). Touched only when a session opens or closes, never per packet, so one mutex is
// cheap enough; the packet path stays lock-free.
class SourceCounts {
 public:
  // Counts a new session from ip unless it already has `max`; false = refused.
  bool try_add(const SockAddr& ip, uint32_t max);
  void remove(const SockAddr& ip);

 private:
  std::mutex mu_;
  FlatMap<SockAddr, KeyHash<SockAddr>> counts_;
};

// The process-wide bounds on sessions, shared by every shard.
struct SessionBudget {
  std::atomic<int64_t> live{0};
  int64_t max = 0;
  uint32_t per_source_max = 0;  // 0 = no per-IP cap
  SourceCounts sources;
};

// How long a session may stay idle: replied ones for the configured session timeout, ones no
// endpoint has answered for much less (conntrack's "unreplied" state), so a spraying host's
// sessions make way quickly.
struct SessionTimeouts {
  int64_t idle_ms;
  int64_t unreplied_ms;
};

class SessionShard {
 public:
  SessionShard(SessionBudget& budget, WorkerCounters& counters, int epoll_fd);
  ~SessionShard();
  SessionShard(const SessionShard&) = delete;
  SessionShard& operator=(const SessionShard&) = delete;

  // The session for key (idle timer refreshed), created if needed. Returns nullptr and sets
  // *why when the table is full or no endpoint socket could be opened.
  Session* acquire(const SessionKey& key, int64_t now_ms, qk_drop_reason* why);
  // The session a reply from `source` on endpoint socket `socket_index` belongs to, marked as
  // replied.
  const Session* on_reply(const SockAddr& source, uint32_t socket_index);
  int endpoint_fd(uint32_t socket_index) const { return sockets_[socket_index]; }
  // Closes sessions idle for longer than their timeout; returns how many.
  size_t expire(int64_t now_ms, const SessionTimeouts& timeouts);
  void close_all(int64_t now_ms);
  size_t size() const { return by_key_.size(); }
  size_t socket_count() const { return sockets_.size(); }

 private:
  // Endpoint socket indices in use per endpoint: sockets released by expired sessions are
  // reused first, then the next never-used one.
  struct DestSockets {
    std::vector<uint32_t> free;
    uint32_t next = 0;
  };

  int claim_socket(const SockAddr& dest, uint32_t* index);
  int open_endpoint_socket();
  void close_session(uint32_t slot, int64_t now_ms);
  // Closes this shard's oldest session that no endpoint has answered, to make room under
  // pressure; false if there is none.
  bool evict_unreplied(int64_t now_ms);
  bool reserve_budget(int64_t now_ms);

  SessionBudget& budget_;
  WorkerCounters& counters_;
  int epoll_fd_;
  std::vector<Session> slab_;
  // Slots in the order their sessions opened, with the epoch they had then: the eviction
  // order. Entries whose session has closed, been reused or answered are skipped and trimmed.
  std::deque<std::pair<uint32_t, uint32_t>> unreplied_;
  std::vector<uint32_t> free_slots_;
  std::vector<int> sockets_;
  std::vector<DestSockets> dest_sockets_;
  FlatMap<SessionKey, KeyHash<SessionKey>> by_key_;
  FlatMap<ReplyKey, KeyHash<ReplyKey>> by_reply_;
  FlatMap<SockAddr, KeyHash<SockAddr>> dest_index_;
};

}  // namespace qk::socket
