// SPDX-License-Identifier: Apache-2.0
// Fixed receive and send batches for recvmmsg/sendmmsg, allocated once per worker so the
// packet loop never allocates.
#pragma once
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <memory>

#include "native/engine/engine.h"
#include "native/socket/counters.h"

namespace qk::socket {

// Packets per recvmmsg call.
constexpr unsigned kBatch = 64;
// A receive slot holds any UDP payload (at most 65527 bytes, over IPv6), so MSG_TRUNC
// should never be seen; it is still checked and counted. Room before and after the payload
// lets filters (Concatenate) prepend and append in place; the engine moves the payload
// inside the slot if one side runs short and drops as `packet too large` if the slot does.
constexpr uint32_t kRecvLen = 65536;
constexpr uint32_t kHeadroom = 1024;
constexpr uint32_t kSlotCapacity = kHeadroom + kRecvLen + 1024;
// Largest payload we send: the IPv4 UDP limit, so a packet's fate does not depend on
// which family the destination has.
constexpr uint32_t kMaxSend = 65507;

class RecvBatch {
 public:
  RecvBatch();
  // One recvmmsg on fd; returns the number of datagrams (0 when none were ready).
  int receive(int fd, WorkerCounters& counters, Direction dir);
  // The slot of datagram i as the engine's packet buffer (payload at kHeadroom).
  qk::engine::PacketBuf packet(unsigned i) {
    return qk::engine::PacketBuf::wrap(slot(i), kSlotCapacity, kHeadroom, msgs_[i].msg_len);
  }
  bool truncated(unsigned i) const { return (msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0; }
  const sockaddr_in6& source(unsigned i) const { return addrs_[i]; }

 private:
  uint8_t* slot(unsigned i) { return buffers_.get() + size_t(i) * kSlotCapacity; }

  std::unique_ptr<uint8_t[]> buffers_;
  mmsghdr msgs_[kBatch];
  iovec iov_[kBatch];
  sockaddr_in6 addrs_[kBatch];
};

// Outgoing datagrams, each with its own socket; runs of the same socket go out in one
// sendmmsg. Payload pointers refer to RecvBatch slots, so flush before the next receive.
class SendBatch {
 public:
  static constexpr unsigned kCapacity = 256;

  bool full() const { return count_ == kCapacity; }
  void add(int fd, const uint8_t* data, uint32_t len, const sockaddr_in6& to);
  // Sends everything; counts each datagram as sent, or as an `io` drop and error.
  void flush(WorkerCounters& counters, qk::engine::Worker& drops, Direction dir);

 private:
  unsigned send_run(unsigned start, unsigned end, WorkerCounters& counters, qk::engine::Worker& drops, Direction dir);

  unsigned count_ = 0;
  int fds_[kCapacity];
  mmsghdr msgs_[kCapacity];
  iovec iov_[kCapacity];
  sockaddr_in6 addrs_[kCapacity];
};

}  // namespace qk::socket
