// SPDX-License-Identifier: Apache-2.0
#include "native/xdp/fast_path.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <unordered_map>

#include "bpf/lib/map_names.h"
#include "native/xdp/percpu_array.h"

namespace qk::xdp {

namespace {

// A packet reads the bank it started with until it leaves the program (microseconds); the bank
// it left is rewritten no sooner than this after the switch.
constexpr auto kBankQuiet = std::chrono::milliseconds(10);

int fd_of(bpf_object* obj, const char* name) {
  bpf_map* m = bpf_object__find_map_by_name(obj, name);
  return m ? bpf_map__fd(m) : -1;
}

void key_addr(const qk_addr& a, uint8_t* out) { std::memcpy(out, a.addr, 16); }

qk_fast_flow_key read_key(const qk_session& s) {
  qk_fast_flow_key k{};
  k.dir = QK_FAST_DIR_READ;
  k.family = s.client.family;
  k.port_a = s.client.port;
  key_addr(s.client, k.addr_a);
  k.port_b = s.endpoint.port;
  key_addr(s.endpoint, k.addr_b);
  return k;
}

qk_fast_flow_key write_key(const qk_session& s) {
  qk_fast_flow_key k{};
  k.dir = QK_FAST_DIR_WRITE;
  k.family = s.endpoint.family;
  k.port_a = s.endpoint.port;
  key_addr(s.endpoint, k.addr_a);
  k.port_b = s.port;
  return k;
}

qk_fast_flow flow_to(const qk_addr& dst, const FlowHop& hop, uint64_t now_ns) {
  qk_fast_flow f{};
  std::memcpy(f.src_addr, hop.src.addr, 16);
  std::memcpy(f.dst_addr, dst.addr, 16);
  f.src_port = hop.src.port;
  f.dst_port = dst.port;
  f.family = dst.family;
  std::memcpy(f.eth_src, hop.eth_src, 6);
  std::memcpy(f.eth_dst, hop.eth_dst, 6);
  f.ifindex = uint32_t(hop.ifindex);
  f.last_seen_ns = now_ns;
  return f;
}

}  // namespace

std::unique_ptr<FastPath> FastPath::open(bpf_object* obj) {
  std::unique_ptr<FastPath> p(new FastPath());
  p->ctl_fd_ = fd_of(obj, QK_NAME(QK_MAP_FAST_CTL));
  p->banks_fd_ = fd_of(obj, QK_NAME(QK_MAP_FAST_BANKS));
  p->steps_fd_ = fd_of(obj, QK_NAME(QK_MAP_FAST_STEPS));
  p->eps_fd_ = fd_of(obj, QK_NAME(QK_MAP_FAST_EPS));
  p->tokens_fd_ = fd_of(obj, QK_NAME(QK_MAP_FAST_TOKENS));
  p->fw_fd_ = fd_of(obj, QK_NAME(QK_MAP_FAST_FW));
  p->flows_fd_ = fd_of(obj, QK_NAME(QK_MAP_FAST_FLOWS));
  p->cells_fd_ = fd_of(obj, QK_NAME(QK_MAP_FAST_CELLS));
  p->ifaces_fd_ = fd_of(obj, QK_NAME(QK_MAP_FAST_IFACES));
  for (int fd : {p->ctl_fd_, p->banks_fd_, p->steps_fd_, p->eps_fd_, p->tokens_fd_, p->fw_fd_, p->flows_fd_,
                 p->cells_fd_, p->ifaces_fd_})
    if (fd < 0) return nullptr;
  return p;
}

int FastPath::write_all(int fd, const MapEntries& m, const char* what, size_t key_size, size_t value_size,
                        std::string* error) {
  for (size_t i = 0; i < m.keys.size(); i++) {
    // The kernel reads exactly the map's sizes from these buffers.
    if (m.keys[i].size() != key_size || m.values[i].size() != value_size) {
      *error = std::string("fast path: ") + what + " entry " + std::to_string(i) + " is " +
               std::to_string(m.keys[i].size()) + "+" + std::to_string(m.values[i].size()) + " bytes, the map takes " +
               std::to_string(key_size) + "+" + std::to_string(value_size);
      return -EINVAL;
    }
    if (bpf_map_update_elem(fd, m.keys[i].data(), m.values[i].data(), BPF_ANY)) {
      int err = -errno;
      *error = std::string("fast path: writing ") + what + " entry " + std::to_string(i) + ": " + std::strerror(errno);
      return err;
    }
  }
  return 0;
}

int FastPath::load(const FastImage& image, uint64_t generation, std::string* error) {
  const uint32_t bank = idle_bank();
  if (image.bank != bank) {
    *error = "fast path: image built for bank " + std::to_string(image.bank) + ", idle bank is " + std::to_string(bank);
    return -EINVAL;
  }
  auto since = std::chrono::steady_clock::now() - switched_;
  if (since < kBankQuiet) std::this_thread::sleep_for(kBankQuiet - since);
  // The idle bank's old tokens go first: a token the new chain dropped must not route.
  for (const auto& key : tokens_of_[bank]) bpf_map_delete_elem(tokens_fd_, key.data());
  tokens_of_[bank].clear();
  const size_t u32 = sizeof(uint32_t);
  int err = write_all(steps_fd_, image.steps, "qk_fast_steps", u32, sizeof(qk_fast_step), error);
  if (!err) err = write_all(eps_fd_, image.endpoints, "qk_fast_eps", u32, sizeof(qk_fast_endpoint), error);
  if (!err) err = write_all(fw_fd_, image.firewall, "qk_fast_fw", u32, sizeof(qk_fast_fw_rule), error);
  if (!err) {
    err = write_all(tokens_fd_, image.tokens, "qk_fast_tokens", sizeof(qk_fast_token_key), sizeof(qk_fast_token_value),
                    error);
    tokens_of_[bank] = image.tokens.keys;  // also what a partial write left behind
  }
  if (!err) err = write_all(banks_fd_, image.header, "qk_fast_banks", u32, sizeof(qk_fast_bank), error);
  if (err) return err;
  qk_fast_ctl ctl{};
  ctl.bank = bank;
  ctl.flags = QK_FAST_F_ENABLED;
  ctl.generation = generation;
  const uint32_t zero = 0;
  if (bpf_map_update_elem(ctl_fd_, &zero, &ctl, BPF_ANY)) {
    err = -errno;
    *error = std::string("fast path: switching banks: ") + std::strerror(errno);
    return err;
  }
  bank_ = bank;
  switched_ = std::chrono::steady_clock::now();
  active_.store(true, std::memory_order_relaxed);
  // The new chain numbers its cells afresh: they start from zero (the caller read the old ones;
  // what the old bank adds in the moment after the switch is lost, as with engine cells).
  percpu_array_zero<uint64_t>(cells_fd_, QK_FAST_CELLS);
  return 0;
}

int FastPath::disable() {
  qk_fast_ctl ctl{};
  ctl.bank = bank_;
  const uint32_t zero = 0;
  active_.store(false, std::memory_order_relaxed);
  return bpf_map_update_elem(ctl_fd_, &zero, &ctl, BPF_ANY) ? -errno : 0;
}

int FastPath::install_read(const qk_session& s, const FlowHop& hop, uint64_t now_ns) {
  if (s.client.family != s.endpoint.family) return -EAFNOSUPPORT;  // tier 1 switches families
  qk_fast_flow_key k = read_key(s);
  qk_fast_flow f = flow_to(s.endpoint, hop, now_ns);
  return bpf_map_update_elem(flows_fd_, &k, &f, BPF_ANY) ? -errno : 0;
}

int FastPath::install_write(const qk_session& s, const FlowHop& hop, uint64_t now_ns) {
  if (s.client.family != s.endpoint.family) return -EAFNOSUPPORT;
  qk_fast_flow_key k = write_key(s);
  qk_fast_flow f = flow_to(s.client, hop, now_ns);
  return bpf_map_update_elem(flows_fd_, &k, &f, BPF_ANY) ? -errno : 0;
}

uint64_t FastPath::last_used(const qk_session& s) const {
  uint64_t seen = 0;
  qk_fast_flow f;
  if (s.flows & 1) {
    qk_fast_flow_key k = read_key(s);
    if (!bpf_map_lookup_elem(flows_fd_, &k, &f)) seen = f.last_seen_ns;
  }
  if (s.flows & 2) {
    qk_fast_flow_key k = write_key(s);
    if (!bpf_map_lookup_elem(flows_fd_, &k, &f) && f.last_seen_ns > seen) seen = f.last_seen_ns;
  }
  return seen;
}

void FastPath::remove(const qk_session& s) {
  if (s.flows & 1) {
    qk_fast_flow_key k = read_key(s);
    bpf_map_delete_elem(flows_fd_, &k);
  }
  if (s.flows & 2) {
    qk_fast_flow_key k = write_key(s);
    bpf_map_delete_elem(flows_fd_, &k);
  }
}

int FastPath::add_iface(int ifindex) {
  const uint32_t key = uint32_t(ifindex), value = uint32_t(ifindex);
  return bpf_map_update_elem(ifaces_fd_, &key, &value, BPF_ANY) ? -errno : 0;
}

uint32_t FastPath::edit_flows(const std::function<bool(const qk_fast_flow_key&, qk_fast_flow*)>& edit) {
  qk_fast_flow_key key{}, next{};
  qk_fast_flow f;
  uint32_t changed = 0;
  const void* prev = nullptr;
  // Updating values in place does not disturb the walk; a flow installed meanwhile was resolved
  // by its worker after the change.
  while (bpf_map_get_next_key(flows_fd_, prev, &next) == 0) {
    key = next;
    prev = &key;
    if (bpf_map_lookup_elem(flows_fd_, &key, &f) || !edit(key, &f)) continue;
    if (bpf_map_update_elem(flows_fd_, &key, &f, BPF_EXIST) == 0) changed++;
  }
  return changed;
}

uint32_t FastPath::retarget(int ifindex, const uint8_t old_mac[6], const uint8_t new_mac[6]) {
  return edit_flows([&](const qk_fast_flow_key&, qk_fast_flow* f) {
    if (f->ifindex != uint32_t(ifindex) || std::memcmp(f->eth_dst, old_mac, 6) != 0) return false;
    std::memcpy(f->eth_dst, new_mac, 6);
    return true;
  });
}

uint32_t FastPath::reroute(const std::vector<qk_hop_move>& moves, int own_ifindex,
                           const std::function<const uint8_t*(int ifindex)>& mac_of) {
  if (moves.empty()) return 0;
  // Keyed by family and address, as flows name their destination.
  std::unordered_map<std::string, const qk_hop_move*> by_dst;
  auto dst_key = [](uint8_t family, const uint8_t* addr) {
    return std::string(1, char(family)) +
           std::string(reinterpret_cast<const char*>(addr), family == QK_ADDR_V4 ? 4 : 16);
  };
  for (const qk_hop_move& m : moves) by_dst[dst_key(m.family, m.dst)] = &m;
  return edit_flows([&](const qk_fast_flow_key& key, qk_fast_flow* f) {
    auto it = by_dst.find(dst_key(f->family, f->dst_addr));
    if (it == by_dst.end()) return false;
    const qk_hop_move& m = *it->second;
    const uint8_t* mac = m.resolved ? mac_of(m.nh.ifindex) : nullptr;
    const bool read = key.dir == QK_FAST_DIR_READ;
    if (!mac || !m.nh.has_src || (!read && m.nh.ifindex != own_ifindex)) {
      std::memset(f->eth_dst, 0, 6);  // the program hands the flow's packets to the workers
      return true;
    }
    f->ifindex = uint32_t(m.nh.ifindex);
    std::memcpy(f->eth_src, mac, 6);
    std::memcpy(f->eth_dst, m.nh.mac, 6);
    // A read leaves from the route's source address, as tier 1 sends it; a reply from the
    // address the client sent to, which no route changes.
    if (read) std::memcpy(f->src_addr, m.nh.src, 16);
    return true;
  });
}

void FastPath::cells(std::vector<uint64_t>* out) const {
  out->assign(QK_FAST_CELLS, 0);
  percpu_array_read<uint64_t>(cells_fd_, QK_FAST_CELLS, [&](uint32_t i, uint64_t v) { (*out)[i] += v; });
}

}  // namespace qk::xdp
