// SPDX-License-Identifier: Apache-2.0
#include "native/socket/backend.h"

#include <dirent.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "native/engine/sock_addr.h"

namespace qk::socket {

namespace {

// Socket buffers large enough to absorb a burst while a worker is busy with a batch. As
// root SO_*BUFFORCE lifts the sysctl cap; otherwise the plain option gives what it can.
constexpr int kSocketBuffer = 4 << 20;

void grow_buffer(int fd, int force_opt, int opt) {
  if (setsockopt(fd, SOL_SOCKET, force_opt, &kSocketBuffer, sizeof(kSocketBuffer)) == 0) return;
  // Best effort: a smaller buffer only means earlier kernel drops under overload.
  (void)setsockopt(fd, SOL_SOCKET, opt, &kSocketBuffer, sizeof(kSocketBuffer));
}

// A dual-stack [::]:port socket sharing its port with the other workers (SO_REUSEPORT):
// the kernel hashes each client flow to one of them.
int open_listen_socket(uint16_t port, uint16_t* bound_port, std::string* error) {
  int fd = ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::string("socket(AF_INET6, SOCK_DGRAM): ") + strerror(errno);
    return -1;
  }
  int on = 1, off = 0;
  sockaddr_in6 addr = sockaddr__in6_any(port);
  socklen_t len = sizeof(addr);
  const char* step = nullptr;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) < 0)
    step = "setsockopt(SO_REUSEPORT)";
  else if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) < 0)
    step = "setsockopt(IPV6_V6ONLY=0)";
  else if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0)
    step = "bind([::]:port)";
  else if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) < 0)
    step = "getsockname";
  if (step) {
    *error = std::string(step) + " for port " + std::to_string(port) + ": " + strerror(errno);
    close(fd);
    return -1;
  }
  grow_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF);
  grow_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF);
  *bound_port = ntohs(addr.sin6_port);
  return fd;
}

// Descriptors the process holds now (Node's own, the admin server's, log files).
uint64_t open_fd_count() {
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return 64;  // no /proc: a typical Node start-up count
  uint64_t n = 0;
  while (readdir(dir)) n++;
  closedir(dir);
  return n > 3 ? n - 3 : n;  // ".", ".." and the directory's own fd
}

}  // namespace

FileBudget plan_file_budget(int64_t max_sessions) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rlimit raised = rl;
    raised.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
  }
  FileBudget b{};
  b.soft_limit = rl.rlim_cur == RLIM_INFINITY ? (uint64_t(1) << 20) : uint64_t(rl.rlim_cur);
  // An eighth of the limit, at least 1024 (admin connections, xDS streams, config reads), but
  // never more than half, so a small limit still leaves room for sessions.
  b.reserved = std::min<uint64_t>(std::max<uint64_t>(1024, b.soft_limit / 8), b.soft_limit / 2) + open_fd_count();
  const int64_t by_fds = b.soft_limit > b.reserved ? int64_t(b.soft_limit - b.reserved) : 0;
  b.session_limit = std::min<int64_t>(max_sessions, by_fds);
  return b;
}

std::unique_ptr<Backend> Backend::start(const BackendSettings& settings, std::shared_ptr<qk::engine::Engine> engine,
                                        std::string* error) {
  std::unique_ptr<Backend> backend(new Backend());
  backend->engine_ = std::move(engine);
  backend->files_ = plan_file_budget(settings.max_sessions);
  backend->budget_.max = backend->files_.session_limit;
  backend->budget_.per_source_max = settings.max_sessions_per_source;
  backend->port_ = settings.port;
  for (uint32_t i = 0; i < settings.workers; i++) {
    uint16_t bound = 0;
    // With port 0 the first worker picks the port and the others join it.
    int fd = open_listen_socket(backend->port_, &bound, error);
    if (fd < 0) return nullptr;  // the destructor closes the workers made so far
    backend->port_ = bound;
    auto worker = Worker::create(WorkerSettings{i, settings.timeouts}, fd, *backend->engine_, backend->budget_, error);
    if (!worker) {
      *error = "worker " + std::to_string(i) + ": " + *error;
      return nullptr;
    }
    backend->workers_.push_back(std::move(worker));
  }
  for (auto& worker : backend->workers_) worker->start();
  return backend;
}

// Workers go first: they detach from the engine they hold a reference to.
Backend::~Backend() {
  stop();
  workers_.clear();
}

void Backend::stop() {
  for (auto& worker : workers_) worker->stop();
}

CounterTotals Backend::totals() const {
  CounterTotals t;
  for (const auto& worker : workers_) {
    const WorkerCounters& c = worker->counters();
    for (int d = 0; d < 2; d++) {
      t.packets[d] += counter_value(c.packets[d]);
      t.bytes[d] += counter_value(c.bytes[d]);
      for (int r = 0; r < QK_DROP__MAX; r++) t.errors[d][r] += counter_value(c.errors[d][r]);
    }
    t.sessions_created += counter_value(c.sessions_created);
    t.sessions_closed += counter_value(c.sessions_closed);
    t.sessions_evicted += counter_value(c.sessions_evicted);
    t.durations_lost += c.durations.lost();
    t.endpoint_sockets += counter_value(c.endpoint_sockets);
  }
  // Every drop, from the chain or from this backend, is in the engine's worker counters.
  engine_->sum_counters(t.drops[kRead], t.drops[kWrite], &t.passed[kRead], &t.passed[kWrite]);
  return t;
}

qk::timing::ProcessingTotals Backend::processing() const {
  qk::timing::ProcessingTotals t;
  for (const auto& worker : workers_) t.add(worker->counters().processing);
  return t;
}

qk::timing::JitterReading Backend::jitter() const {
  qk::timing::JitterReading j;
  for (const auto& worker : workers_) j.add(worker->counters().jitter);
  return j;
}

void Backend::drain_durations(const std::function<void(uint32_t)>& fn) {
  for (auto& worker : workers_) worker->counters().durations.drain(fn);
}

}  // namespace qk::socket
