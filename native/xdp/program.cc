// SPDX-License-Identifier: Apache-2.0
// Load, configure, attach and observe bpf/obj/xdp_redirect.bpf.o (contract: bpf/README.md).
#include "native/xdp/program.h"

#include <bpf/bpf.h>
#include <ifaddrs.h>
#include <linux/if_link.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "bpf/lib/map_names.h"
#include "native/xdp/percpu_array.h"

namespace qk::xdp {

namespace {

std::mutex g_print_mu;
std::string g_last_print;

// libbpf explains failed opens/loads only through its print callback: keep the last line for the
// error message instead of letting it write to the proxy's stderr.
int capture_print(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char line[512];
  int n = vsnprintf(line, sizeof(line), fmt, args);
  std::lock_guard<std::mutex> lock(g_print_mu);
  g_last_print.assign(line);
  while (!g_last_print.empty() && (g_last_print.back() == '\n' || g_last_print.back() == ' ')) g_last_print.pop_back();
  return n;
}

std::string errno_text(int err) { return std::strerror(err < 0 ? -err : err); }

int map_fd(bpf_object* obj, const char* name) {
  bpf_map* m = bpf_object__find_map_by_name(obj, name);
  return m ? bpf_map__fd(m) : -ENOENT;
}

bool prog_name_is_ours(uint32_t id) {
  int fd = bpf_prog_get_fd_by_id(id);
  if (fd < 0) return false;
  bpf_prog_info info{};
  uint32_t len = sizeof(info);
  bool ours =
      bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && std::strcmp(info.name, QK_NAME(QK_PROG_XDP_REDIRECT)) == 0;
  close(fd);
  return ours;
}

uint32_t attached_id(int ifindex, uint32_t mode_flag) {
  uint32_t id = 0;
  if (bpf_xdp_query_id(ifindex, int(mode_flag), &id)) return 0;
  return id;
}

}  // namespace

std::string libbpf_last_message() {
  std::lock_guard<std::mutex> lock(g_print_mu);
  return g_last_print;
}

Program::~Program() {
  detach();
  if (ring_) ring_buffer__free(ring_);
  if (obj_) bpf_object__close(obj_);
}

std::unique_ptr<Program> Program::load(const Settings& s, int ifindex, const std::vector<int>& forwards, StepLog* steps,
                                       std::string* error) {
  libbpf_set_print(capture_print);
  std::unique_ptr<Program> p(new Program());
  p->ifindex_ = ifindex;
  p->forwards_ = forwards;
  p->obj_ = bpf_object__open_file(s.bpf_object.c_str(), nullptr);
  if (!p->obj_) {
    *error = "bpf object open " + s.bpf_object + ": " + errno_text(errno) + " (" + libbpf_last_message() + ")";
    p->obj_ = nullptr;
    return nullptr;
  }
  int err = bpf_object__load(p->obj_);
  if (err) {
    *error =
        "bpf program load (BPF syscall / verifier / CAP_BPF): " + errno_text(err) + " (" + libbpf_last_message() + ")";
    return nullptr;
  }
  bpf_program* prog = bpf_object__find_program_by_name(p->obj_, QK_NAME(QK_PROG_XDP_REDIRECT));
  p->prog_fd_ = prog ? bpf_program__fd(prog) : -1;
  p->config_fd_ = map_fd(p->obj_, QK_NAME(QK_MAP_CONFIG));
  p->addrs_fd_ = map_fd(p->obj_, QK_NAME(QK_MAP_LOCAL_ADDRS));
  p->xsks_fd_ = map_fd(p->obj_, QK_NAME(QK_MAP_XSKS));
  p->counters_fd_ = map_fd(p->obj_, QK_NAME(QK_MAP_COUNTERS));
  p->events_fd_ = map_fd(p->obj_, QK_NAME(QK_MAP_EVENTS));
  if (p->prog_fd_ < 0 || p->config_fd_ < 0 || p->addrs_fd_ < 0 || p->xsks_fd_ < 0 || p->counters_fd_ < 0 ||
      p->events_fd_ < 0) {
    *error = "bpf object " + s.bpf_object + " lacks the program or a map named in bpf/lib/map_names.h";
    return nullptr;
  }
  p->ring_ = ring_buffer__new(p->events_fd_, &Program::on_event, p.get(), nullptr);
  if (!p->ring_) {
    *error = "bpf event ring buffer: " + errno_text(errno);
    return nullptr;
  }
  steps->push_back("bpf program load: ok (" + s.bpf_object + ")");
  return p;
}

int Program::remove_stale(StepLog* steps) {
  const uint32_t modes[] = {XDP_FLAGS_DRV_MODE, XDP_FLAGS_SKB_MODE};
  std::vector<int> ifaces{ifindex_};
  ifaces.insert(ifaces.end(), forwards_.begin(), forwards_.end());
  for (int ifindex : ifaces) {
    for (uint32_t mode : modes) {
      uint32_t id = attached_id(ifindex, mode);
      if (!id || !prog_name_is_ours(id)) continue;
      int err = bpf_xdp_detach(ifindex, int(mode), nullptr);
      if (err) return err;
      steps->push_back("stale attachment: removed " QK_NAME(QK_PROG_XDP_REDIRECT) " id " + std::to_string(id) +
                       (mode == XDP_FLAGS_DRV_MODE ? " (native)" : " (generic)") + " from ifindex " +
                       std::to_string(ifindex) + ", left by a proxy that did not exit cleanly");
    }
  }
  return 0;
}

namespace {

bool serves(const Settings& s, const char* name) {
  if (s.ifname == name) return true;
  for (const auto& f : s.forward_ifnames)
    if (f == name) return true;
  return false;
}

// The IPv4/IPv6 addresses of the proxy's interfaces (its own and the forward ones) as map keys
// (padding zeroed: keys are compared bytewise).
int read_local_addrs(const Settings& s, std::vector<qk_local_addr_key>* out) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list)) return -errno;
  out->clear();
  for (ifaddrs* a = list; a; a = a->ifa_next) {
    if (!a->ifa_addr || !serves(s, a->ifa_name)) continue;
    qk_local_addr_key key;
    std::memset(&key, 0, sizeof(key));
    if (a->ifa_addr->sa_family == AF_INET) {
      key.family = QK_ADDR_V4;
      std::memcpy(key.addr, &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, 4);
    } else if (a->ifa_addr->sa_family == AF_INET6) {
      key.family = QK_ADDR_V6;
      std::memcpy(key.addr, &reinterpret_cast<sockaddr_in6*>(a->ifa_addr)->sin6_addr, 16);
    } else {
      continue;
    }
    out->push_back(key);
  }
  freeifaddrs(list);
  return 0;
}

bool contains(const std::vector<qk_local_addr_key>& set, const qk_local_addr_key& k) {
  for (const auto& e : set)
    if (std::memcmp(&e, &k, sizeof(k)) == 0) return true;
  return false;
}

}  // namespace

int Program::write_config(uint32_t flags) {
  cfg_.flags = flags;
  uint32_t key = QK_CONFIG_KEY;
  return bpf_map_update_elem(config_fd_, &key, &cfg_, BPF_ANY) ? -errno : 0;
}

// Order from bpf/README.md: new addresses before old ones go; an empty set turns the flag on
// only after its addresses are in, and a set becoming empty turns the flag off first. Every
// mixture a racing packet can see is then a set of addresses we owned a moment ago.
int Program::apply_local_addrs(const std::vector<qk_local_addr_key>& next) {
  const qk_local_addr_value value{};
  int err = 0;
  if (next.empty() && !addrs_.empty()) err = write_config(cfg_.flags & ~QK_CFG_F_MATCH_LOCAL_ADDR);
  for (const auto& k : next)
    if (!err && !contains(addrs_, k) && bpf_map_update_elem(addrs_fd_, &k, &value, BPF_ANY)) err = -errno;
  for (const auto& k : addrs_)
    if (!err && !contains(next, k) && bpf_map_delete_elem(addrs_fd_, &k) && errno != ENOENT) err = -errno;
  // A new generation after the map writes: what each CPU remembers matching is stale now.
  cfg_.local_addrs_gen++;
  if (!err && !next.empty()) err = write_config(cfg_.flags | QK_CFG_F_MATCH_LOCAL_ADDR);
  if (!err) addrs_ = next;
  return err;
}

int Program::sync_local_addrs(const Settings& s, bool* changed) {
  std::vector<qk_local_addr_key> next;
  *changed = false;
  int err = read_local_addrs(s, &next);
  if (err) return err;
  bool same = next.size() == addrs_.size();
  for (const auto& k : next) same = same && contains(addrs_, k);
  if (same) return 0;
  *changed = true;
  return apply_local_addrs(next);
}

int Program::configure(const Settings& s, StepLog* steps, std::string* error) {
  std::vector<qk_local_addr_key> addrs;
  cfg_ = qk_xdp_config{};
  cfg_.listen_port = s.listen_port;
  cfg_.qcmp_port = s.qcmp_port;
  cfg_.session_port_start = s.session_port_min;
  cfg_.session_port_end = s.session_port_max;
  cfg_.max_frame_len = kMaxRxFrameLen;
  cfg_.xsk_ifindex = uint32_t(ifindex_);
  int err = read_local_addrs(s, &addrs);
  if (!err) err = write_config(QK_CFG_F_ENABLED);
  if (!err) err = apply_local_addrs(addrs);
  if (err) {
    *error = "bpf maps " QK_NAME(QK_MAP_CONFIG) "/" QK_NAME(QK_MAP_LOCAL_ADDRS) " write: " + errno_text(err);
    return err;
  }
  steps->push_back("bpf maps: config written (" + std::to_string(addrs.size()) + " local addresses)");
  return 0;
}

// A BPF link, not a netlink attachment: it goes with the last fd, so even a SIGKILLed proxy
// leaves nothing on the interface, and netlink cannot replace it behind our back. The kernel
// refuses it (EBUSY) when another program is attached: that one is somebody else's.
int Program::attach_one(int ifindex, uint32_t flag, int* link_fd) {
  LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = flag);
  int fd = bpf_link_create(prog_fd_, ifindex, BPF_XDP, &opts);
  if (fd < 0) return -errno;
  *link_fd = fd;
  return 0;
}

int Program::attach(const Settings& s, StepLog* steps, std::string* error) {
  const AttachMode mode = s.attach;
  struct Try {
    AttachMode mode;
    uint32_t flag;
    const char* name;
  };
  const Try tries[] = {{AttachMode::kNative, XDP_FLAGS_DRV_MODE, "native"},
                       {AttachMode::kGeneric, XDP_FLAGS_SKB_MODE, "generic"}};
  int err = -EINVAL;
  for (const Try& t : tries) {
    if (mode != AttachMode::kAuto && mode != t.mode) continue;
    int fd = -1;
    err = attach_one(ifindex_, t.flag, &fd);
    if (!err) {
      link_fd_ = fd;
      attach_flags_ = t.flag;
      prog_id_ = attached_id(ifindex_, t.flag);
      steps->push_back(std::string("attach ") + t.name + ": ok (bpf link)");
      // The forward interfaces take the same mode: a redirect between a native and a generic
      // attachment works, but the fast path's cost would then be the slower one's.
      for (size_t i = 0; i < forwards_.size(); i++) {
        err = attach_one(forwards_[i], t.flag, &fd);
        if (err) {
          std::string why = errno_text(err);
          if (err == -EBUSY || err == -EEXIST) why += " (another XDP program is attached to the interface)";
          *error = "attach " + std::string(t.name) + " to forward interface " + s.forward_ifnames[i] + ": " + why;
          steps->push_back(*error);
          detach();
          return err;
        }
        forward_links_.push_back(fd);
        steps->push_back("attach " + std::string(t.name) + " to forward interface " + s.forward_ifnames[i] +
                         ": ok (bpf link)");
      }
      return 0;
    }
    std::string why = errno_text(err);
    if (err == -EBUSY || err == -EEXIST) why += " (another XDP program is attached to the interface)";
    steps->push_back(std::string("attach ") + t.name + ": " + why);
    if (!error->empty()) *error += "; ";
    *error += std::string("attach ") + t.name + ": " + why;
  }
  return err;
}

void Program::detach() {
  for (int fd : forward_links_) close(fd);
  forward_links_.clear();
  if (!attach_flags_) return;
  if (link_fd_ >= 0) close(link_fd_);  // the link is ours alone: closing it detaches
  link_fd_ = -1;
  attach_flags_ = 0;
}

const char* Program::mode() const {
  if (attach_flags_ == XDP_FLAGS_DRV_MODE) return "native";
  if (attach_flags_ == XDP_FLAGS_SKB_MODE) return "generic";
  return "detached";
}

void Program::counters(std::vector<uint64_t>* packets, std::vector<uint64_t>* bytes) const {
  packets->assign(QK_CNT_FAST__MAX, 0);
  bytes->assign(QK_CNT_FAST__MAX, 0);
  percpu_array_read<qk_counter>(counters_fd_, QK_CNT_FAST__MAX, [&](uint32_t i, const qk_counter& c) {
    (*packets)[i] += c.packets;
    (*bytes)[i] += c.bytes;
  });
}

int Program::on_event(void* ctx, void* data, size_t len) {
  auto* self = static_cast<Program*>(ctx);
  if (len < sizeof(qk_xdp_event) || self->sink_->size() >= self->sink_max_) return 0;
  qk_xdp_event e;
  std::memcpy(&e, data, sizeof(e));
  self->sink_->push_back(e);
  return 0;
}

size_t Program::drain_events(std::vector<qk_xdp_event>* out, size_t max) {
  sink_ = out;
  sink_max_ = max;
  ring_buffer__consume(ring_);
  sink_ = nullptr;
  return out->size();
}

}  // namespace qk::xdp
