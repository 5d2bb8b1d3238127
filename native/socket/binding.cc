// SPDX-License-Identifier: Apache-2.0
// N-API face of the socket backend: `new socket.SocketBackend(options)` starts the workers
// on an `engine.Engine` (config changes are published there); the methods read counters and
// stop the workers. Errors are thrown as JS Errors
// (node-addon-api without C++ exceptions: throw, then return at once).
#include "native/socket/binding.h"

#include <memory>
#include <string>

#include "native/engine/binding.h"
#include "native/socket/backend.h"

namespace qk::socket {

namespace {

uint32_t positive_int(Napi::Object options, const char* name, uint32_t max, std::string* error) {
  Napi::Value v = options.Get(name);
  if (!v.IsNumber() || v.As<Napi::Number>().DoubleValue() < 0 || v.As<Napi::Number>().DoubleValue() > max) {
    *error = std::string("option `") + name + "` must be a number in 0.." + std::to_string(max);
    return 0;
  }
  return v.As<Napi::Number>().Uint32Value();
}

}  // namespace

class SocketBackendWrap : public Napi::ObjectWrap<SocketBackendWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit SocketBackendWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value Totals(const Napi::CallbackInfo& info);
  Napi::Value DrainDurations(const Napi::CallbackInfo& info);
  Napi::Value Processing(const Napi::CallbackInfo& info);
  Napi::Value Jitter(const Napi::CallbackInfo& info);
  Napi::Value SessionCount(const Napi::CallbackInfo& info);
  Napi::Value Describe(const Napi::CallbackInfo& info);
  Napi::Value Stop(const Napi::CallbackInfo& info);

  std::unique_ptr<Backend> backend_;
  uint32_t workers_ = 0;
  bool stopped_ = false;
};

Napi::Function SocketBackendWrap::Define(Napi::Env env) {
  return DefineClass(
      env, "SocketBackend",
      {InstanceMethod("totals", &SocketBackendWrap::Totals),
       InstanceMethod("drainDurations", &SocketBackendWrap::DrainDurations),
       InstanceMethod("processing", &SocketBackendWrap::Processing),
       InstanceMethod("jitter", &SocketBackendWrap::Jitter),
       InstanceMethod("sessionCount", &SocketBackendWrap::SessionCount),
       InstanceMethod("describe", &SocketBackendWrap::Describe), InstanceMethod("stop", &SocketBackendWrap::Stop)});
}

SocketBackendWrap::SocketBackendWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SocketBackendWrap>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) {
    Napi::TypeError::New(env, "SocketBackend(options): options object required").ThrowAsJavaScriptException();
    return;
  }
  Napi::Object options = info[0].As<Napi::Object>();
  std::string error;
  BackendSettings settings{};
  settings.port = uint16_t(positive_int(options, "port", 65535, &error));
  if (error.empty()) settings.workers = positive_int(options, "workers", 1024, &error);
  if (error.empty()) settings.timeouts.idle_ms = positive_int(options, "sessionTimeoutMs", UINT32_MAX, &error);
  if (error.empty()) settings.timeouts.unreplied_ms = positive_int(options, "unrepliedTimeoutMs", UINT32_MAX, &error);
  if (error.empty()) settings.max_sessions = positive_int(options, "maxSessions", UINT32_MAX, &error);
  if (error.empty())
    settings.max_sessions_per_source = positive_int(options, "maxSessionsPerSource", UINT32_MAX, &error);
  if (error.empty() && settings.workers == 0) error = "option `workers` must be at least 1";
  if (!error.empty()) {
    Napi::TypeError::New(env, "SocketBackend: " + error).ThrowAsJavaScriptException();
    return;
  }
  workers_ = settings.workers;
  std::shared_ptr<qk::engine::Engine> engine = qk::engine::UnwrapEngine(options.Get("engine"));
  if (!engine) return;  // UnwrapEngine threw: `engine` is not an engine.Engine
  backend_ = Backend::start(settings, std::move(engine), &error);
  if (!backend_) Napi::Error::New(env, "socket backend: " + error).ThrowAsJavaScriptException();
}

Napi::Value SocketBackendWrap::Totals(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CounterTotals t = backend_ ? backend_->totals() : CounterTotals{};
  auto pair = [&](const uint64_t(&v)[2]) {
    Napi::Array a = Napi::Array::New(env, 2);
    for (uint32_t d = 0; d < 2; d++) a.Set(d, Napi::Number::New(env, double(v[d])));
    return a;
  };
  auto by_reason = [&](const uint64_t(&v)[2][QK_DROP__MAX]) {
    Napi::Array a = Napi::Array::New(env, 2);
    for (uint32_t d = 0; d < 2; d++) {
      Napi::Array row = Napi::Array::New(env, QK_DROP__MAX);
      for (uint32_t r = 0; r < QK_DROP__MAX; r++) row.Set(r, Napi::Number::New(env, double(v[d][r])));
      a.Set(d, row);
    }
    return a;
  };
  Napi::Object out = Napi::Object::New(env);
  out.Set("packets", pair(t.packets));
  out.Set("bytes", pair(t.bytes));
  out.Set("drops", by_reason(t.drops));
  out.Set("errors", by_reason(t.errors));
  out.Set("passed", pair(t.passed));
  out.Set("sessionsCreated", Napi::Number::New(env, double(t.sessions_created)));
  out.Set("sessionsClosed", Napi::Number::New(env, double(t.sessions_closed)));
  out.Set("sessionsEvicted", Napi::Number::New(env, double(t.sessions_evicted)));
  out.Set("durationsLost", Napi::Number::New(env, double(t.durations_lost)));
  out.Set("endpointSockets", Napi::Number::New(env, double(t.endpoint_sockets)));
  return out;
}

Napi::Value SocketBackendWrap::DrainDurations(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env);
  uint32_t n = 0;
  if (backend_) backend_->drain_durations([&](uint32_t secs) { out.Set(n++, Napi::Number::New(env, secs)); });
  return out;
}

// processing() -> [read, write] processing-time histograms, merged over the workers; they stay
// readable after stop().
Napi::Value SocketBackendWrap::Processing(const Napi::CallbackInfo& info) {
  return qk::engine::processing_cells(info.Env(), backend_ ? backend_->processing() : qk::timing::ProcessingTotals{});
}

// jitter() -> [read, write] quilkin_packet_jitter in nanoseconds, null until a worker set it.
Napi::Value SocketBackendWrap::Jitter(const Napi::CallbackInfo& info) {
  return qk::engine::jitter_values(info.Env(), backend_ ? backend_->jitter() : qk::timing::JitterReading{});
}

Napi::Value SocketBackendWrap::SessionCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), backend_ ? double(backend_->session_count()) : 0);
}

Napi::Value SocketBackendWrap::Describe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("port", Napi::Number::New(env, backend_ ? backend_->port() : 0));
  out.Set("workers", Napi::Number::New(env, workers_));
  out.Set("batch", Napi::Number::New(env, kBatch));
  out.Set("running", Napi::Boolean::New(env, backend_ && !stopped_));
  const FileBudget files = backend_ ? backend_->file_budget() : FileBudget{};
  out.Set("fileLimit", Napi::Number::New(env, double(files.soft_limit)));
  out.Set("filesReserved", Napi::Number::New(env, double(files.reserved)));
  out.Set("sessionLimit", Napi::Number::New(env, double(files.session_limit)));
  return out;
}

Napi::Value SocketBackendWrap::Stop(const Napi::CallbackInfo& info) {
  if (backend_ && !stopped_) backend_->stop();
  stopped_ = true;
  return info.Env().Undefined();
}

void InitBinding(Napi::Env env, Napi::Object exports) {
  Napi::Object part = Napi::Object::New(env);
  part.Set("SocketBackend", SocketBackendWrap::Define(env));
  exports.Set("socket", part);
}

}  // namespace qk::socket
