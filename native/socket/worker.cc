// SPDX-License-Identifier: Apache-2.0
#include "native/socket/worker.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace qk::socket {

namespace {

// Longest epoll sleep: bounds how late a sweep or a generation pick-up can be when idle.
constexpr int kPollMs = 100;

int64_t monotonic_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace

std::unique_ptr<Worker> Worker::create(const WorkerSettings& settings, int listen_fd, qk::engine::Engine& engine,
                                       SessionBudget& budget, std::string* error) {
  std::unique_ptr<qk::engine::Worker> engine_worker;
  try {
    engine_worker = std::make_unique<qk::engine::Worker>(engine, 0x51c0ffee ^ settings.index);
  } catch (const std::exception& e) {
    *error = e.what();
    close(listen_fd);
    return nullptr;
  }
  int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  int wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event listen_ev{};
  listen_ev.events = EPOLLIN;
  listen_ev.data.u64 = kEpollListen;
  epoll_event wake_ev{};
  wake_ev.events = EPOLLIN;
  wake_ev.data.u64 = kEpollWake;
  if (epoll_fd < 0 || wake_fd < 0 || epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listen_fd, &listen_ev) < 0 ||
      epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd, &wake_ev) < 0) {
    *error = std::string("epoll/eventfd setup: ") + strerror(errno);
    if (epoll_fd >= 0) close(epoll_fd);
    if (wake_fd >= 0) close(wake_fd);
    close(listen_fd);
    return nullptr;
  }
  return std::unique_ptr<Worker>(new Worker(settings, listen_fd, epoll_fd, wake_fd, std::move(engine_worker), budget));
}

Worker::Worker(const WorkerSettings& settings, int listen_fd, int epoll_fd, int wake_fd,
               std::unique_ptr<qk::engine::Worker> engine_worker, SessionBudget& budget)
    : settings_(settings),
      listen_fd_(listen_fd),
      epoll_fd_(epoll_fd),
      wake_fd_(wake_fd),
      engine_(std::move(engine_worker)),
      counters_(new WorkerCounters()),
      shard_(new SessionShard(budget, *counters_, epoll_fd)),
      rx_(new RecvBatch()),
      tx_(new SendBatch()) {}

Worker::~Worker() { stop(); }

void Worker::start() {
  thread_ = std::thread([this] { run(); });
}

void Worker::stop() {
  if (thread_.joinable()) {
    stopping_.store(true, std::memory_order_relaxed);
    uint64_t one = 1;
    // Wakes epoll_wait at once. Should the write fail, the poll timeout ends the loop anyway.
    [[maybe_unused]] ssize_t woke = write(wake_fd_, &one, sizeof(one));
    thread_.join();
  }
  if (listen_fd_ < 0) return;
  shard_->close_all(monotonic_ms());  // no-op if the loop already did it
  shard_.reset();                     // closes the endpoint sockets
  close(listen_fd_);
  close(wake_fd_);
  close(epoll_fd_);
  listen_fd_ = wake_fd_ = epoll_fd_ = -1;
}

void Worker::run() {
  // Expire with a granularity of a quarter of the shorter timeout (at most 1 s), so short test
  // timeouts are honoured and the defaults cost one sweep a second.
  const int64_t shortest = std::min(settings_.timeouts.idle_ms, settings_.timeouts.unreplied_ms);
  const int64_t sweep_every = std::clamp<int64_t>(shortest / 4, 10, 1000);
  const int timeout = int(std::min<int64_t>(kPollMs, sweep_every));
  epoll_event events[kBatch];
  now_ms_ = monotonic_ms();
  int64_t next_sweep = now_ms_ + sweep_every;
  while (!stopping_.load(std::memory_order_relaxed)) {
    int n = epoll_wait(epoll_fd_, events, kBatch, timeout);
    if (n < 0 && errno != EINTR) counters_->error(kRead, QK_DROP_IO);
    now_ms_ = monotonic_ms();
    for (int i = 0; i < n; i++) {
      uint64_t tag = events[i].data.u64;
      if (tag == kEpollListen)
        on_client_socket();
      else if (tag >= kEpollEndpointBase)
        on_endpoint_socket(uint32_t(tag - kEpollEndpointBase));
    }
    if (now_ms_ >= next_sweep) {
      shard_->expire(now_ms_, settings_.timeouts);
      timer_.recalibrate();
      next_sweep = now_ms_ + sweep_every;
    }
  }
  shard_->close_all(monotonic_ms());
}

// Pins the engine's current generation for one batch and, when it changed, rebuilds the
// send-side endpoint table (the only allocation, once per config change).
void Worker::begin_batch() {
  const qk::engine::Generation& gen = engine_->begin_batch();
  if (gen.id == targets_generation_) return;
  targets_generation_ = gen.id;
  targets_.clear();
  if (!gen.endpoints) return;
  for (const qk::engine::Endpoint& ep : gen.endpoints->endpoints) {
    Target t{};
    t.routable = ep.addr.family != 0;
    // Canonical, so a session key is the same however the endpoint's IPv4 address was written.
    if (t.routable) t.key = sockaddr__canonical(ep.addr);
    t.addr = sockaddr__to_in6(t.key);
    targets_.push_back(t);
  }
}

void Worker::on_client_socket() {
  int n = rx_->receive(listen_fd_, *counters_, kRead);
  if (n == 0) return;
  jitter_.received(kRead, uint32_t(n), qk::timing::monotonic_ns(), counters_->jitter);
  begin_batch();
  timer_.begin();
  for (int i = 0; i < n; i++) {
    read_packet(i);
    timer_.end(kRead);
  }
  timer_.publish(counters_->processing);
  tx_->flush(*counters_, *engine_, kRead);
}

void Worker::read_packet(int i) {
  qk::engine::Worker& engine = *engine_;
  if (rx_->truncated(i)) {
    engine.count_drop(false, QK_DROP_TOO_LARGE);
    return;
  }
  const SockAddr client = sockaddr__from_in6(rx_->source(i));
  if (sockaddr__unanswerable(client)) {
    engine.count_drop(false, QK_DROP_INVALID_SOURCE_ADDRESS);
    return;
  }
  qk::engine::PacketBuf packet = rx_->packet(i);
  qk::engine::ReadOutcome out = engine.read(packet, client);
  if (out.reason != QK_DROP_NONE) return;  // the engine counted it
  if (packet.len > kMaxSend) {
    engine.count_drop(false, QK_DROP_TOO_LARGE);
    return;
  }
  for (uint32_t d = 0; d < out.n_dest; d++) {
    if (out.dest[d] < targets_.size())
      send_to_endpoint(client, packet.data(), packet.len, targets_[out.dest[d]]);
    else
      engine.count_drop(false, QK_DROP_NO_UPSTREAM_ENDPOINTS);
  }
}

void Worker::send_to_endpoint(const SockAddr& client, const uint8_t* data, uint32_t len, const Target& to) {
  if (!to.routable) {
    engine_->count_drop(false, QK_DROP_NO_ROUTE);
    return;
  }
  qk_drop_reason why = QK_DROP_NONE;
  Session* session = shard_->acquire(SessionKey{client, to.key}, now_ms_, &why);
  if (!session) {
    engine_->count_drop(false, why);
    return;
  }
  int fd = shard_->endpoint_fd(session->socket_index);
  if (tx_->full()) tx_->flush(*counters_, *engine_, kRead);
  tx_->add(fd, data, len, to.addr);
}

void Worker::on_endpoint_socket(uint32_t socket_index) {
  int n = rx_->receive(shard_->endpoint_fd(socket_index), *counters_, kWrite);
  if (n == 0) return;
  jitter_.received(kWrite, uint32_t(n), qk::timing::monotonic_ns(), counters_->jitter);
  begin_batch();
  timer_.begin();
  for (int i = 0; i < n; i++) {
    write_packet(i, socket_index);
    timer_.end(kWrite);
  }
  timer_.publish(counters_->processing);
  tx_->flush(*counters_, *engine_, kWrite);
}

void Worker::write_packet(int i, uint32_t socket_index) {
  qk::engine::Worker& engine = *engine_;
  if (rx_->truncated(i)) {
    engine.count_drop(true, QK_DROP_TOO_LARGE);
    return;
  }
  const SockAddr source = sockaddr__from_in6(rx_->source(i));
  const Session* session = shard_->on_reply(source, socket_index);
  if (!session) {
    engine.count_drop(true, QK_DROP_NO_DOWNSTREAM);
    return;
  }
  if (sockaddr__unanswerable(source)) {
    engine.count_drop(false, QK_DROP_INVALID_SOURCE_ADDRESS);
    return;
  }
  qk::engine::PacketBuf packet = rx_->packet(i);
  uint8_t reason = engine.write(packet, source, session->key.client);
  if (reason != QK_DROP_NONE) {
    counters_->error(kWrite, reason);  // Quilkin counts a reply-side filter drop as an error too
    return;
  }
  if (packet.len > kMaxSend) {
    engine.count_drop(true, QK_DROP_TOO_LARGE);
    return;
  }
  const sockaddr_in6 to = sockaddr__to_in6(session->key.client);
  if (tx_->full()) tx_->flush(*counters_, engine, kWrite);
  tx_->add(listen_fd_, packet.data(), packet.len, to);
}

}  // namespace qk::socket
