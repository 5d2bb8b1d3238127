// SPDX-License-Identifier: Apache-2.0
// Generation swaps under load: worker threads run packets while the main thread publishes
// alternating generations. Each packet must see one whole generation (its Concatenate byte and its
// endpoint count agree), no worker ever blocks, and nothing races (built with -fsanitize=thread by
// the Makefile's `tsan` target), also not the LocalRateLimit every generation inherits from the
// one before while workers still run that one. Exits non-zero on the first inconsistency.
#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include "native/engine/byte_writer.h"
#include "native/engine/engine.h"
#include "native/engine/filter.h"
#include "native/engine/filter_kinds.h"

using namespace qk::engine;

namespace {

// A description with `endpoints` endpoints, an unchanged LocalRateLimit that never limits, and a
// Concatenate appending `tag` on read.
std::vector<uint8_t> description(int endpoints, uint8_t tag) {
  ByteWriter w;
  w.u32(0x48434b51);
  w.u16(1);
  w.u16(0);
  w.u32(static_cast<uint32_t>(endpoints));
  for (int i = 0; i < endpoints; i++) {
    uint8_t ip[16] = {127, 0, 0, static_cast<uint8_t>(i + 1)};
    w.u8(4);
    w.raw(ip, 16);
    w.u16(7000);
    w.str16("127.0.0.x");
    w.u16(0);
  }
  w.u16(0);  // keys
  ByteWriter chain;
  chain.u32(2);  // slots
  chain.u16(2);  // filters
  chain.u8(static_cast<uint8_t>(FilterKind::LocalRateLimit));
  chain.u32(0);           // slot
  chain.u64(UINT64_MAX);  // max_packets
  chain.u32(60);          // period
  chain.u8(static_cast<uint8_t>(FilterKind::Concatenate));
  chain.u32(1);  // slot
  chain.u8(1);   // on_read APPEND
  chain.u8(0);   // on_write DO_NOTHING
  chain.bytes32(&tag, 1);
  w.u32(static_cast<uint32_t>(chain.out.size()));
  w.raw(chain.out.data(), chain.out.size());
  return w.out;
}

std::shared_ptr<const Generation> compile(const std::vector<uint8_t>& d, const Generation* previous = nullptr) {
  std::string error;
  auto gen = generation__compile(d.data(), d.size(), previous, &error);
  if (!gen) {
    std::fprintf(stderr, "compile failed: %s\n", error.c_str());
    std::exit(1);
  }
  return gen;
}

std::atomic<bool> g_stop{false};
std::atomic<uint64_t> g_packets{0};

void worker_loop(Engine& engine, int id) {
  Worker w(engine, static_cast<uint64_t>(id) + 1);
  uint8_t buf[64];
  qk::SockAddr src;
  src.family = 4;
  src.ip[0] = 10;
  src.port = 5000;
  while (!g_stop.load(std::memory_order_relaxed)) {
    w.begin_batch();
    for (int i = 0; i < 32; i++) {
      PacketBuf pkt = PacketBuf::wrap(buf, sizeof(buf), 8, 4);
      std::memcpy(pkt.data(), "ping", 4);
      ReadOutcome out = w.read(pkt, src);
      uint8_t tag = pkt.data()[pkt.len - 1];
      bool ok = out.reason == QK_DROP_NONE && pkt.len == 5 &&
                ((tag == 'A' && out.n_dest == 1) || (tag == 'B' && out.n_dest == 2));
      if (!ok) {
        std::fprintf(stderr, "worker %d: inconsistent packet (reason %u, len %u, tag %c, destinations %u)\n", id,
                     out.reason, pkt.len, tag, out.n_dest);
        std::exit(1);
      }
      g_packets.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

}  // namespace

int main() {
  Engine engine(4);
  auto a = compile(description(1, 'A'));
  auto b = compile(description(2, 'B'));
  engine.publish(a);
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; i++) threads.emplace_back(worker_loop, std::ref(engine), i);
  for (int i = 0; i < 2000; i++) {
    // Fresh generations each time, so old ones really are freed while workers may hold them; each
    // inherits the limiter's bucket tables from the one running.
    auto current = engine.current();
    auto next = compile(i % 2 ? description(1, 'A') : description(2, 'B'), current.get());
    if (next->chain->filters_kept() != 1) {
      std::fprintf(stderr, "swap %d: the limiter was not inherited (%u filters kept)\n", i,
                   next->chain->filters_kept());
      return 1;
    }
    engine.publish(next);
    std::this_thread::yield();
  }
  g_stop = true;
  for (auto& t : threads) t.join();
  uint64_t rd[QK_DROP__MAX], wd[QK_DROP__MAX], rp = 0, wp = 0;
  engine.sum_counters(rd, wd, &rp, &wp);
  if (rp != g_packets.load()) {
    std::fprintf(stderr, "counted %llu passes for %llu packets\n", (unsigned long long)rp,
                 (unsigned long long)g_packets.load());
    return 1;
  }
  std::printf("ok: %llu packets over 2000 generation swaps\n", (unsigned long long)rp);
  return 0;
}
