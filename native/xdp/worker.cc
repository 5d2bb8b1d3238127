// SPDX-License-Identifier: Apache-2.0
// Worker setup, loop and idle work. The per-frame path is in path.cc.
#include "native/xdp/worker.h"

#include <linux/if_xdp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <stdexcept>

namespace qk::xdp {

namespace {

constexpr uint64_t kExpireEveryNs = 200ull * 1000 * 1000;
constexpr int kIdlePollMs = 10;

std::string errno_text(int err) { return std::strerror(err < 0 ? -err : err); }

// Ring sizes: a power of two, at most 8192 and at most half the frames (the other half carries
// frames in flight on the rx and tx sides).
uint32_t ring_size(uint32_t frames) {
  uint32_t n = 8192;
  while (n > 64 && n > frames / 2) n >>= 1;
  return n;
}

}  // namespace

uint64_t monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

std::unique_ptr<Worker> Worker::create(const WorkerEnv& env, uint32_t queue, std::string* error) {
  std::unique_ptr<Worker> w(new Worker(env, queue));
  const Settings& s = *env.settings;
  uint32_t rs = ring_size(s.umem_frames);
  qk_umem_opts uo{};
  uo.frame_count = s.umem_frames;
  uo.frame_size = kUmemFrameSize;
  uo.fill_size = rs;
  uo.comp_size = rs;
  int err = qk_umem__create(&w->umem_, &uo);
  if (err) {
    *error = "UMEM of " + std::to_string(s.umem_frames) + " frames: " + errno_text(err);
    return nullptr;
  }
  qk_xsk_opts xo{};
  xo.rx_size = rs;
  xo.tx_size = rs;
  err = qk_xsk__create(&w->xsk_, w->umem_, s.ifname.c_str(), queue, &xo);
  if (err) {
    *error =
        "AF_XDP bind " + s.ifname + " queue " + std::to_string(queue) + " (zero-copy, then copy): " + errno_text(err);
    return nullptr;
  }
  if (s.require_zerocopy && !w->xsk_->zerocopy) {
    *error = "AF_XDP bind " + s.ifname + " queue " + std::to_string(queue) +
             ": zero-copy unsupported by the driver (--xdp.zerocopy)";
    return nullptr;
  }
  err = qk_nhcache__create(&w->nh_, 1024);
  if (err) {
    *error = "next-hop cache (rtnetlink): " + errno_text(err);
    return nullptr;
  }
  w->offlink_ = std::make_unique<OfflinkPath>(s.idle_timeout_ns);
  try {
    w->ew_ = std::make_unique<engine::Worker>(*env.engine, monotonic_ns() ^ (uint64_t(queue) << 32));
  } catch (const std::exception& e) {  // more queues than the engine has worker slots
    *error = "queue " + std::to_string(queue) + ": " + e.what();
    return nullptr;
  }
  return w;
}

Worker::~Worker() {
  stop();
  ew_.reset();
  offlink_.reset();
  qk_nhcache__destroy(nh_);
  qk_xsk__delete(xsk_);
  qk_umem__delete(umem_);
}

void Worker::start() {
  thread_ = std::thread([this] { run(); });
}

void Worker::stop() {
  stop_.store(true, std::memory_order_relaxed);
  if (thread_.joinable()) thread_.join();
}

std::string Worker::offlink_note() const {
  if (!offlink_noted_.load(std::memory_order_acquire)) return "";
  return offlink_note_;
}

void Worker::on_generation(const engine::Generation& gen, uint64_t now) {
  // Ask the kernel to resolve every endpoint's next hop now, so the first packets of a session
  // find the neighbour ready instead of being dropped as unresolved.
  if (!gen.endpoints) return;
  for (const engine::Endpoint& e : gen.endpoints->endpoints) {
    if (e.addr.family == 0) continue;
    qk_nexthop nh;
    qk_nhcache__lookup(nh_, e.addr.family, e.addr.ip, now, &nh);
  }
}

void Worker::run() {
  qk_desc rx[kBatch];
  while (!stop_.load(std::memory_order_relaxed)) {
    uint64_t now = monotonic_ns();
    const engine::Generation& gen = ew_->begin_batch();
    if (gen.id != gen_id_) {
      gen_id_ = gen.id;
      on_generation(gen, now);
    }
    uint32_t n = qk_xsk__rx_batch(xsk_, rx, kBatch);
    prefetch_headers(rx, n);
    if (n) timer_.begin();
    uint32_t received[2] = {0, 0};
    for (uint32_t i = 0; i < n; i++) {
      int dir = handle(rx[i], now);
      if (dir >= 0) {
        timer_.end(dir);
        received[dir]++;
      } else {
        timer_.skip();
      }
    }
    // `now` was read right before the RX batch: the frames' receive time as this loop saw it.
    for (int d = 0; d < 2; d++) jitter_.received(d, received[d], now, counters_.jitter);
    if (!offlink_->empty()) offlink_replies(now);
    flush_tx();
    publish_counters();
    if (now >= next_expire_ns_) periodic(now);
    if (!n) idle();
  }
  flush_tx();
  publish_counters();
}

// In copy mode the kernel wrote each frame on the CPU that received it (with veth, the sender's),
// so the first touch of its headers here is a cache miss: parse showed as the hottest user-space
// function. Asking for the header lines of the whole batch up front overlaps those misses.
void Worker::prefetch_headers(const qk_desc* rx, uint32_t n) const {
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t* p = qk_umem__data(umem_, rx[i].addr);
    __builtin_prefetch(p, 1);
    __builtin_prefetch(p + 64, 1);  // UDP payload start of IPv6 frames, and a 64-byte payload's end
  }
}

// Nothing received: finish pending TX, then sleep until a frame or a neighbour/route change.
void Worker::idle() {
  if (qk_xsk__tx_outstanding(xsk_)) qk_xsk__kick(xsk_);
  pollfd pfds[3] = {{xsk_->fd, POLLIN, 0}, {qk_nhcache__fd(nh_), POLLIN, 0}, {offlink_->fd(), POLLIN, 0}};
  poll(pfds, offlink_->fd() >= 0 ? 3 : 2, kIdlePollMs);
  qk_nhcache__poll(nh_);
  follow_mac_changes();
}

// The fast path's flows hold the MACs this worker resolved: a next hop that changed its MAC would
// otherwise blackhole kernel-carried sessions, which never come back here to be re-resolved.
void Worker::follow_mac_changes() {
  qk_mac_change m;
  while (qk_nhcache__take_mac_change(nh_, &m))
    if (env_.fast) env_.fast->retarget(m.ifindex, m.old_mac, m.new_mac);
}

// A route change may move a destination the fast path's flows send to (to another gateway): its
// flows would go on sending to the old next hop for as long as the session lasts, since the
// kernel carries them and they never come back here to be resolved again. Followed from the
// periodic pass alone, so route churn elsewhere on the host costs a worker its netlink round
// trips at most five times a second.
void Worker::follow_route_changes(uint64_t now) {
  if (!env_.fast || !env_.fast->active()) return;
  std::vector<qk_hop_move> moves;
  qk_nhcache__follow_routes(
      nh_, now, [](void* ctx, const qk_hop_move* m) { static_cast<std::vector<qk_hop_move>*>(ctx)->push_back(*m); },
      &moves);
  if (moves.empty()) return;
  env_.fast->reroute(moves, env_.ifindex, [this](int ifindex) { return env_.mac_of(ifindex); });
}

// A few times a second, also under load: session expiry and the socket's kernel drop counters.
void Worker::periodic(uint64_t now) {
  next_expire_ns_ = now + kExpireEveryNs;
  timer_.recalibrate();
  qk_nhcache__poll(nh_);
  follow_mac_changes();
  follow_route_changes(now);
  env_.sessions->expire(now);
  if (env_.n_forwards && env_.fast) {
    offlink_->expire(now, [this](const OfflinkSession& o) {
      qk_session s{};
      s.client = o.client;
      s.endpoint = o.endpoint;
      s.port = o.port;
      s.flows = kFlowRead | kFlowWrite;
      return env_.fast->last_used(s);
    });
  } else {
    offlink_->expire(now);
  }
  xdp_statistics st;
  if (qk_xsk__kernel_stats(xsk_, &st) == 0) {
    publish(counters_.k_rx_dropped, st.rx_dropped);
    publish(counters_.k_rx_invalid, st.rx_invalid_descs);
    publish(counters_.k_tx_invalid, st.tx_invalid_descs);
    publish(counters_.k_rx_ring_full, st.rx_ring_full);
    publish(counters_.k_fill_ring_empty, st.rx_fill_ring_empty_descs);
    publish(counters_.k_tx_ring_empty, st.tx_ring_empty_descs);
  }
}

void Worker::publish_counters() {
  const qk_xsk_counters& x = xsk_->counters;
  const qk_umem_counters& u = umem_->counters;
  publish(counters_.rx_packets, x.rx_packets);
  publish(counters_.rx_bytes, x.rx_bytes);
  publish(counters_.rx_wakeups, x.rx_wakeups);
  publish(counters_.tx_kicks, x.tx_kicks);
  publish(counters_.tx_kick_retries, x.tx_kick_retries);
  publish(counters_.tx_kick_errors, x.tx_kick_errors);
  publish(counters_.tx_ring_full, x.tx_ring_full);
  publish(counters_.fill_short, u.fill_short);
  publish(counters_.umem_exhausted, u.alloc_failed);
  timer_.publish(counters_.processing);
}

}  // namespace qk::xdp
