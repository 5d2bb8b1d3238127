// SPDX-License-Identifier: Apache-2.0
// The off-link path: sessions whose endpoint is not behind the attached interface (routed out of another interface,
// or a local address): their packets go through the kernel. Each (session port, endpoint) gets a
// UDP socket bound to the session port and connected to the endpoint, so replies come back to
// that socket and the worker forwards them to the client through the AF_XDP ring. SO_REUSEADDR
// lets sessions to several endpoints share a port: the kernel delivers a reply to the socket
// connected to its sender. Sockets are made once per session (never per packet) and closed
// after the session's idle timeout. One instance per worker thread, not locked.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>

#include "native/net/frame.h"

namespace qk::xdp {

struct OfflinkSession {
  int fd = -1;
  qk_addr client{}, local{}, endpoint{};
  uint16_t port = 0;
  uint64_t last_ns = 0;
};

class OfflinkPath {
 public:
  explicit OfflinkPath(uint64_t idle_ns) : idle_ns_(idle_ns) {}
  ~OfflinkPath();
  OfflinkPath(const OfflinkPath&) = delete;
  OfflinkPath& operator=(const OfflinkPath&) = delete;

  // The epoll fd that becomes readable when a reply waits; -1 until the first session.
  int fd() const { return epfd_; }
  bool empty() const { return sessions_.empty(); }

  // Sends from the session port to the endpoint, opening the session's socket on first use.
  // 0 or a negative errno.
  int send(const qk_addr& client, const qk_addr& local, uint16_t port, const qk_addr& endpoint, const uint8_t* data,
           uint32_t len, uint64_t now);

  // Reads waiting replies into buf (at most max_replies), calling on_reply for each.
  using ReplyFn = std::function<void(const OfflinkSession&, uint32_t len)>;
  void receive(uint8_t* buf, uint32_t cap, uint32_t max_replies, uint64_t now, const ReplyFn& on_reply);

  // Closes sockets of sessions idle longer than the timeout. seen_elsewhere, when set, says when
  // a session about to close last carried a packet the socket did not see (the fast path of a
  // forward interface): a socket must outlive such a session's kernel traffic, since replies
  // the fast path hands off still arrive through it.
  using SeenFn = std::function<uint64_t(const OfflinkSession&)>;
  void expire(uint64_t now, const SeenFn& seen_elsewhere = nullptr);

 private:
  struct Key {
    uint16_t port;
    qk_addr endpoint;
    bool operator==(const Key& o) const;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  int open(OfflinkSession* s);

  uint64_t idle_ns_;
  int epfd_ = -1;
  std::unordered_map<Key, std::unique_ptr<OfflinkSession>, KeyHash> sessions_;
};

}  // namespace qk::xdp
