// SPDX-License-Identifier: Apache-2.0
// N-API face of the AF_XDP backend: `new xdp.XdpBackend(options, engine)` runs the detection
// steps and starts the workers, or throws an Error whose message names the failed step and whose
// `steps` property lists every step tried. The methods only read counters: JS never sees a packet.
// Error mode: C++ exceptions off; throw a JS Error, then return at once.
#include "native/xdp/binding.h"

#include <cstring>
#include <memory>
#include <string>

#include "native/engine/binding.h"
#include "native/xdp/backend.h"

namespace qk::xdp {

namespace {

constexpr size_t kMaxEventsPerDrain = 4096;

Napi::Array string_array(Napi::Env env, const StepLog& steps) {
  Napi::Array a = Napi::Array::New(env, steps.size());
  for (uint32_t i = 0; i < steps.size(); i++) a.Set(i, steps[i]);
  return a;
}

bool read_uint(Napi::Object o, const char* name, uint64_t max, uint64_t* out, std::string* error) {
  Napi::Value v = o.Get(name);
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (d < 0 || d > double(max) || d != double(uint64_t(d))) {
    *error = std::string("option `") + name + "` must be an integer in 0.." + std::to_string(max);
    return false;
  }
  *out = uint64_t(d);
  return true;
}

bool read_settings(Napi::Object o, Settings* s, std::string* error) {
  Napi::Value ifname = o.Get("interface"), obj = o.Get("bpfObject"), attach = o.Get("attachMode");
  if (!ifname.IsString() || !obj.IsString() || !attach.IsString()) {
    *error = "options `interface`, `bpfObject` and `attachMode` must be strings";
    return false;
  }
  s->ifname = ifname.As<Napi::String>().Utf8Value();
  Napi::Value forwards = o.Get("forwardInterfaces");
  if (!forwards.IsUndefined()) {
    if (!forwards.IsArray()) {
      *error = "option `forwardInterfaces` must be an array of interface names";
      return false;
    }
    Napi::Array a = forwards.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Value name = a.Get(i);
      if (!name.IsString()) {
        *error = "option `forwardInterfaces` must be an array of interface names";
        return false;
      }
      s->forward_ifnames.push_back(name.As<Napi::String>().Utf8Value());
    }
  }
  s->bpf_object = obj.As<Napi::String>().Utf8Value();
  std::string mode = attach.As<Napi::String>().Utf8Value();
  if (mode == "auto")
    s->attach = AttachMode::kAuto;
  else if (mode == "native")
    s->attach = AttachMode::kNative;
  else if (mode == "generic")
    s->attach = AttachMode::kGeneric;
  else {
    *error = "option `attachMode` must be auto, native or generic";
    return false;
  }
  s->require_zerocopy = o.Get("zerocopy").ToBoolean().Value();
  uint64_t queues, frames, listen, qcmp, lo, hi, max_sessions, idle_ms, unreplied_ms, per_source;
  if (!read_uint(o, "queues", 128, &queues, error) || !read_uint(o, "umemFrames", 1u << 20, &frames, error) ||
      !read_uint(o, "listenPort", 65535, &listen, error) || !read_uint(o, "qcmpPort", 65535, &qcmp, error) ||
      !read_uint(o, "sessionPortMin", 65535, &lo, error) || !read_uint(o, "sessionPortMax", 65535, &hi, error) ||
      !read_uint(o, "maxSessions", UINT32_MAX, &max_sessions, error) ||
      !read_uint(o, "sessionTimeoutMs", UINT32_MAX, &idle_ms, error) ||
      !read_uint(o, "unrepliedTimeoutMs", UINT32_MAX, &unreplied_ms, error) ||
      !read_uint(o, "maxSessionsPerSource", UINT32_MAX, &per_source, error))
    return false;
  if (frames < 256) {
    *error = "option `umemFrames` must be at least 256";
    return false;
  }
  s->queues = uint32_t(queues);
  s->umem_frames = uint32_t(frames);
  s->listen_port = uint16_t(listen);
  s->qcmp_port = uint16_t(qcmp);
  s->session_port_min = uint16_t(lo);
  s->session_port_max = uint16_t(hi);
  s->max_sessions = uint32_t(max_sessions);
  s->idle_timeout_ns = idle_ms * 1000000ull;
  s->unreplied_timeout_ns = unreplied_ms * 1000000ull;
  s->max_sessions_per_source = uint32_t(per_source);
  return true;
}

}  // namespace

class XdpBackendWrap : public Napi::ObjectWrap<XdpBackendWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "XdpBackend",
        {InstanceMethod<&XdpBackendWrap::Describe>("describe"), InstanceMethod<&XdpBackendWrap::TotalsJs>("totals"),
         InstanceMethod<&XdpBackendWrap::BpfCounters>("bpfCounters"),
         InstanceMethod<&XdpBackendWrap::Processing>("processing"), InstanceMethod<&XdpBackendWrap::Jitter>("jitter"),
         InstanceMethod<&XdpBackendWrap::DrainEvents>("drainEvents"),
         InstanceMethod<&XdpBackendWrap::SessionCount>("sessionCount"),
         InstanceMethod<&XdpBackendWrap::DrainDurations>("drainDurations"),
         InstanceMethod<&XdpBackendWrap::OfflinkNote>("offlinkNote"),
         InstanceMethod<&XdpBackendWrap::SyncLocalAddrs>("syncLocalAddrs"),
         InstanceMethod<&XdpBackendWrap::FastIdleBank>("fastIdleBank"),
         InstanceMethod<&XdpBackendWrap::FastLoad>("fastLoad"),
         InstanceMethod<&XdpBackendWrap::FastDisable>("fastDisable"),
         InstanceMethod<&XdpBackendWrap::FastCells>("fastCells"), InstanceMethod<&XdpBackendWrap::Stop>("stop")});
  }

  explicit XdpBackendWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<XdpBackendWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsObject()) {
      Napi::TypeError::New(env, "XdpBackend(options, engine): options object and engine.Engine required")
          .ThrowAsJavaScriptException();
      return;
    }
    std::shared_ptr<engine::Engine> eng = engine::UnwrapEngine(info[1]);
    if (!eng) return;  // UnwrapEngine threw
    Settings s;
    std::string error;
    if (!read_settings(info[0].As<Napi::Object>(), &s, &error)) {
      Napi::TypeError::New(env, "XdpBackend: " + error).ThrowAsJavaScriptException();
      return;
    }
    StepLog steps;
    backend_ = Backend::start(s, std::move(eng), &steps, &error);
    steps_ = steps;
    if (!backend_) {
      Napi::Error e = Napi::Error::New(env, error);
      e.Set("steps", string_array(env, steps));
      e.ThrowAsJavaScriptException();
    }
  }

 private:
  Napi::Value Describe(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    if (!backend_) return o;
    o.Set("interface", backend_->settings().ifname);
    o.Set("forwardInterfaces", string_array(env, backend_->settings().forward_ifnames));
    o.Set("ifindex", backend_->ifindex());
    o.Set("mode", backend_->mode());
    o.Set("zerocopy", backend_->zerocopy());
    o.Set("queues", backend_->queues());
    o.Set("progId", backend_->prog_id());
    o.Set("running", !stopped_);
    o.Set("steps", string_array(env, steps_));
    return o;
  }

  Napi::Value TotalsJs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Totals t = backend_ ? backend_->totals() : Totals{};
    auto num = [&](uint64_t v) { return Napi::Number::New(env, double(v)); };
    auto pair = [&](const uint64_t(&v)[2]) {
      Napi::Array a = Napi::Array::New(env, 2);
      a.Set(uint32_t(0), num(v[0]));
      a.Set(uint32_t(1), num(v[1]));
      return a;
    };
    Napi::Array drops = Napi::Array::New(env, 2);
    for (uint32_t d = 0; d < 2; d++) {
      Napi::Array row = Napi::Array::New(env, QK_DROP__MAX);
      for (uint32_t r = 0; r < QK_DROP__MAX; r++) row.Set(r, num(t.drops[d][r]));
      drops.Set(d, row);
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("packets", pair(t.packets));
    o.Set("bytes", pair(t.bytes));
    o.Set("offlink", pair(t.offlink));
    o.Set("fastPackets", pair(t.fast_packets));
    o.Set("fastBytes", pair(t.fast_bytes));
    o.Set("drops", drops);
    o.Set("sessionsCreated", num(t.sessions_created));
    o.Set("sessionsClosed", num(t.sessions_closed));
    o.Set("sessionsEvicted", num(t.sessions_evicted));
    o.Set("durationsLost", num(t.durations_lost));
    struct Named {
      const char* name;
      uint64_t value;
    } xsk[] = {{"rxPackets", t.rx_packets},
               {"rxBytes", t.rx_bytes},
               {"qcmpReplies", t.qcmp_replies},
               {"copies", t.copies},
               {"txKicks", t.tx_kicks},
               {"txKickRetries", t.tx_kick_retries},
               {"txKickErrors", t.tx_kick_errors},
               {"txRingFull", t.tx_ring_full},
               {"rxWakeups", t.rx_wakeups},
               {"fillShort", t.fill_short},
               {"umemExhausted", t.umem_exhausted},
               {"kernelRxDropped", t.k_rx_dropped},
               {"kernelRxInvalid", t.k_rx_invalid},
               {"kernelTxInvalid", t.k_tx_invalid},
               {"kernelRxRingFull", t.k_rx_ring_full},
               {"kernelFillRingEmpty", t.k_fill_ring_empty},
               {"kernelTxRingEmpty", t.k_tx_ring_empty}};
    Napi::Object x = Napi::Object::New(env);
    for (const Named& n : xsk) x.Set(n.name, num(n.value));
    o.Set("xsk", x);
    return o;
  }

  // processing() -> [read, write] processing-time histograms, merged over the workers
  Napi::Value Processing(const Napi::CallbackInfo& info) {
    return engine::processing_cells(info.Env(), backend_ ? backend_->processing() : timing::ProcessingTotals{});
  }

  // jitter() -> [read, write] quilkin_packet_jitter in nanoseconds, null until a worker set it
  Napi::Value Jitter(const Napi::CallbackInfo& info) {
    return engine::jitter_values(info.Env(), backend_ ? backend_->jitter() : timing::JitterReading{});
  }

  // bpfCounters() -> { packets: number[], bytes: number[] } indexed by enum qk_counter_index
  Napi::Value BpfCounters(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::vector<uint64_t> packets, bytes;
    if (backend_) backend_->bpf_counters(&packets, &bytes);
    Napi::Array p = Napi::Array::New(env, packets.size()), b = Napi::Array::New(env, bytes.size());
    for (uint32_t i = 0; i < packets.size(); i++) {
      p.Set(i, double(packets[i]));
      b.Set(i, double(bytes[i]));
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("packets", p);
    o.Set("bytes", b);
    return o;
  }

  // drainEvents() -> [{ kind, reason, ifindex, rxQueue, frameLen, offset, ethProto }]
  Napi::Value DrainEvents(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::vector<qk_xdp_event> events;
    if (backend_ && !stopped_) backend_->drain_events(&events, kMaxEventsPerDrain);
    Napi::Array a = Napi::Array::New(env, events.size());
    for (uint32_t i = 0; i < events.size(); i++) {
      const qk_xdp_event& e = events[i];
      Napi::Object o = Napi::Object::New(env);
      o.Set("kind", e.kind);
      o.Set("reason", e.reason);
      o.Set("ifindex", e.ifindex);
      o.Set("rxQueue", e.rx_queue);
      o.Set("frameLen", e.frame_len);
      o.Set("offset", e.offset);
      o.Set("ethProto", e.eth_proto);
      a.Set(i, o);
    }
    return a;
  }

  Napi::Value SessionCount(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), backend_ ? backend_->session_count() : 0);
  }

  // drainDurations() -> lifetimes in whole seconds of the sessions closed since the last call
  Napi::Value DrainDurations(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Array out = Napi::Array::New(env);
    uint32_t n = 0;
    if (backend_) backend_->drain_durations([&](uint32_t secs) { out.Set(n++, Napi::Number::New(env, secs)); });
    return out;
  }

  Napi::Value OfflinkNote(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), backend_ ? backend_->offlink_note() : "");
  }

  // syncLocalAddrs() -> true when the interface's addresses changed and the map was updated
  Napi::Value SyncLocalAddrs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    bool changed = false;
    if (!backend_ || stopped_) return Napi::Boolean::New(env, false);
    int err = backend_->sync_local_addrs(&changed);
    if (err) {
      Napi::Error::New(env, std::string("local address map update: ") + std::strerror(-err))
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    return Napi::Boolean::New(env, changed);
  }

  // fastIdleBank() -> the bank the next fastLoad image must be built for, or -1 without a fast path
  Napi::Value FastIdleBank(const Napi::CallbackInfo& info) {
    FastPath* fast = backend_ && !stopped_ ? backend_->fast() : nullptr;
    return Napi::Number::New(info.Env(), fast ? double(fast->idle_bank()) : -1);
  }

  // fastLoad(image: LoweredImage, generation: number): writes the idle bank and switches to it
  Napi::Value FastLoad(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    FastPath* fast = backend_ && !stopped_ ? backend_->fast() : nullptr;
    if (!fast) {
      Napi::Error::New(env, "fastLoad: this backend has no fast path").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsNumber()) {
      Napi::TypeError::New(env, "fastLoad(image, generation)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Object o = info[0].As<Napi::Object>();
    FastImage image;
    std::string error;
    image.bank = o.Get("bank").ToNumber().Uint32Value();
    bool ok = read_entries(o.Get("steps"), &image.steps, &error) &&
              read_entries(o.Get("endpoints"), &image.endpoints, &error) &&
              read_entries(o.Get("tokens"), &image.tokens, &error) &&
              read_entries(o.Get("firewall"), &image.firewall, &error) &&
              read_entry(o.Get("header"), &image.header, &error);
    if (!ok) {
      Napi::TypeError::New(env, "fastLoad: " + error).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (fast->load(image, uint64_t(info[1].As<Napi::Number>().Int64Value()), &error)) {
      Napi::Error::New(env, error).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    return env.Undefined();
  }

  Napi::Value FastDisable(const Napi::CallbackInfo& info) {
    FastPath* fast = backend_ && !stopped_ ? backend_->fast() : nullptr;
    if (fast) fast->disable();
    return info.Env().Undefined();
  }

  // fastCells() -> number[QK_FAST_CELLS], summed over CPUs
  Napi::Value FastCells(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::vector<uint64_t> cells;
    FastPath* fast = backend_ && !stopped_ ? backend_->fast() : nullptr;
    if (fast) fast->cells(&cells);
    Napi::Array a = Napi::Array::New(env, cells.size());
    for (uint32_t i = 0; i < cells.size(); i++) a.Set(i, double(cells[i]));
    return a;
  }

  static bool read_entry(Napi::Value v, MapEntries* out, std::string* error) {
    if (!v.IsObject()) {
      *error = "map entry must be { key: Buffer, value: Buffer }";
      return false;
    }
    Napi::Object e = v.As<Napi::Object>();
    Napi::Value k = e.Get("key"), val = e.Get("value");
    if (!k.IsBuffer() || !val.IsBuffer()) {
      *error = "map entry must be { key: Buffer, value: Buffer }";
      return false;
    }
    auto kb = k.As<Napi::Buffer<uint8_t>>();
    auto vb = val.As<Napi::Buffer<uint8_t>>();
    out->keys.emplace_back(kb.Data(), kb.Data() + kb.Length());
    out->values.emplace_back(vb.Data(), vb.Data() + vb.Length());
    return true;
  }

  static bool read_entries(Napi::Value v, MapEntries* out, std::string* error) {
    if (!v.IsArray()) {
      *error = "map entries must be an array";
      return false;
    }
    Napi::Array a = v.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++)
      if (!read_entry(a.Get(i), out, error)) return false;
    return true;
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    if (backend_ && !stopped_) backend_->stop();
    stopped_ = true;
    return info.Env().Undefined();
  }

  std::unique_ptr<Backend> backend_;
  StepLog steps_;
  bool stopped_ = false;
};

void InitBinding(Napi::Env env, Napi::Object exports) {
  Napi::Object part = Napi::Object::New(env);
  part.Set("XdpBackend", XdpBackendWrap::Define(env));
  exports.Set("xdp", part);
}

}  // namespace qk::xdp
