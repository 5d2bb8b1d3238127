// SPDX-License-Identifier: Apache-2.0
#include "native/socket/worker.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

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

std::unique_ptr<Worker> Worker::create(const WorkerSettings& settings, int listen_fd, GenerationSlot& slot,
                                       SessionBudget& budget, int* err) {
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
    *err = -errno;
    if (epoll_fd >= 0) close(epoll_fd);
    if (wake_fd >= 0) close(wake_fd);
    close(listen_fd);
    return nullptr;
  }
  return std::unique_ptr<Worker>(new Worker(settings, listen_fd, epoll_fd, wake_fd, slot, budget));
}

Worker::Worker(const WorkerSettings& settings, int listen_fd, int epoll_fd, int wake_fd, GenerationSlot& slot,
               SessionBudget& budget)
    : settings_(settings),
      listen_fd_(listen_fd),
      epoll_fd_(epoll_fd),
      wake_fd_(wake_fd),
      slot_(slot),
      counters_(new WorkerCounters()),
      shard_(new SessionShard(budget, *counters_, epoll_fd)),
      rx_(new RecvBatch()),
      tx_(new SendBatch()) {}

Worker::~Worker() { stop(); }

void Worker::start() { thread_ = std::thread([this] { run(); }); }

void Worker::stop() {
  if (thread_.joinable()) {
    stopping_.store(true, std::memory_order_relaxed);
    uint64_t one = 1;
    // The eventfd wakes epoll_wait at once; if the write fails the poll timeout still ends it.
    if (write(wake_fd_, &one, sizeof(one)) < 0) counters_->errors[kRead][QK_DROP_IO].add(1);
    thread_.join();
  }
  if (listen_fd_ < 0) return;
  shard_->close_all(monotonic_ms());  // no-op if the loop already did it
  shard_.reset();                     // closes the upstream sockets
  close(listen_fd_);
  close(wake_fd_);
  close(epoll_fd_);
  listen_fd_ = wake_fd_ = epoll_fd_ = -1;
}

void Worker::run() {
  // Expire with a granularity of a quarter of the timeout (at most 1 s), so short test
  // timeouts are honoured and the default 60 s costs one sweep a second.
  const int64_t sweep_every = std::clamp<int64_t>(settings_.idle_timeout_ms / 4, 10, 1000);
  const int timeout = int(std::min<int64_t>(kPollMs, sweep_every));
  epoll_event events[kBatch];
  now_ms_ = monotonic_ms();
  int64_t next_sweep = now_ms_ + sweep_every;
  while (!stopping_.load(std::memory_order_relaxed)) {
    int n = epoll_wait(epoll_fd_, events, kBatch, timeout);
    if (n < 0 && errno != EINTR) counters_->errors[kRead][QK_DROP_IO].add(1);
    slot_.refresh(&seen_version_, &generation_);
    now_ms_ = monotonic_ms();
    for (int i = 0; i < n; i++) {
      uint64_t tag = events[i].data.u64;
      if (tag == kEpollListen)
        on_downstream();
      else if (tag >= kEpollUpstreamBase)
        on_upstream(uint32_t(tag - kEpollUpstreamBase));
    }
    if (now_ms_ >= next_sweep) {
      shard_->expire(now_ms_, settings_.idle_timeout_ms);
      next_sweep = now_ms_ + sweep_every;
    }
  }
  shard_->close_all(monotonic_ms());
  // Let go of the generation on this thread so an old chain is never kept alive by a
  // stopped worker.
  generation_.reset();
}

void Worker::on_downstream() {
  WorkerCounters& c = *counters_;
  int n = rx_->receive(listen_fd_, c, kRead);
  const Generation* gen = generation_.get();
  for (int i = 0; i < n; i++) {
    if (rx_->truncated(i)) {
      c.drop(kRead, QK_DROP_TOO_LARGE);
      continue;
    }
    if (!gen || gen->endpoints.empty()) {
      c.drop(kRead, QK_DROP_NO_UPSTREAM_ENDPOINTS);
      continue;
    }
    AddrKey client = addr_key__from_sockaddr(rx_->source(i));
    PacketView packet{rx_->data(i), rx_->length(i), kSlotCapacity};
    dests_.count = 0;
    qk_drop_reason reason = gen->pipelines[settings_.index]->read(client, packet, dests_);
    if (reason == QK_DROP_NONE && packet.len > kMaxSend) reason = QK_DROP_TOO_LARGE;
    if (reason != QK_DROP_NONE) {
      c.drop(kRead, reason);
      continue;
    }
    if (dests_.count == 0) {
      for (const Endpoint& ep : gen->endpoints) forward_upstream(client, packet.data, packet.len, ep, now_ms_);
      continue;
    }
    for (uint32_t d = 0; d < dests_.count; d++) {
      if (dests_.index[d] < gen->endpoints.size())
        forward_upstream(client, packet.data, packet.len, gen->endpoints[dests_.index[d]], now_ms_);
      else
        c.drop(kRead, QK_DROP_NO_UPSTREAM_ENDPOINTS);
    }
  }
  tx_->flush(c, kRead);
}

void Worker::forward_upstream(const AddrKey& client, const uint8_t* data, uint32_t len, const Endpoint& ep,
                              int64_t now) {
  if (!ep.resolved) {
    counters_->error(kRead, QK_DROP_IO);
    return;
  }
  qk_drop_reason why = QK_DROP_NONE;
  Session* session = shard_->acquire(SessionKey{client, ep.addr}, now, &why);
  if (!session) {
    counters_->drop(kRead, why);
    return;
  }
  int fd = shard_->upstream_fd(session->socket_index);
  if (tx_->full()) tx_->flush(*counters_, kRead);
  tx_->add(fd, data, len, ep.sockaddr);
}

void Worker::on_upstream(uint32_t socket_index) {
  WorkerCounters& c = *counters_;
  int n = rx_->receive(shard_->upstream_fd(socket_index), c, kWrite);
  const Generation* gen = generation_.get();
  sockaddr_in6 to;
  for (int i = 0; i < n; i++) {
    if (rx_->truncated(i)) {
      c.drop(kWrite, QK_DROP_TOO_LARGE);
      continue;
    }
    AddrKey source = addr_key__from_sockaddr(rx_->source(i));
    const Session* session = shard_->find_reply(source, socket_index);
    if (!session) {
      c.drop(kWrite, QK_DROP_NO_DOWNSTREAM);
      continue;
    }
    PacketView packet{rx_->data(i), rx_->length(i), kSlotCapacity};
    qk_drop_reason reason = gen ? gen->pipelines[settings_.index]->write(source, session->key.client, packet)
                                : QK_DROP_NONE;
    if (reason != QK_DROP_NONE) {
      c.error(kWrite, reason);  // Quilkin counts a write-side filter drop as an error too
      continue;
    }
    if (packet.len > kMaxSend) {
      c.drop(kWrite, QK_DROP_TOO_LARGE);
      continue;
    }
    addr_key__to_sockaddr(session->key.client, &to);
    if (tx_->full()) tx_->flush(c, kWrite);
    tx_->add(listen_fd_, packet.data, packet.len, to);
  }
  tx_->flush(c, kWrite);
}

}  // namespace qk::socket
