// SPDX-License-Identifier: Apache-2.0
// N-API exports of the engine part: the Engine class (control side: publish generations, read
// counters, drain Debug events, Match/Timestamp cells, test clock); test entry in binding_test.cc.
// Error mode: C++ exceptions off (NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS); every failure throws a
// JS Error with the precise message and returns.
#include "native/engine/binding.h"

#include "native/engine/filter.h"

namespace qk::engine {

Napi::Array processing_cells(Napi::Env env, const qk::timing::ProcessingTotals& t) {
  Napi::Array out = Napi::Array::New(env, 2);
  for (uint32_t d = 0; d < 2; d++) {
    Napi::Array buckets = Napi::Array::New(env, qk::timing::kBuckets);
    for (uint32_t k = 0; k < uint32_t(qk::timing::kBuckets); k++) buckets.Set(k, double(t.buckets[d][k]));
    Napi::Object cells = Napi::Object::New(env);
    cells.Set("buckets", buckets);
    cells.Set("count", double(t.count(int(d))));
    cells.Set("sum", double(t.sum_ns[d]) / 1e9);
    out.Set(d, cells);
  }
  return out;
}

namespace {

// Marks JS objects made by engine.Engine, so UnwrapEngine can trust them without global state
// (the addon may be loaded in several environments, e.g. worker_threads).
const napi_type_tag kEngineTypeTag = {0x716b656e67696e65ULL, 0x4a73456e67696e65ULL};

Napi::Value address_value(Napi::Env env, const SockAddr& a) {
  if (a.family == 0) return env.Null();
  auto o = Napi::Object::New(env);
  o.Set("family", a.family);
  o.Set("ip", Napi::Buffer<uint8_t>::Copy(env, a.ip, a.ip_len()));
  o.Set("port", a.port);
  return o;
}

}  // namespace

Napi::Object counters_object(Napi::Env env, const uint64_t* read_dropped, const uint64_t* write_dropped,
                             uint64_t read_passed, uint64_t write_passed) {
  auto o = Napi::Object::New(env);
  auto rd = Napi::Array::New(env, QK_DROP__MAX), wd = Napi::Array::New(env, QK_DROP__MAX);
  for (uint32_t i = 0; i < QK_DROP__MAX; i++) {
    rd.Set(i, static_cast<double>(read_dropped[i]));
    wd.Set(i, static_cast<double>(write_dropped[i]));
  }
  o.Set("readPassed", static_cast<double>(read_passed));
  o.Set("writePassed", static_cast<double>(write_passed));
  o.Set("readDropped", rd);
  o.Set("writeDropped", wd);
  return o;
}

namespace {

class JsEngine : public Napi::ObjectWrap<JsEngine> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Engine",
                       {InstanceMethod<&JsEngine::Publish>("publish"),
                        InstanceMethod<&JsEngine::Counters>("counters"),
                        InstanceMethod<&JsEngine::DrainDebug>("drainDebug"),
                        InstanceMethod<&JsEngine::SlotCells>("slotCells"),
                        InstanceMethod<&JsEngine::FreezeClock>("freezeClock"),
                        InstanceMethod<&JsEngine::AdvanceClock>("advanceClock")});
  }

  explicit JsEngine(const Napi::CallbackInfo& info) : Napi::ObjectWrap<JsEngine>(info) {
    uint32_t max_workers = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Uint32Value() : 64;
    engine_ = std::make_shared<Engine>(max_workers);
    info.This().As<Napi::Object>().TypeTag(&kEngineTypeTag);
  }

  std::shared_ptr<Engine> engine() const { return engine_; }

 private:
  // publish(description: Buffer) -> { generation, maxGrowth, maxDestinations }
  Napi::Value Publish(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsBuffer()) {
      Napi::TypeError::New(env, "publish(description): description must be a Buffer").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    auto desc = info[0].As<Napi::Buffer<uint8_t>>();
    std::string error;
    auto previous = engine_->current();
    auto gen = generation__compile(desc.Data(), desc.Length(), previous.get(), &error);
    if (!gen) {
      Napi::Error::New(env, error).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    engine_->publish(gen);
    auto o = Napi::Object::New(env);
    o.Set("generation", static_cast<double>(gen->id));
    o.Set("maxGrowth", gen->max_growth());
    o.Set("maxDestinations", gen->max_destinations());
    o.Set("chainReused", previous && previous->chain == gen->chain);
    return o;
  }

  Napi::Value Counters(const Napi::CallbackInfo& info) {
    uint64_t rd[QK_DROP__MAX], wd[QK_DROP__MAX], rp = 0, wp = 0;
    engine_->sum_counters(rd, wd, &rp, &wp);
    return counters_object(info.Env(), rd, wd, rp, wp);
  }

  // drainDebug() -> { events: [{slot, direction, source, dest, length, contents}], lost }
  Napi::Value DrainDebug(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::vector<DebugEvent> events(1024);
    uint64_t lost = 0;
    size_t n = engine_->drain_debug(events.data(), events.size(), &lost);
    auto arr = Napi::Array::New(env, n);
    for (size_t i = 0; i < n; i++) {
      const DebugEvent& e = events[i];
      auto o = Napi::Object::New(env);
      o.Set("slot", e.slot);
      o.Set("direction", e.write ? "write" : "read");
      o.Set("source", address_value(env, e.source));
      o.Set("dest", address_value(env, e.dest));
      o.Set("length", e.len);
      o.Set("contents", Napi::Buffer<uint8_t>::Copy(env, e.contents, std::min(e.len, DebugEvent::kMaxContents)));
      arr.Set(static_cast<uint32_t>(i), o);
    }
    auto out = Napi::Object::New(env);
    out.Set("events", arr);
    out.Set("lost", static_cast<double>(lost));
    return out;
  }

  // slotCells() -> [{slot, matched, fallthrough, counters, histogram: {read|write: {buckets, count, sum}}}]
  Napi::Value SlotCells(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto gen = engine_->current();
    auto arr = Napi::Array::New(env);
    if (!gen || !gen->chain) return arr;
    const Chain& chain = *gen->chain;
    uint32_t n = 0;
    for (uint32_t s = 0; s < chain.slot_count(); s++) {
      if (!chain.has_cell(s)) continue;
      arr.Set(n++, cell_object(env, chain, s));
    }
    return arr;
  }

  static Napi::Object cell_object(Napi::Env env, const Chain& chain, uint32_t slot) {
    constexpr int kCounters = sizeof(SlotCell::counter) / sizeof(SlotCell::counter[0]);
    uint64_t counter[kCounters] = {}, buckets[2][SlotCell::kBuckets + 1] = {}, count[2] = {};
    double sum[2] = {};
    for (uint32_t w = 0; w < chain.max_workers(); w++) {
      const SlotCell& c = chain.cell(slot, w);
      for (int i = 0; i < kCounters; i++) counter[i] += c.counter[i].load(std::memory_order_relaxed);
      for (int d = 0; d < 2; d++) {
        count[d] += c.hist_count[d].load(std::memory_order_relaxed);
        sum[d] += c.hist_sum[d].load(std::memory_order_relaxed);
        for (int b = 0; b <= SlotCell::kBuckets; b++) buckets[d][b] += c.hist_bucket[d][b].load(std::memory_order_relaxed);
      }
    }
    auto o = Napi::Object::New(env);
    o.Set("slot", slot);
    o.Set("matched", static_cast<double>(counter[0]));
    o.Set("fallthrough", static_cast<double>(counter[1]));
    auto counters = Napi::Array::New(env, kCounters);
    for (uint32_t i = 0; i < uint32_t(kCounters); i++) counters.Set(i, static_cast<double>(counter[i]));
    o.Set("counters", counters);
    auto hist = Napi::Object::New(env);
    for (int d = 0; d < 2; d++) {
      auto h = Napi::Object::New(env);
      auto b = Napi::Array::New(env, SlotCell::kBuckets + 1);
      for (uint32_t i = 0; i <= SlotCell::kBuckets; i++) b.Set(i, static_cast<double>(buckets[d][i]));
      h.Set("buckets", b);
      h.Set("count", static_cast<double>(count[d]));
      h.Set("sum", sum[d]);
      hist.Set(d ? "write" : "read", h);
    }
    o.Set("histogram", hist);
    return o;
  }

  Napi::Value FreezeClock(const Napi::CallbackInfo& info) {
    engine_->clock().freeze(static_cast<int64_t>(info[0].As<Napi::Number>().Int64Value()));
    return info.Env().Undefined();
  }
  Napi::Value AdvanceClock(const Napi::CallbackInfo& info) {
    engine_->clock().advance_ms(static_cast<int64_t>(info[0].As<Napi::Number>().Int64Value()));
    return info.Env().Undefined();
  }

  std::shared_ptr<Engine> engine_;
};

Napi::Value HistogramBounds(const Napi::CallbackInfo& info) {
  auto arr = Napi::Array::New(info.Env(), SlotCell::kBuckets);
  for (uint32_t i = 0; i < SlotCell::kBuckets; i++) arr.Set(i, kHistogramBounds[i]);
  return arr;
}

// processingBounds() -> the native processing-time bounds in seconds (runtime/metrics.ts must match)
Napi::Value ProcessingBounds(const Napi::CallbackInfo& info) {
  auto arr = Napi::Array::New(info.Env(), qk::timing::kBounds);
  for (uint32_t k = 0; k < uint32_t(qk::timing::kBounds); k++) arr.Set(k, double(qk::timing::bound_ns(int(k))) / 1e9);
  return arr;
}

}  // namespace

std::shared_ptr<Engine> UnwrapEngine(Napi::Value value) {
  Napi::Env env = value.Env();
  if (!value.IsObject() || !value.As<Napi::Object>().CheckTypeTag(&kEngineTypeTag)) {
    Napi::TypeError::New(env, "expected an engine.Engine").ThrowAsJavaScriptException();
    return nullptr;
  }
  return JsEngine::Unwrap(value.As<Napi::Object>())->engine();
}

void InitBinding(Napi::Env env, Napi::Object exports) {
  Napi::Object part = Napi::Object::New(env);
  part.Set("Engine", JsEngine::Define(env));
  part.Set("histogramBounds", Napi::Function::New(env, HistogramBounds));
  part.Set("processingBounds", Napi::Function::New(env, ProcessingBounds));
  exports.Set("engine", part);
}

}  // namespace qk::engine
