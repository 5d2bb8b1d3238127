// SPDX-License-Identifier: Apache-2.0
// Startup in the order bpf/README.md prescribes (load, maps, sockets + XSKMAP, attach) and the
// merged counters.
#include "native/xdp/backend.h"

#include <dirent.h>
#include <net/if.h>

#include <cstring>

#include "bpf/lib/map_names.h"

namespace qk::xdp {

namespace {

std::string errno_text(int err) { return std::strerror(err < 0 ? -err : err); }

constexpr auto kCounterReuse = std::chrono::milliseconds(20);

// rx queues of an interface, as sysfs lists them (rx-0, rx-1, ...); 0 when unreadable.
uint32_t rx_queue_count(const std::string& ifname) {
  std::string dir = "/sys/class/net/" + ifname + "/queues";
  DIR* d = opendir(dir.c_str());
  if (!d) return 0;
  uint32_t n = 0;
  while (dirent* e = readdir(d))
    if (std::strncmp(e->d_name, "rx-", 3) == 0) n++;
  closedir(d);
  return n;
}

}  // namespace

std::unique_ptr<Backend> Backend::start(const Settings& s, std::shared_ptr<engine::Engine> engine, StepLog* steps,
                                        std::string* error) {
  std::unique_ptr<Backend> b(new Backend());
  b->settings_ = s;
  b->engine_ = std::move(engine);
  b->ifindex_ = int(if_nametoindex(s.ifname.c_str()));
  if (!b->ifindex_) {
    *error = "interface " + s.ifname + ": " + errno_text(errno);
    return nullptr;
  }
  b->env_.settings = &b->settings_;
  b->env_.ifindex = b->ifindex_;
  b->env_.engine = b->engine_.get();
  int err = qk_link__mac(b->ifindex_, b->env_.mac);
  if (err) {
    *error = "interface " + s.ifname + " MAC address: " + errno_text(err);
    return nullptr;
  }
  std::vector<int> forwards;
  if (b->resolve_forwards(&forwards, error)) return nullptr;
  b->program_ = Program::load(b->settings_, b->ifindex_, forwards, steps, error);
  if (!b->program_) return nullptr;
  err = b->program_->remove_stale(steps);
  if (err) {
    *error = "removing a stale attachment from " + s.ifname + ": " + errno_text(err);
    return nullptr;
  }
  if (b->program_->configure(b->settings_, steps, error)) return nullptr;
  b->fast_ = FastPath::open(b->program_->object());
  b->env_.fast = b->fast_.get();
  steps->push_back(b->fast_ ? "fast path maps: ok" : "fast path maps: absent from the object (tier 1 only)");
  if (!forwards.empty()) {
    if (!b->fast_) {
      *error = "--xdp.forward-interfaces needs the fast path maps, which the object lacks";
      return nullptr;
    }
    // Every interface a flow may leave by when it arrived on another: replies come in on a
    // forward interface and leave by the proxy's own.
    err = b->fast_->add_iface(b->ifindex_);
    for (size_t i = 0; !err && i < forwards.size(); i++) err = b->fast_->add_iface(forwards[i]);
    if (err) {
      *error = "bpf map " QK_NAME(QK_MAP_FAST_IFACES) " write: " + errno_text(err);
      return nullptr;
    }
    steps->push_back("forward interfaces: " + std::to_string(forwards.size()) + " in " QK_NAME(QK_MAP_FAST_IFACES));
  }
  uint32_t available = rx_queue_count(s.ifname);
  uint32_t queues = s.queues ? s.queues : (available ? available : 1);
  if (available && queues > available) {
    *error =
        "--xdp.queues " + std::to_string(queues) + ": " + s.ifname + " has " + std::to_string(available) + " rx queues";
    return nullptr;
  }
  qk_session_opts so{};
  so.port_min = s.session_port_min;
  so.port_max = s.session_port_max;
  so.capacity = s.max_sessions;
  so.idle_ns = s.idle_timeout_ns;
  so.unreplied_ns = s.unreplied_timeout_ns;
  so.per_source_max = s.max_sessions_per_source;
  err = SessionTable::create(so, queues > 1, b->fast_.get(), &b->sessions_);
  if (err) {
    *error = "session table (ports " + std::to_string(s.session_port_min) + "-" + std::to_string(s.session_port_max) +
             ", " + std::to_string(s.max_sessions) + " sessions): " + errno_text(err);
    return nullptr;
  }
  b->env_.sessions = b->sessions_.get();
  if (b->open_workers(queues, steps, error)) return nullptr;
  if (b->program_->attach(b->settings_, steps, error)) {
    *error = "XDP attach to " + s.ifname + " failed: " + *error;
    return nullptr;
  }
  for (auto& w : b->workers_) w->start();
  return b;
}

// The forward interfaces' ifindexes and MACs (for the workers' flows). Not the proxy's own
// interface, not twice, at most kMaxForwardIfaces.
int Backend::resolve_forwards(std::vector<int>* ifindexes, std::string* error) {
  const auto& names = settings_.forward_ifnames;
  if (names.size() > kMaxForwardIfaces) {
    *error = "--xdp.forward-interfaces: at most " + std::to_string(kMaxForwardIfaces) + " interfaces, " +
             std::to_string(names.size()) + " given";
    return -EINVAL;
  }
  for (const std::string& name : names) {
    int index = int(if_nametoindex(name.c_str()));
    if (!index) {
      *error = "forward interface " + name + ": " + errno_text(errno);
      return -ENODEV;
    }
    if (index == ifindex_ || env_.forward(index)) {
      *error = "forward interface " + name + " is named twice (or is --xdp.interface itself)";
      return -EINVAL;
    }
    ForwardIface& f = env_.forwards[env_.n_forwards];
    f.ifindex = index;
    int err = qk_link__mac(index, f.mac);
    if (err) {
      *error = "forward interface " + name + " MAC address: " + errno_text(err);
      return err;
    }
    env_.n_forwards++;
    ifindexes->push_back(index);
  }
  return 0;
}

int Backend::open_workers(uint32_t n, StepLog* steps, std::string* error) {
  for (uint32_t q = 0; q < n; q++) {
    auto w = Worker::create(env_, q, error);
    if (!w) return -EIO;
    int err = w->register_in(program_->xsks_fd());
    if (err) {
      *error = "XSKMAP entry for queue " + std::to_string(q) + ": " + errno_text(err);
      return err;
    }
    steps->push_back("AF_XDP bind queue " + std::to_string(q) + ": " +
                     (w->zerocopy() ? "zero-copy" : "copy mode (zero-copy unsupported)"));
    workers_.push_back(std::move(w));
  }
  return 0;
}

Backend::~Backend() {
  stop();
  workers_.clear();  // sockets close before the program and the session table go
}

void Backend::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& w : workers_) w->stop();
  if (program_) program_->detach();
  if (sessions_) sessions_->close_all(monotonic_ns());
}

bool Backend::zerocopy() const {
  for (const auto& w : workers_)
    if (!w->zerocopy()) return false;
  return !workers_.empty();
}

std::string Backend::offlink_note() const {
  for (const auto& w : workers_) {
    std::string note = w->offlink_note();
    if (!note.empty()) return note;
  }
  return "";
}

timing::ProcessingTotals Backend::processing() const {
  timing::ProcessingTotals t;
  for (const auto& w : workers_) t.add(w->counters().processing);
  return t;
}

timing::JitterReading Backend::jitter() const {
  timing::JitterReading j;
  for (const auto& w : workers_) j.add(w->counters().jitter);
  return j;
}

Totals Backend::totals() const {
  Totals t;
  const auto rd = counter_value;
  for (const auto& w : workers_) {
    const WorkerCounters& c = w->counters();
    for (int d = 0; d < 2; d++) {
      t.packets[d] += rd(c.sent_packets[d]);
      t.bytes[d] += rd(c.sent_bytes[d]);
      t.offlink[d] += rd(c.offlink[d]);
    }
    t.rx_packets += rd(c.rx_packets), t.rx_bytes += rd(c.rx_bytes), t.qcmp_replies += rd(c.qcmp_replies);
    t.copies += rd(c.copies), t.tx_kicks += rd(c.tx_kicks), t.tx_kick_retries += rd(c.tx_kick_retries);
    t.tx_kick_errors += rd(c.tx_kick_errors), t.tx_ring_full += rd(c.tx_ring_full);
    t.rx_wakeups += rd(c.rx_wakeups), t.fill_short += rd(c.fill_short), t.umem_exhausted += rd(c.umem_exhausted);
    t.k_rx_dropped += rd(c.k_rx_dropped), t.k_rx_invalid += rd(c.k_rx_invalid), t.k_tx_invalid += rd(c.k_tx_invalid);
    t.k_rx_ring_full += rd(c.k_rx_ring_full), t.k_fill_ring_empty += rd(c.k_fill_ring_empty);
    t.k_tx_ring_empty += rd(c.k_tx_ring_empty);
  }
  uint64_t rp = 0, wp = 0;
  engine_->sum_counters(t.drops[0], t.drops[1], &rp, &wp);
  // What the fast path forwarded and dropped goes under the same names (quilkin_packets_total,
  // quilkin_packets_dropped_total): a user's dashboards see one proxy, whatever tier served.
  if (fast_) {
    std::lock_guard<std::mutex> lock(counters_mu_);
    const std::vector<uint64_t>& packets = program_counters().packets;
    const std::vector<uint64_t>& bytes = counters_.bytes;
    for (int d = 0; d < 2; d++) {
      t.fast_packets[d] = packets[QK_CNT_FAST_TX_READ + d];
      t.fast_bytes[d] = bytes[QK_CNT_FAST_TX_READ + d];
      t.packets[d] += t.fast_packets[d];
      t.bytes[d] += t.fast_bytes[d];
      for (uint32_t r = 1; r < QK_DROP__MAX; r++)
        t.drops[d][r] += packets[QK_CNT_FAST_DROP_BASE + uint32_t(d) * 128 + r];
    }
  }
  if (sessions_) {
    t.sessions_created = sessions_->created();
    t.sessions_closed = sessions_->expired();
    t.sessions_evicted = sessions_->evicted();
    t.durations_lost = sessions_->durations_lost();
  }
  return t;
}

// Callers hold counters_mu_.
const Backend::CounterSnapshot& Backend::program_counters() const {
  auto now = std::chrono::steady_clock::now();
  if (counters_.packets.empty() || now - counters_.taken >= kCounterReuse) {
    program_->counters(&counters_.packets, &counters_.bytes);
    counters_.taken = now;
  }
  return counters_;
}

void Backend::bpf_counters(std::vector<uint64_t>* packets, std::vector<uint64_t>* bytes) const {
  std::lock_guard<std::mutex> lock(counters_mu_);
  const CounterSnapshot& s = program_counters();
  *packets = s.packets;
  *bytes = s.bytes;
}

void Backend::drain_durations(const std::function<void(uint32_t)>& fn) {
  if (sessions_) sessions_->drain_durations(fn);
}

}  // namespace qk::xdp
