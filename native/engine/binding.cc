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

Napi::Array jitter_values(Napi::Env env, const qk::timing::JitterReading& j) {
  Napi::Array out = Napi::Array::New(env, 2);
  for (uint32_t d = 0; d < 2; d++)
    out.Set(d, j.has[d] ? Napi::Value(Napi::Number::New(env, double(j.ns[d]))) : env.Null());
  return out;
}

namespace {

// Marks JS objects made by engine.Engine, so UnwrapEngine can trust them without global state
// (the addon may be loaded in several environments, e.g. worker_threads).
const napi_type_tag kEngineTypeTag = {0x716b656e67696e65ULL, 0x4a73456e67696e65ULL};
// Marks objects made by Engine#prepare, so publish can trust the pointer they wrap.
const napi_type_tag kPreparedTypeTag = {0x716b707265706172ULL, 0x4a73507265706172ULL};

// What a PreparedGeneration object wraps: the compiled generation, which engine built it and from
// which generation it inherited state (publish recompiles if another publish came in between).
struct Prepared {
  std::shared_ptr<const Generation> gen;
  std::weak_ptr<const Engine> engine;
  uint64_t base_id = 0;       // the engine's current generation when prepared
  bool chain_reused = false;  // gen took the base generation's chain object as it was
  std::string desc;           // kept to recompile against a newer current generation
  bool published = false;
};

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
    return DefineClass(
        env, "Engine",
        {InstanceMethod<&JsEngine::Prepare>("prepare"), InstanceMethod<&JsEngine::Publish>("publish"),
         InstanceMethod<&JsEngine::Counters>("counters"), InstanceMethod<&JsEngine::DrainDebug>("drainDebug"),
         InstanceMethod<&JsEngine::SlotCells>("slotCells"),
         InstanceMethod<&JsEngine::FilterDurations>("filterDurations"),
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
  // prepare(description: Buffer) -> PreparedGeneration { maxGrowth, maxDestinations }: compiles
  // everything (regexes included) against the current generation and swaps nothing; throws the
  // engine's message when the description is invalid.
  Napi::Value Prepare(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsBuffer()) {
      Napi::TypeError::New(env, "prepare(description): description must be a Buffer").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    auto desc = info[0].As<Napi::Buffer<uint8_t>>();
    auto prepared = compile(desc.Data(), desc.Length());
    if (!prepared) {
      Napi::Error::New(env, error_).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    prepared->desc.assign(reinterpret_cast<const char*>(desc.Data()), desc.Length());
    Napi::Object o = Napi::Object::New(env);
    o.Set("maxGrowth", prepared->gen->max_growth());
    o.Set("maxDestinations", prepared->gen->max_destinations());
    Prepared* raw = prepared.release();
    napi_status st = napi_wrap(
        env, o, raw, [](napi_env, void* data, void*) { delete static_cast<Prepared*>(data); }, nullptr, nullptr);
    if (st != napi_ok) {
      delete raw;
      Napi::Error::New(env, "prepare: could not wrap the prepared generation").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    o.TypeTag(&kPreparedTypeTag);
    return o;
  }

  // publish(prepared: PreparedGeneration | description: Buffer) -> PublishResult. A Buffer is
  // prepared and published in one go. A prepared generation is published at most once, and only
  // into the engine that prepared it.
  Napi::Value Publish(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() >= 1 && info[0].IsBuffer()) {
      auto desc = info[0].As<Napi::Buffer<uint8_t>>();
      auto prepared = compile(desc.Data(), desc.Length());
      if (!prepared) {
        Napi::Error::New(env, error_).ThrowAsJavaScriptException();
        return env.Undefined();
      }
      return swap_in(env, *prepared);
    }
    if (info.Length() < 1 || !info[0].IsObject() || !info[0].As<Napi::Object>().CheckTypeTag(&kPreparedTypeTag)) {
      Napi::TypeError::New(env,
                           "publish(prepared): expected a PreparedGeneration from prepare() or a description Buffer")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    void* data = nullptr;
    if (napi_unwrap(env, info[0], &data) != napi_ok || !data) {
      Napi::TypeError::New(env, "publish(prepared): the PreparedGeneration has no generation")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Prepared& p = *static_cast<Prepared*>(data);
    if (p.engine.lock() != engine_) {
      Napi::Error::New(env, "publish(prepared): prepared by another engine").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (p.published) {
      Napi::Error::New(env, "publish(prepared): already published").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (engine_->current_id() != p.base_id) {
      // Another generation went in since prepare: inherit state from it, not from the older one.
      auto again = compile(reinterpret_cast<const uint8_t*>(p.desc.data()), p.desc.size());
      if (!again) {
        Napi::Error::New(env, error_).ThrowAsJavaScriptException();
        return env.Undefined();
      }
      p.gen = std::move(again->gen);
      p.chain_reused = again->chain_reused;
      p.base_id = again->base_id;
    }
    p.published = true;
    Napi::Value result = swap_in(env, p);
    p.gen.reset();  // the engine holds it now
    p.desc.clear();
    p.desc.shrink_to_fit();
    return result;
  }

  // Compiles against the current generation; null with error_ set when invalid. Call from the JS thread.
  std::unique_ptr<Prepared> compile(const uint8_t* desc, size_t len) {
    auto p = std::make_unique<Prepared>();
    p->engine = engine_;
    p->base_id = engine_->current_id();
    auto base = engine_->current();
    error_.clear();
    p->gen = generation__compile(desc, len, base.get(), &error_);
    if (!p->gen) return nullptr;
    p->chain_reused = base && base->chain == p->gen->chain;
    return p;
  }

  // -> { generation, maxGrowth, maxDestinations, chainReused, filtersKept }
  Napi::Value swap_in(Napi::Env env, const Prepared& p) {
    const Generation& gen = *p.gen;
    engine_->publish(p.gen);
    const bool reused = p.chain_reused;
    auto o = Napi::Object::New(env);
    o.Set("generation", static_cast<double>(gen.id));
    o.Set("maxGrowth", gen.max_growth());
    o.Set("maxDestinations", gen.max_destinations());
    o.Set("chainReused", reused);
    o.Set("filtersKept", reused ? static_cast<uint32_t>(gen.chain->filters().size()) : gen.chain->filters_kept());
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

  // filterDurations() -> {read, write}: [{kind, buckets, count, sum}] for each filter kind timed
  // so far, summed over workers; buckets per filterDurationBounds() then +Inf, sum in seconds.
  Napi::Value FilterDurations(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    qk::timing::FilterDurationTotals t;
    engine_->sum_filter_durations(&t);
    auto out = Napi::Object::New(env);
    for (int d = 0; d < 2; d++) {
      auto rows = Napi::Array::New(env);
      uint32_t n = 0;
      for (int kind = 0; kind < qk::timing::kFilterKinds; kind++) {
        uint64_t count = t.count(d, kind);
        if (count == 0) continue;
        auto buckets = Napi::Array::New(env, qk::timing::kFilterBuckets);
        for (uint32_t k = 0; k < uint32_t(qk::timing::kFilterBuckets); k++)
          buckets.Set(k, double(t.buckets[d][kind][k]));
        auto row = Napi::Object::New(env);
        row.Set("kind", kind);
        row.Set("buckets", buckets);
        row.Set("count", double(count));
        row.Set("sum", double(t.sum_ns[d][kind]) / 1e9);
        rows.Set(n++, row);
      }
      out.Set(d ? "write" : "read", rows);
    }
    return out;
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
        for (int b = 0; b <= SlotCell::kBuckets; b++)
          buckets[d][b] += c.hist_bucket[d][b].load(std::memory_order_relaxed);
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
  std::string error_;  // the last compile's message
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

// filterDurationBounds() -> the per-filter duration bounds in seconds (runtime/metrics.ts must match)
Napi::Value FilterDurationBounds(const Napi::CallbackInfo& info) {
  auto arr = Napi::Array::New(info.Env(), qk::timing::kFilterBounds);
  for (uint32_t k = 0; k < uint32_t(qk::timing::kFilterBounds); k++) arr.Set(k, qk::timing::kFilterBoundsSec.s[k]);
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
  part.Set("filterDurationBounds", Napi::Function::New(env, FilterDurationBounds));
  exports.Set("engine", part);
}

}  // namespace qk::engine
