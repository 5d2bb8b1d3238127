// SPDX-License-Identifier: Apache-2.0
// The per-frame path of an AF_XDP worker. A received frame is either forwarded by rewriting it in
// place (the last destination), copied for fan-out, answered (QCMP), sent through the kernel
// (endpoint off this interface) or dropped with a counted reason; it is never lost silently.
// Directions are Quilkin's: a read goes from a client to an endpoint, a write back.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "native/net/csum.h"
#include "native/xdp/worker.h"

namespace qk::xdp {

namespace {

constexpr uint8_t kQcmpDir = 2;  // tx_dir_ of QCMP replies (not a Quilkin direction)
constexpr uint32_t kQcmpPing = 17, kQcmpPong = 33;

// Arriving on the wire, a loopback source or the proxy's own address is spoofed (a martian): the
// kernel would refuse it, and answering it would send to ourselves.
bool martian(const qk_addr& client, const qk_addr& local) {
  static const uint8_t kLoopback6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  if (client.family == 4 && client.addr[0] == 127) return true;
  if (client.family == 6 && std::memcmp(client.addr, kLoopback6, 16) == 0) return true;
  return client.family == local.family && std::memcmp(client.addr, local.addr, client.family == 4 ? 4 : 16) == 0;
}

uint64_t realtime_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

void store_be64(uint8_t* p, uint64_t v) {
  qk_store_be32(p, uint32_t(v >> 32));
  qk_store_be32(p + 4, uint32_t(v));
}

// The chain may have trimmed, grown or moved the payload inside the frame (PacketBuf re-centres
// it when one end runs out of room). Put the headers back right in front of it. Returns whether
// the payload changed, which makes the rewrite compute the UDP checksum in full (after Checksums
// verified the incoming ones).
bool rejoin(qk_frame& f, qk_frame_info& fi, const engine::PacketBuf& pkt, uint32_t orig_len) {
  uint8_t* payload = pkt.base + pkt.head;
  if (pkt.head) {
    uint8_t* start = payload - fi.payload_off;
    std::memmove(start, f.data, fi.payload_off);
    f.headroom += uint32_t(start - f.data);
    f.data = start;
  }
  fi.payload_len = uint16_t(pkt.len);
  f.len = fi.payload_off + pkt.len;
  return pkt.head != 0 || pkt.len != orig_len;
}

// The incoming checksums of one frame (issue 17). When only header fields change, the rewrite
// patches both checksums incrementally, so an error in the received datagram survives and the
// receiver drops it. Checksums computed afresh (the chain changed the payload; a family switch, IPv4
// options or IPv6 extension headers make the rewrite rebuild the headers; the off-link path's
// kernel socket) would deliver corrupted data as good, so such frames are verified first and a bad
// one is a counted `bad checksum` drop. Verifying rather than folding the chain's edit into the old
// checksum: edits are arbitrary (Compress), folding needs the old payload's sum all the same, and
// a drop we count beats a frame the receiver discards silently. The verify needs the bytes as
// received, so it runs before a chain that can edit the payload (Chain::edits_payload), and
// otherwise only when the rewrite turns out to need fresh checksums.
//
// Partial checksums: a socket sending over veth with TX checksum offload on (the default) leaves
// the UDP field holding only the pseudo-header sum (CHECKSUM_PARTIAL) for the "device" to finish.
// veth passes the skb on as it is, native and generic XDP alike hand that frame to AF_XDP
// unfinished, and AF_XDP carries no checksum status. Such a datagram never left the host, so it is
// accepted and its checksum computed in full (QK_RW_PAYLOAD_CHANGED); the incremental patch would
// turn it into a wrong complete one (what docs/xdp.md used to tell veth users to avoid with
// `ethtool -K DEV tx off`). Looking for it costs a pseudo-header sum per frame.
class Checksums {
 public:
  // Before the chain. False: a checksum is wrong (the frame is dropped).
  bool before_chain(const uint8_t* data, const qk_frame_info& fi, bool chain_edits) {
    if (chain_edits) {
      state_ = qk_frame__check_csum(data, &fi);
    } else if (qk_frame__csum_partial(data, &fi)) {
      state_ = QK_CSUM_PARTIAL;
    }
    return state_ != QK_CSUM_BAD;
  }
  uint32_t rewrite_flags(bool changed) const {
    return changed || state_ == QK_CSUM_PARTIAL ? QK_RW_PAYLOAD_CHANGED : 0;
  }
  // Before checksums are computed afresh. An unchanged payload is still as received; a changed one
  // was verified before the chain (unless a filter edits without saying so: nothing left to check).
  bool fresh_ok(const uint8_t* data, const qk_frame_info& fi, bool changed) {
    if (state_ < 0 && !changed) state_ = qk_frame__check_csum(data, &fi);
    return state_ != QK_CSUM_BAD;
  }

 private:
  int state_ = -1;  // enum qk_csum_state once known
};

bool chain_edits(const engine::Worker& ew) {
  const engine::Generation* gen = ew.pinned();
  return gen && gen->edits_payload();
}

}  // namespace

void Worker::drop(uint64_t addr, Direction dir, uint8_t reason) {
  ew_->count_drop(dir == kWrite, reason);
  qk_umem__free(umem_, addr);
}

int Worker::handle(const qk_desc& d, uint64_t now) {
  uint64_t base = qk_umem__frame_base(umem_, d.addr);
  qk_frame f{qk_umem__data(umem_, d.addr), d.len, uint32_t(d.addr - base)};
  qk_frame_info fi;
  if (qk_frame__parse(f.data, f.len, &fi)) {
    drop(d.addr, kRead, QK_DROP_MALFORMED);
    return kRead;
  }
  qk_addr src, dst;
  qk_frame__addrs(f.data, &fi, &src, &dst);
  const Settings& s = *env_.settings;
  if (dst.port == s.listen_port) {
    read_frame(f, fi, d.addr, src, dst, now);
    return kRead;
  }
  if (dst.port == s.qcmp_port) {
    qcmp(f, fi, d.addr, src, dst);
    return -1;  // not a Quilkin read or write
  }
  if (dst.port >= s.session_port_min && dst.port <= s.session_port_max) {
    write_frame(f, fi, d.addr, src, dst.port, now);
    return kWrite;
  }
  // The program redirected a port we no longer serve (a port change racing the map write).
  drop(d.addr, kRead, QK_DROP_MALFORMED);
  return kRead;
}

int Worker::next_hop(const qk_addr& to, uint64_t now, qk_nexthop* nh) {
  int err = qk_nhcache__lookup(nh_, to.family, to.addr, now, nh);
  if (err == -EAGAIN) return kNeighbourPending;
  if (err == -EHOSTUNREACH) return QK_DROP_NEIGHBOUR_UNRESOLVED;  // resolution failed: nobody answers
  if (err == -EADDRNOTAVAIL) return kOfflink;                     // a local address: only the kernel delivers it
  if (err) return QK_DROP_NO_ROUTE;
  if (nh->ifindex != env_.ifindex) return nh->has_src && env_.forward(nh->ifindex) ? kForward : kOfflink;
  if (!nh->has_src) return QK_DROP_NO_ROUTE;
  return 0;
}

void Worker::read_frame(qk_frame& f, qk_frame_info& fi, uint64_t addr, const qk_addr& client, const qk_addr& local,
                        uint64_t now) {
  uint8_t* payload = f.data + fi.payload_off;
  uint8_t* frame_end = qk_umem__data(umem_, qk_umem__frame_base(umem_, addr)) + umem_->frame_size;
  auto pkt = engine::PacketBuf::wrap(payload, uint32_t(frame_end - payload), 0, fi.payload_len);
  const uint32_t orig_len = fi.payload_len;
  const SockAddr source = sockaddr__from_qk(client);
  if (sockaddr__unanswerable(source) || martian(client, local)) {
    drop(addr, kRead, QK_DROP_INVALID_SOURCE_ADDRESS);
    return;
  }
  Checksums csum;
  if (!csum.before_chain(f.data, fi, chain_edits(*ew_))) {
    drop(addr, kRead, QK_DROP_BAD_CHECKSUM);
    return;
  }
  engine::ReadOutcome out = ew_->read(pkt, source);
  if (out.reason != QK_DROP_NONE) {
    qk_umem__free(umem_, addr);  // the engine counted the reason
    return;
  }
  const bool changed = rejoin(f, fi, pkt, orig_len);
  const auto& endpoints = ew_->pinned()->endpoints->endpoints;
  bool consumed = false;
  for (uint32_t j = 0; j < out.n_dest; j++) {
    const engine::Endpoint& ep = endpoints[out.dest[j]];
    if (ep.addr.family == 0) {  // a DNS name the control plane has not resolved
      ew_->count_drop(false, QK_DROP_NO_ROUTE);
      continue;
    }
    const qk_addr to = sockaddr__to_qk(ep.addr);
    uint16_t port = 0;
    uint8_t flows = 0;
    int r = env_.sessions->for_read(client, to, local, now, &port, &flows);
    if (r < 0) {
      ew_->count_drop(false, r == -ENOSPC   ? QK_DROP_SESSION_TABLE_FULL
                             : r == -EDQUOT ? QK_DROP_SOURCE_SESSION_LIMIT
                                            : QK_DROP_SESSION);
      continue;
    }
    qk_nexthop nh;
    int why = next_hop(to, now, &nh);
    // Pending: the kernel queues a datagram while it resolves the neighbour, where the ring
    // would have to drop it; replies still come back through the ring (the session port).
    // Forward: this worker has no ring on that interface, so the kernel sends the first packets
    // and the fast path the rest.
    if (why == kOfflink || why == kNeighbourPending || why == kForward) {
      if (!csum.fresh_ok(f.data, fi, changed)) {
        ew_->count_drop(false, QK_DROP_BAD_CHECKSUM);
        continue;
      }
      offlink_send(f, fi, client, local, port, to, now, why == kOfflink);
      if (why == kForward && !(flows & kFlowRead)) carry_forward_read(client, to, local, port, nh, now);
      continue;
    }
    if (why) {
      ew_->count_drop(false, uint8_t(why));
      continue;
    }
    qk_rewrite rw{};
    std::memcpy(rw.eth_dst, nh.mac, QK_ETH_ALEN);
    rw.src.family = to.family;
    std::memcpy(rw.src.addr, nh.src, sizeof(rw.src.addr));
    rw.src.port = port;
    rw.dst = to;
    rw.ttl = QK_DEFAULT_TTL;
    rw.flags = csum.rewrite_flags(changed);
    if (!qk_frame__can_patch(&f, &fi, &rw) && !csum.fresh_ok(f.data, fi, changed)) {
      ew_->count_drop(false, QK_DROP_BAD_CHECKSUM);
      continue;
    }
    const bool last = j + 1 == out.n_dest;
    emit(f, fi, addr, rw, last, kRead);
    consumed = consumed || last;
    if (!(flows & kFlowRead) && env_.fast && env_.fast->active()) {
      FlowHop hop{rw.src, {}, {}, env_.ifindex};
      std::memcpy(hop.eth_src, env_.mac, QK_ETH_ALEN);
      std::memcpy(hop.eth_dst, nh.mac, QK_ETH_ALEN);
      env_.sessions->carry_read(client, to, local, now, hop);
    }
  }
  if (!consumed) qk_umem__free(umem_, addr);
}

void Worker::write_frame(qk_frame& f, qk_frame_info& fi, uint64_t addr, const qk_addr& endpoint, uint16_t port,
                         uint64_t now) {
  SessionView s;
  if (env_.sessions->for_write(port, endpoint, now, &s)) {
    drop(addr, kWrite, QK_DROP_NO_DOWNSTREAM);
    return;
  }
  uint8_t* payload = f.data + fi.payload_off;
  uint8_t* frame_end = qk_umem__data(umem_, qk_umem__frame_base(umem_, addr)) + umem_->frame_size;
  auto pkt = engine::PacketBuf::wrap(payload, uint32_t(frame_end - payload), 0, fi.payload_len);
  const uint32_t orig_len = fi.payload_len;
  Checksums csum;
  if (!csum.before_chain(f.data, fi, chain_edits(*ew_))) {
    drop(addr, kWrite, QK_DROP_BAD_CHECKSUM);
    return;
  }
  if (ew_->write(pkt, sockaddr__from_qk(endpoint), sockaddr__from_qk(s.client)) != QK_DROP_NONE) {
    qk_umem__free(umem_, addr);  // counted by the engine
    return;
  }
  const bool changed = rejoin(f, fi, pkt, orig_len);
  qk_nexthop nh;
  int why = next_hop(s.client, now, &nh);
  // A client reached us through this interface; a route back elsewhere would also need its source
  // port (the listen port) on a kernel socket, so such replies are dropped as unroutable.
  if (why) {
    drop(addr, kWrite, reply_drop_reason(why));
    return;
  }
  qk_rewrite rw{};
  std::memcpy(rw.eth_dst, nh.mac, QK_ETH_ALEN);
  rw.src = s.local;
  rw.dst = s.client;
  rw.ttl = QK_DEFAULT_TTL;
  rw.flags = csum.rewrite_flags(changed);
  if (!qk_frame__can_patch(&f, &fi, &rw) && !csum.fresh_ok(f.data, fi, changed)) {
    drop(addr, kWrite, QK_DROP_BAD_CHECKSUM);
    return;
  }
  emit(f, fi, addr, rw, true, kWrite);
  if (!(s.flows & kFlowWrite) && env_.fast && env_.fast->active()) {
    FlowHop hop{s.local, {}, {}, env_.ifindex};
    std::memcpy(hop.eth_src, env_.mac, QK_ETH_ALEN);
    std::memcpy(hop.eth_dst, nh.mac, QK_ETH_ALEN);
    env_.sessions->carry_write(port, endpoint, now, hop);
  }
}

// QCMP ping -> pong in the same frame (the kernel never sees packets to the QCMP port once they
// are redirected). The reply goes back the way the ping came: MACs and addresses swapped.
void Worker::qcmp(qk_frame& f, qk_frame_info& fi, uint64_t addr, const qk_addr& from, const qk_addr& to) {
  uint64_t received = realtime_ns();
  uint8_t* p = f.data + fi.payload_off;
  uint8_t* frame_end = qk_umem__data(umem_, qk_umem__frame_base(umem_, addr)) + umem_->frame_size;
  if (fi.payload_len != kQcmpPing || std::memcmp(p, "QLKN", 4) != 0 || p[4] != 0 || p[5] != 0 ||
      qk_load_be16(p + 6) != kQcmpPing - 8) {
    drop(addr, kRead, QK_DROP_MALFORMED);
    return;
  }
  if (qk_frame__set_payload_len(&f, &fi, kQcmpPong, uint32_t(frame_end - f.data))) {
    drop(addr, kRead, QK_DROP_TOO_LARGE);
    return;
  }
  p[5] = 1;  // pong
  qk_store_be16(p + 6, kQcmpPong - 8);
  store_be64(p + 17, received);
  store_be64(p + 25, realtime_ns());
  qk_rewrite rw{};
  std::memcpy(rw.eth_dst, f.data + QK_ETH_ALEN, QK_ETH_ALEN);
  rw.src = to;
  rw.dst = from;
  rw.flags = QK_RW_PAYLOAD_CHANGED;
  emit(f, fi, addr, rw, true, Direction(kQcmpDir));
}

void Worker::emit(const qk_frame& f, const qk_frame_info& fi, uint64_t addr, const qk_rewrite& rw_in, bool in_place,
                  Direction dir) {
  const bool write = dir != kRead;
  if (tx_n_ == kTxMax) flush_tx();
  qk_frame work = f;
  qk_frame_info wi = fi;
  __u64 waddr = addr;
  if (!in_place) {
    if (qk_umem__alloc(umem_, &waddr)) {
      ew_->count_drop(write, QK_DROP_UMEM_EXHAUSTED);
      return;
    }
    if (qk_frame__copy(&f, qk_umem__data(umem_, waddr), umem_->frame_size, kTxHeadroom, &work)) {
      drop(waddr, dir, QK_DROP_TOO_LARGE);
      return;
    }
    bump(counters_.copies);
  }
  qk_rewrite rw = rw_in;
  std::memcpy(rw.eth_src, env_.mac, QK_ETH_ALEN);
  if (qk_frame__rewrite(&work, &wi, &rw)) {
    drop(waddr, write ? kWrite : kRead, QK_DROP_TOO_LARGE);
    return;
  }
  tx_[tx_n_] = qk_desc{uint64_t(work.data - static_cast<uint8_t*>(umem_->area)), work.len};
  tx_dir_[tx_n_] = uint8_t(dir);
  tx_payload_[tx_n_] = wi.payload_len;
  tx_n_++;
}

void Worker::flush_tx() {
  if (!tx_n_) return;
  uint32_t sent = qk_xsk__tx_batch(xsk_, tx_, tx_n_);
  uint64_t packets[3] = {}, bytes[3] = {};
  for (uint32_t i = 0; i < sent; i++) {
    packets[tx_dir_[i]]++;
    bytes[tx_dir_[i]] += tx_payload_[i];
  }
  for (uint32_t i = sent; i < tx_n_; i++) drop(tx_[i].addr, tx_dir_[i] == kRead ? kRead : kWrite, QK_DROP_TX_RING_FULL);
  for (int d = 0; d < 2; d++) {
    if (packets[d]) bump(counters_.sent_packets[d], packets[d]);
    if (bytes[d]) bump(counters_.sent_bytes[d], bytes[d]);
  }
  if (packets[kQcmpDir]) bump(counters_.qcmp_replies, packets[kQcmpDir]);
  tx_n_ = 0;
}

}  // namespace qk::xdp
