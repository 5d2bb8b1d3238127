// SPDX-License-Identifier: Apache-2.0
// Batch format (little-endian). The batch is written by test/fuzz/differential.ts (encodeBatch),
// each step by encodeStep in test/conformance/native-implementation.ts, which TestChain.run also
// takes; values are encoded as in data-plane/compiler/values.ts:
//   u32 magic "QKTB", u32 run count, runs
//   run  = bytes32 description, u64 random seed, u16 step count, steps
//   step = u8 direction (0 read, 1 write), i64 clock (ms since the epoch, frozen for the step),
//          addr source, addr dest, bytes32 input, u16 metadata count, {str16 key, value}*
//   addr = u8 family, u8[16] ip, u16 port
// Result: per run u8 ok; !ok: str16 error; ok: per step
//   u8 reason, bytes32 output, u16 destination count, u32 endpoint index*,
//   u16 metadata count, {str16 key, value}*, u32 Timestamp samples recorded by this step,
//   f64 sum of those samples (seconds)
#include "native/engine/test_entry.h"

#include <map>

#include "data-plane/filters/match/match.h"
#include "native/engine/byte_writer.h"
#include "native/engine/filter.h"

namespace qk::engine {

namespace {

constexpr uint32_t kBatchMagic = 0x42544b51;  // "QKTB"

SockAddr read_addr(DescReader& r) {
  SockAddr a;
  a.family = r.u8("address family");
  const uint8_t* ip = r.bytes(16, "address ip");
  a.port = r.u16("address port");
  if (ip) std::memcpy(a.ip, ip, 16);
  return a;
}

// Timestamp samples so far in this chain (count, sum), for the per-step delta.
std::pair<uint64_t, double> samples(const Chain& chain) {
  uint64_t n = 0;
  double sum = 0;
  for (uint32_t s = 0; s < chain.slot_count(); s++)
    if (chain.has_cell(s))
      for (int d = 0; d < 2; d++) {
        n += chain.cell(s, 0).hist_count[d].load(std::memory_order_relaxed);
        sum += chain.cell(s, 0).hist_sum[d].load(std::memory_order_relaxed);
      }
  return {n, sum};
}

struct Step {
  uint8_t dir;
  int64_t now_ms;
  SockAddr source, dest;
  std::string input;
  std::vector<std::pair<std::string, OwnedValue>> meta;
};

bool read_step(DescReader& r, Step* s) {
  s->dir = r.u8("step direction");
  s->now_ms = static_cast<int64_t>(r.u64("step clock"));
  s->source = read_addr(r);
  s->dest = read_addr(r);
  s->input = r.bytes32("step input");
  s->meta.resize(r.u16("step metadata count"));
  for (auto& [key, value] : s->meta) {
    key = r.str16("metadata key");
    if (!qk::filters::match__parse_value(r, &value, 0)) return false;
  }
  return r.ok();
}

// Runs one step on the worker and appends its result.
void run_step(Engine& engine, Worker& w, const Step& s, ByteWriter& out) {
  engine.clock().freeze(s.now_ms);
  const Generation& gen = w.begin_batch();
  const Chain& chain = *gen.chain;
  WorkerState& ws = w.state();
  ws.meta.clear();
  std::map<std::string, const OwnedValue*> extra;  // keys no filter knows: passed through untouched
  for (const auto& [key, value] : s.meta) {
    uint32_t k = 0;
    while (k < chain.keys().size() && chain.keys()[k] != key) k++;
    if (k < chain.keys().size())
      ws.meta.set(k, value.value);
    else
      extra[key] = &value;
  }
  const uint32_t growth = gen.max_growth();
  std::vector<uint8_t> buf(s.input.size() + growth + 1);
  PacketBuf pkt = PacketBuf::wrap(buf.data(), static_cast<uint32_t>(buf.size() - 1), growth / 2,
                                  static_cast<uint32_t>(s.input.size()));
  std::memcpy(pkt.data(), s.input.data(), s.input.size());
  const auto before = samples(chain);
  ReadOutcome ro;
  if (s.dir == 0)
    ro = w.read_with_metadata(pkt, s.source);
  else
    ro.reason = w.write_with_metadata(pkt, s.source, s.dest);
  out.u8(ro.reason);
  out.bytes32(pkt.data(), ro.reason == QK_DROP_NONE ? pkt.len : 0);
  out.u16(static_cast<uint16_t>(ro.n_dest));
  for (uint32_t i = 0; i < ro.n_dest && i < UINT16_MAX; i++) out.u32(ro.dest[i]);
  uint16_t nmeta = static_cast<uint16_t>(extra.size());
  for (uint32_t k = 0; k < chain.keys().size(); k++) nmeta += ws.meta.get(k) ? 1 : 0;
  out.u16(nmeta);
  for (uint32_t k = 0; k < chain.keys().size(); k++)
    if (const MetaValue* v = ws.meta.get(k)) {
      out.str16(chain.keys()[k]);
      out.value(*v);
    }
  for (const auto& [key, value] : extra) {
    out.str16(key);
    out.value(value->value);
  }
  const auto after = samples(chain);
  out.u32(static_cast<uint32_t>(after.first - before.first));
  double sum = after.second - before.second;
  uint64_t bits;
  std::memcpy(&bits, &sum, sizeof(bits));
  out.u64(bits);
}

bool run_one(DescReader& r, ByteWriter& out) {
  std::string desc = r.bytes32("run description");
  uint64_t seed = r.u64("run seed");
  uint16_t nsteps = r.u16("run step count");
  if (!r.ok()) return false;
  std::string error;
  auto session = TestSession::create(reinterpret_cast<const uint8_t*>(desc.data()), desc.size(), seed, &error);
  if (!session) {
    out.u8(0);
    out.str16(error);
    // Skip the steps so the next run starts at the right offset.
    Step skipped;
    for (uint16_t i = 0; i < nsteps; i++)
      if (!read_step(r, &skipped)) return false;
    return true;
  }
  out.u8(1);
  return session->run_steps(r, nsteps, out);
}

}  // namespace

std::unique_ptr<TestSession> TestSession::create(const uint8_t* desc, size_t len, uint64_t seed, std::string* error) {
  auto gen = generation__compile(desc, len, nullptr, error);
  if (!gen) return nullptr;
  std::unique_ptr<TestSession> session(new TestSession());
  session->worker_.state().reseed(seed);
  session->engine_.clock().freeze(0);
  session->engine_.publish(gen);
  return session;
}

bool TestSession::run_steps(DescReader& r, uint32_t count, ByteWriter& out) {
  Step s;
  for (uint32_t i = 0; i < count; i++) {
    if (!read_step(r, &s)) return false;
    run_step(engine_, worker_, s, out);
  }
  return true;
}

bool test_entry__run(const uint8_t* batch, size_t len, std::vector<uint8_t>* result, std::string* error) {
  DescReader r(batch, len);
  if (r.u32("batch magic") != kBatchMagic && r.ok()) r.fail("bad test batch magic");
  uint32_t runs = r.u32("run count");
  ByteWriter out;
  for (uint32_t i = 0; i < runs && r.ok(); i++)
    if (!run_one(r, out) && r.ok()) r.fail("bad run");
  if (!r.ok()) {
    *error = r.error();
    return false;
  }
  *result = std::move(out.out);
  return true;
}

}  // namespace qk::engine
