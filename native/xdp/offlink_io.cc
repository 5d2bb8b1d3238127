// SPDX-License-Identifier: Apache-2.0
// The worker's side of the off-link path: a datagram for an endpoint off this interface leaves
// through the session's kernel socket, and the endpoint's replies, read from those sockets, are
// framed and sent to the client through the AF_XDP ring like any other reply.
#include <arpa/inet.h>

#include <cstdio>
#include <cstring>

#include "native/net/csum.h"
#include "native/xdp/worker.h"

namespace qk::xdp {

namespace {

constexpr uint32_t kMaxHeaders = QK_ETH_HLEN + QK_IPV6_HLEN + QK_UDP_HLEN;

// Minimal Ethernet/IP/UDP headers in front of a payload, addressed local -> client. Their
// checksums and MACs are filled by qk_frame__rewrite (a rebuild, since the payload is new).
uint8_t* write_headers(uint8_t* payload, uint32_t len, const qk_addr& from, const qk_addr& to) {
  const bool v4 = to.family == QK_INET4;
  const uint32_t l3 = v4 ? QK_IPV4_HLEN : QK_IPV6_HLEN;
  uint8_t* start = payload - (QK_ETH_HLEN + l3 + QK_UDP_HLEN);
  uint8_t* ip = start + QK_ETH_HLEN;
  uint8_t* udp = ip + l3;
  std::memset(start, 0, QK_ETH_HLEN + l3 + QK_UDP_HLEN);
  qk_store_be16(start + 12, v4 ? 0x0800 : 0x86dd);
  if (v4) {
    ip[0] = 0x45;
    qk_store_be16(ip + 2, uint16_t(QK_IPV4_HLEN + QK_UDP_HLEN + len));
    ip[8] = QK_DEFAULT_TTL;
    ip[9] = 17;
    std::memcpy(ip + 12, from.addr, 4);
    std::memcpy(ip + 16, to.addr, 4);
  } else {
    ip[0] = 0x60;
    qk_store_be16(ip + 4, uint16_t(QK_UDP_HLEN + len));
    ip[6] = 17;
    ip[7] = QK_DEFAULT_TTL;
    std::memcpy(ip + 8, from.addr, 16);
    std::memcpy(ip + 24, to.addr, 16);
  }
  qk_store_be16(udp, from.port);
  qk_store_be16(udp + 2, to.port);
  qk_store_be16(udp + 4, uint16_t(QK_UDP_HLEN + len));
  return start;
}

}  // namespace

void Worker::offlink_send(const qk_frame& f, const qk_frame_info& fi, const qk_addr& client, const qk_addr& local,
                          uint16_t port, const qk_addr& to, uint64_t now, bool off_interface) {
  // The note names an endpoint that always takes this path; one only waiting for its neighbour
  // entry is counted (offlink, and the next-hop cache's unresolved) but not noted.
  if (off_interface && !offlink_noted_.load(std::memory_order_relaxed)) {
    char ip[64];
    inet_ntop(to.family == QK_INET4 ? AF_INET : AF_INET6, to.addr, ip, sizeof(ip));
    std::snprintf(offlink_note_, sizeof(offlink_note_), "%s port %u", ip, unsigned(to.port));
    offlink_noted_.store(true, std::memory_order_release);
  }
  if (offlink_->send(client, local, port, to, f.data + fi.payload_off, fi.payload_len, now)) {
    ew_->count_drop(false, QK_DROP_IO);
    return;
  }
  bump(counters_.offlink[kRead]);
  bump(counters_.sent_packets[kRead]);
  bump(counters_.sent_bytes[kRead], fi.payload_len);
}

void Worker::offlink_replies(uint64_t now) {
  offlink_->receive(offlink_buf_, sizeof(offlink_buf_), kBatch, now,
                    [this, now](const OfflinkSession& s, uint32_t len) {
                      timer_.begin();  // after its recv(): one syscall per reply on this path
                      offlink_reply(s, len, now);
                      timer_.end(kWrite);
                    });
}

void Worker::offlink_reply(const OfflinkSession& s, uint32_t len, uint64_t now) {
  // As on the ring path: the session table says whose session the port is now, and learns that
  // the endpoint answered (an answered session is never evicted, and idles for the full timeout).
  SessionView v;
  if (env_.sessions->for_write(s.port, s.endpoint, now, &v)) {
    ew_->count_drop(true, QK_DROP_NO_DOWNSTREAM);
    return;
  }
  __u64 addr;
  if (qk_umem__alloc(umem_, &addr)) {
    ew_->count_drop(true, QK_DROP_UMEM_EXHAUSTED);
    return;
  }
  uint8_t* base = qk_umem__data(umem_, addr);
  uint8_t* payload = base + kTxHeadroom + kMaxHeaders;
  const uint32_t room = umem_->frame_size - kTxHeadroom - kMaxHeaders;
  if (len > room) {
    drop(addr, kWrite, QK_DROP_TOO_LARGE);
    return;
  }
  std::memcpy(payload, offlink_buf_, len);
  auto pkt = engine::PacketBuf::wrap(payload, room, 0, len);
  if (ew_->write(pkt, sockaddr__from_qk(s.endpoint), sockaddr__from_qk(v.client)) != QK_DROP_NONE) {
    qk_umem__free(umem_, addr);  // counted by the engine
    return;
  }
  uint8_t* start = write_headers(pkt.base + pkt.head, pkt.len, v.local, v.client);
  qk_frame f{start, uint32_t(pkt.base + pkt.head + pkt.len - start), uint32_t(start - base)};
  qk_frame_info fi;
  qk_nexthop nh;
  int why = qk_frame__parse(f.data, f.len, &fi) ? int(QK_DROP_MALFORMED) : next_hop(v.client, now, &nh);
  if (why) {
    drop(addr, kWrite, reply_drop_reason(why));
    return;
  }
  bump(counters_.offlink[kWrite]);
  qk_rewrite rw{};
  std::memcpy(rw.eth_dst, nh.mac, QK_ETH_ALEN);
  rw.src = v.local;
  rw.dst = v.client;
  rw.flags = QK_RW_PAYLOAD_CHANGED;
  emit(f, fi, addr, rw, true, kWrite);
  if (!(v.flows & kFlowWrite)) carry_forward_write(s, v, nh, now);
}

// Two-armed: the endpoint's route leaves by a forward interface, where the program runs too. The
// read flow sends out of it with the source the kernel's socket uses (the route's), so the
// endpoint sees one peer whichever tier sent.
void Worker::carry_forward_read(const qk_addr& client, const qk_addr& to, const qk_addr& local, uint16_t port,
                                const qk_nexthop& nh, uint64_t now) {
  const ForwardIface* out = env_.forward(nh.ifindex);
  if (!out || !env_.fast || !env_.fast->active()) return;
  FlowHop hop{};
  hop.src.family = to.family;
  std::memcpy(hop.src.addr, nh.src, sizeof(hop.src.addr));
  hop.src.port = port;
  std::memcpy(hop.eth_src, out->mac, QK_ETH_ALEN);
  std::memcpy(hop.eth_dst, nh.mac, QK_ETH_ALEN);
  hop.ifindex = nh.ifindex;
  env_.sessions->carry_read(client, to, local, now, hop);
}

// The endpoint's replies reach the forward interface's program; its write flow sends them to the
// client out of this interface, as the ring does.
void Worker::carry_forward_write(const OfflinkSession& s, const SessionView& v, const qk_nexthop& client_hop,
                                 uint64_t now) {
  if (!env_.n_forwards || !env_.fast || !env_.fast->active()) return;
  qk_nexthop to_endpoint;
  if (next_hop(s.endpoint, now, &to_endpoint) != kForward) return;
  FlowHop hop{v.local, {}, {}, env_.ifindex};
  std::memcpy(hop.eth_src, env_.mac, QK_ETH_ALEN);
  std::memcpy(hop.eth_dst, client_hop.mac, QK_ETH_ALEN);
  env_.sessions->carry_write(s.port, s.endpoint, now, hop);
}

}  // namespace qk::xdp
