// SPDX-License-Identifier: Apache-2.0
// One AF_XDP worker: a thread that owns one rx queue's UMEM and socket and runs, per frame, the
// filter chain (native engine), the session table and the in-place header rewrite, then sends the
// batch with one TX kick. Nothing here calls into JavaScript or allocates per packet.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "native/engine/engine.h"
#include "native/xdp/counters.h"
#include "native/xdp/offlink.h"
#include "native/xdp/sessions.h"
#include "native/xdp/settings.h"
#include "native/xsk/ring.h"
#include "native/net/neigh.h"

namespace qk::xdp {

// A forward interface (Settings::forward_ifnames) as the workers need it.
struct ForwardIface {
  int ifindex;
  uint8_t mac[QK_ETH_ALEN];
};

// Read-only facts every worker shares.
struct WorkerEnv {
  const Settings* settings;
  int ifindex;
  uint8_t mac[QK_ETH_ALEN];
  ForwardIface forwards[kMaxForwardIfaces];
  uint32_t n_forwards;
  SessionTable* sessions;
  engine::Engine* engine;
  FastPath* fast;  // null: the object has no fast path

  const ForwardIface* forward(int index) const {
    for (uint32_t i = 0; i < n_forwards; i++)
      if (forwards[i].ifindex == index) return &forwards[i];
    return nullptr;
  }
  // Our MAC on one of the proxy's interfaces (its own or a forward one); null for any other.
  const uint8_t* mac_of(int index) const {
    if (index == ifindex) return mac;
    const ForwardIface* f = forward(index);
    return f ? f->mac : nullptr;
  }
};

class Worker {
 public:
  static constexpr uint32_t kBatch = 64;
  static constexpr uint32_t kTxMax = 1024;  // frames queued before a flush (fan-out multiplies)

  // Creates the UMEM and binds the socket to `queue`. On failure returns null with *error set.
  static std::unique_ptr<Worker> create(const WorkerEnv& env, uint32_t queue, std::string* error);
  ~Worker();

  int socket_fd() const { return xsk_->fd; }
  bool zerocopy() const { return xsk_->zerocopy != 0; }
  uint32_t queue() const { return queue_; }
  int register_in(int xskmap_fd) { return qk_xsk__register(xsk_, xskmap_fd); }
  void start();
  void stop();  // joins the thread
  const WorkerCounters& counters() const { return counters_; }
  // The first endpoint sent through the off-link path (for one log line), empty if none yet.
  std::string offlink_note() const;

 private:
  Worker(const WorkerEnv& env, uint32_t queue) : env_(env), queue_(queue) {}
  void run();
  void idle();
  void prefetch_headers(const qk_desc* rx, uint32_t n) const;
  void periodic(uint64_t now);
  void follow_mac_changes();
  void follow_route_changes(uint64_t now);
  void publish_counters();
  void on_generation(const engine::Generation& gen, uint64_t now);

  // path.cc: per frame. Returns the frame's direction (kRead, kWrite) or -1 when it is not timed.
  int handle(const qk_desc& d, uint64_t now);
  void read_frame(qk_frame& f, qk_frame_info& fi, uint64_t addr, const qk_addr& client, const qk_addr& local,
                  uint64_t now);
  void write_frame(qk_frame& f, qk_frame_info& fi, uint64_t addr, const qk_addr& endpoint, uint16_t port, uint64_t now);
  void qcmp(qk_frame& f, qk_frame_info& fi, uint64_t addr, const qk_addr& from, const qk_addr& to);
  int next_hop(const qk_addr& to, uint64_t now, qk_nexthop* nh);
  void emit(const qk_frame& f, const qk_frame_info& fi, uint64_t addr, const qk_rewrite& rw, bool in_place,
            Direction dir);
  // offlink_io.cc: endpoints off this interface
  void offlink_send(const qk_frame& f, const qk_frame_info& fi, const qk_addr& client, const qk_addr& local,
                    uint16_t port, const qk_addr& to, uint64_t now, bool off_interface);
  void offlink_replies(uint64_t now);
  void offlink_reply(const OfflinkSession& s, uint32_t len, uint64_t now);
  // The fast path's flows of a session whose endpoint is behind a forward interface.
  void carry_forward_read(const qk_addr& client, const qk_addr& to, const qk_addr& local, uint16_t port,
                          const qk_nexthop& nh, uint64_t now);
  void carry_forward_write(const OfflinkSession& s, const SessionView& v, const qk_nexthop& client_hop, uint64_t now);
  void drop(uint64_t addr, Direction dir, uint8_t reason);
  void flush_tx();

  WorkerEnv env_;
  uint32_t queue_;
  qk_umem* umem_ = nullptr;
  qk_xsk* xsk_ = nullptr;
  qk_nhcache* nh_ = nullptr;
  std::unique_ptr<OfflinkPath> offlink_;
  uint8_t offlink_buf_[2048];
  std::unique_ptr<engine::Worker> ew_;
  uint64_t gen_id_ = UINT64_MAX;
  qk_desc tx_[kTxMax];
  uint8_t tx_dir_[kTxMax];
  uint32_t tx_payload_[kTxMax];
  uint32_t tx_n_ = 0;
  uint64_t next_expire_ns_ = 0;
  WorkerCounters counters_;
  timing::ProcessingTimer timer_;  // per frame, from its handling to its TX enqueue
  timing::JitterTracker jitter_;   // receive times per direction, for quilkin_packet_jitter
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::atomic<bool> offlink_noted_{false};
  char offlink_note_[96] = {};
};

uint64_t monotonic_ns();

constexpr uint32_t kTxHeadroom = 256;     // as much as the kernel leaves in front of rx data
constexpr int kOfflink = 0x100;           // Worker::next_hop(): not a drop reason, send through the kernel
constexpr int kNeighbourPending = 0x101;  // Worker::next_hop(): the kernel is resolving the neighbour
constexpr int kForward = 0x102;           // Worker::next_hop(): behind a forward interface (nh is valid)

// A reply to a client leaves from the listen port, which only the ring can use: a next hop that
// needs the kernel is a drop.
inline uint8_t reply_drop_reason(int why) {
  if (why == kOfflink || why == kForward) return QK_DROP_NO_ROUTE;
  if (why == kNeighbourPending) return QK_DROP_NEIGHBOUR_UNRESOLVED;
  return uint8_t(why);
}

}  // namespace qk::xdp
