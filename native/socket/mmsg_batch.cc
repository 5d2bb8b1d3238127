// SPDX-License-Identifier: Apache-2.0
#include "native/socket/mmsg_batch.h"

#include <cerrno>
#include <cstring>

namespace qk::socket {

RecvBatch::RecvBatch() : buffers_(new uint8_t[size_t(kBatch) * kSlotCapacity]) {
  std::memset(msgs_, 0, sizeof(msgs_));
  for (unsigned i = 0; i < kBatch; i++) {
    iov_[i] = iovec{slot(i) + kHeadroom, kRecvLen};
    msgs_[i].msg_hdr.msg_iov = &iov_[i];
    msgs_[i].msg_hdr.msg_iovlen = 1;
  }
}

int RecvBatch::receive(int fd, WorkerCounters& counters, Direction dir) {
  for (unsigned i = 0; i < kBatch; i++) {
    // recvmmsg overwrites the name length and flags; reset them for every call.
    msgs_[i].msg_hdr.msg_name = &addrs_[i];
    msgs_[i].msg_hdr.msg_namelen = sizeof(addrs_[i]);
    msgs_[i].msg_hdr.msg_flags = 0;
  }
  int n = recvmmsg(fd, msgs_, kBatch, MSG_DONTWAIT, nullptr);
  if (n >= 0) return n;
  // EAGAIN: nothing left to read (level-triggered epoll can report a socket we drained).
  // Anything else is an error, counted but not a drop: no datagram was taken off the queue.
  if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) counters.error(dir, QK_DROP_IO);
  return 0;
}

void SendBatch::add(int fd, const uint8_t* data, uint32_t len, const sockaddr_in6& to) {
  unsigned i = count_++;
  fds_[i] = fd;
  addrs_[i] = to;
  iov_[i] = iovec{const_cast<uint8_t*>(data), len};
  std::memset(&msgs_[i], 0, sizeof(msgs_[i]));
  msgs_[i].msg_hdr.msg_name = &addrs_[i];
  msgs_[i].msg_hdr.msg_namelen = sizeof(addrs_[i]);
  msgs_[i].msg_hdr.msg_iov = &iov_[i];
  msgs_[i].msg_hdr.msg_iovlen = 1;
}

void SendBatch::flush(WorkerCounters& counters, qk::engine::Worker& drops, Direction dir) {
  unsigned start = 0;
  while (start < count_) {
    unsigned end = start + 1;
    while (end < count_ && fds_[end] == fds_[start]) end++;
    start = send_run(start, end, counters, drops, dir);
  }
  count_ = 0;
}

// Sends msgs [start, end) on one socket; a failed datagram is counted and skipped so one
// bad destination never holds back the rest of the batch. Returns end.
unsigned SendBatch::send_run(unsigned start, unsigned end, WorkerCounters& counters, qk::engine::Worker& drops,
                             Direction dir) {
  while (start < end) {
    int n = sendmmsg(fds_[start], &msgs_[start], end - start, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      drops.count_drop(dir == kWrite, QK_DROP_IO);
      counters.error(dir, QK_DROP_IO);
      start++;
      continue;
    }
    for (int k = 0; k < n; k++) counters.sent(dir, iov_[start + k].iov_len);
    start += unsigned(n);
  }
  return end;
}

}  // namespace qk::socket
