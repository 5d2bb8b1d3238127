// SPDX-License-Identifier: Apache-2.0
// Hostile chain descriptions and packets without node, so LeakSanitizer can watch the engine alone:
// random byte flips and truncations of a description using every filter kind, each compiled and
// (when accepted) run on hostile packets. Built with -fsanitize=address,undefined by `make asan`.
#include <cstdio>
#include <random>
#include <vector>

#include "native/engine/byte_writer.h"
#include "native/engine/engine.h"
#include "native/engine/filter_kinds.h"

using namespace qk::engine;

namespace {

void filter_header(ByteWriter& w, FilterKind kind, uint32_t slot) {
  w.u8(static_cast<uint8_t>(kind));
  w.u32(slot);
}

// Capture(regex) -> Match(key 0: "abc" -> Concatenate, fallthrough Pass) -> TokenRouter ->
// Firewall -> LoadBalancer(HASH) -> LocalRateLimit -> Timestamp -> Debug.
std::vector<uint8_t> description() {
  ByteWriter chain;
  chain.u32(10);  // slots
  chain.u16(8);   // top-level filters
  filter_header(chain, FilterKind::Capture, 0);
  chain.u16(0), chain.u16(1), chain.u8(2), chain.u32(0), chain.u8(0);
  const char pattern[] = "[a-c]+";
  chain.bytes32(pattern, sizeof(pattern) - 1);
  filter_header(chain, FilterKind::Match, 1);
  chain.u8(1), chain.u16(0), chain.u16(1);
  chain.u8(2), chain.bytes32("abc", 3);  // branch value String "abc"
  filter_header(chain, FilterKind::Concatenate, 2);
  chain.u8(1), chain.u8(2), chain.bytes32("xyz", 3);
  filter_header(chain, FilterKind::Pass, 3);  // fallthrough Pass
  chain.u8(0);                                // no on_write
  filter_header(chain, FilterKind::TokenRouter, 4);
  chain.u16(0);
  filter_header(chain, FilterKind::Firewall, 5);
  chain.u16(1), chain.u8(0), chain.u16(1), chain.u8(4);
  uint8_t any[16] = {};
  chain.raw(any, 16), chain.u8(0), chain.u16(1), chain.u16(0), chain.u32(65536);
  chain.u16(0);
  filter_header(chain, FilterKind::LoadBalancer, 6);
  chain.u8(2);
  filter_header(chain, FilterKind::LocalRateLimit, 7);
  chain.u64(3), chain.u32(1);
  filter_header(chain, FilterKind::Timestamp, 8);
  chain.u16(0);
  filter_header(chain, FilterKind::Debug, 9);
  chain.u8(1), chain.str16("dbg");

  ByteWriter w;
  w.u32(0x48434b51), w.u16(1), w.u16(0);
  w.u32(2);
  for (int i = 0; i < 2; i++) {
    uint8_t ip[16] = {127, 0, 0, static_cast<uint8_t>(i + 1)};
    w.u8(4), w.raw(ip, 16), w.u16(7000), w.str16("127.0.0.1"), w.u16(1), w.bytes32(i ? "abc" : "ab", i ? 3 : 2);
  }
  w.u16(2), w.str16("quilkin.dev/capture"), w.str16("quilkin.dev/capture/is_present");
  w.u32(static_cast<uint32_t>(chain.out.size()));
  w.raw(chain.out.data(), chain.out.size());
  return w.out;
}

uint64_t run_packets(Engine& engine, std::mt19937_64& rng) {
  Worker w(engine, rng());
  w.begin_batch();
  static std::vector<uint8_t> buf(65507 + 64);
  uint64_t n = 0;
  for (uint32_t len : {0u, 1u, 3u, 17u, 65507u}) {
    for (uint32_t i = 0; i < len; i++) buf[32 + i] = "abcxyz\xff"[rng() % 7];
    PacketBuf pkt = PacketBuf::wrap(buf.data(), static_cast<uint32_t>(buf.size()), 32, len);
    qk::SockAddr src;
    src.family = 4, src.ip[0] = 10, src.port = static_cast<uint16_t>(rng());
    w.read(pkt, src);
    pkt = PacketBuf::wrap(buf.data(), static_cast<uint32_t>(buf.size()), 0, len);  // no headroom
    w.write(pkt, src, src);
    n += 2;
  }
  const WorkerCounters& c = w.counters();
  uint64_t counted = c.read_passed.load() + c.write_passed.load();
  for (int i = 0; i < QK_DROP__MAX; i++) counted += c.read_dropped[i].load() + c.write_dropped[i].load();
  if (counted != n) {
    std::fprintf(stderr, "counted %llu verdicts for %llu packets\n", (unsigned long long)counted,
                 (unsigned long long)n);
    std::exit(1);
  }
  return n;
}

}  // namespace

int main() {
  const std::vector<uint8_t> good = description();
  std::mt19937_64 rng(1234);
  Engine engine(4);
  std::string error;
  auto gen = generation__compile(good.data(), good.size(), nullptr, &error);
  if (!gen) {
    std::fprintf(stderr, "valid description rejected: %s\n", error.c_str());
    return 1;
  }
  engine.publish(gen);
  uint64_t packets = run_packets(engine, rng);
  unsigned accepted = 0, rejected = 0;
  for (int round = 0; round < 3000; round++) {
    std::vector<uint8_t> d = good;
    if (round % 3 == 0) d.resize(rng() % d.size());
    for (int flips = 1 + static_cast<int>(rng() % 4); flips > 0 && !d.empty(); flips--)
      d[rng() % d.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
    auto g = generation__compile(d.data(), d.size(), round % 2 ? engine.current().get() : nullptr, &error);
    if (!g) {
      if (error.rfind("chain description: ", 0) != 0) {
        std::fprintf(stderr, "rejection without a description message: %s\n", error.c_str());
        return 1;
      }
      rejected++;
      continue;
    }
    accepted++;
    engine.publish(g);
    packets += run_packets(engine, rng);
  }
  std::printf("ok: %u mutated descriptions rejected, %u accepted, %llu hostile packets counted\n", rejected, accepted,
              (unsigned long long)packets);
  return 0;
}
