// SPDX-License-Identifier: Apache-2.0
// N-API face of the socket backend: `new socket.SocketBackend(options)` starts the workers;
// the methods configure them and read their counters. Errors are thrown as JS Errors
// (node-addon-api without C++ exceptions: throw, then return at once).
#include "native/socket/binding.h"

#include <arpa/inet.h>

#include <memory>
#include <string>

#include "native/socket/backend.h"

namespace qk::socket {

namespace {

// Parses "a.b.c.d" or an IPv6 literal into the dual-stack (IPv6 / v4-mapped) form.
bool parse_ip(const std::string& text, uint16_t port, Endpoint* out) {
  std::memset(out, 0, sizeof(*out));
  in_addr v4;
  in6_addr v6;
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    out->addr.ip[10] = 0xff;
    out->addr.ip[11] = 0xff;
    std::memcpy(out->addr.ip + 12, &v4, 4);
  } else if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    std::memcpy(out->addr.ip, &v6, 16);
  } else {
    return false;
  }
  out->addr.port = port;
  out->resolved = true;
  addr_key__to_sockaddr(out->addr, &out->sockaddr);
  return true;
}

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
  std::shared_ptr<const Generation> build_generation(Napi::Env env, Napi::Value endpoints);
  bool running(Napi::Env env);
  Napi::Value ApplyEndpoints(const Napi::CallbackInfo& info);
  Napi::Value Totals(const Napi::CallbackInfo& info);
  Napi::Value DrainDurations(const Napi::CallbackInfo& info);
  Napi::Value SessionCount(const Napi::CallbackInfo& info);
  Napi::Value Describe(const Napi::CallbackInfo& info);
  Napi::Value Stop(const Napi::CallbackInfo& info);

  std::unique_ptr<Backend> backend_;
  uint32_t workers_ = 0;
  bool stopped_ = false;
};

Napi::Function SocketBackendWrap::Define(Napi::Env env) {
  return DefineClass(env, "SocketBackend",
                     {InstanceMethod("applyEndpoints", &SocketBackendWrap::ApplyEndpoints),
                      InstanceMethod("totals", &SocketBackendWrap::Totals),
                      InstanceMethod("drainDurations", &SocketBackendWrap::DrainDurations),
                      InstanceMethod("sessionCount", &SocketBackendWrap::SessionCount),
                      InstanceMethod("describe", &SocketBackendWrap::Describe),
                      InstanceMethod("stop", &SocketBackendWrap::Stop)});
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
  if (error.empty()) settings.idle_timeout_ms = positive_int(options, "sessionTimeoutMs", UINT32_MAX, &error);
  if (error.empty()) settings.max_sessions = positive_int(options, "maxSessions", UINT32_MAX, &error);
  if (error.empty() && settings.workers == 0) error = "option `workers` must be at least 1";
  if (!error.empty()) {
    Napi::TypeError::New(env, "SocketBackend: " + error).ThrowAsJavaScriptException();
    return;
  }
  workers_ = settings.workers;
  auto initial = build_generation(env, options.Get("endpoints"));
  if (!initial) return;
  backend_ = Backend::start(settings, std::move(initial), &error);
  if (!backend_) Napi::Error::New(env, "socket backend: " + error).ThrowAsJavaScriptException();
}

// endpoints: Array<{ ip: string | null, port: number }>; ip null = DNS name not resolved yet.
std::shared_ptr<const Generation> SocketBackendWrap::build_generation(Napi::Env env, Napi::Value value) {
  if (!value.IsArray()) {
    Napi::TypeError::New(env, "endpoints must be an array").ThrowAsJavaScriptException();
    return nullptr;
  }
  Napi::Array list = value.As<Napi::Array>();
  auto gen = std::make_shared<Generation>();
  gen->endpoints.resize(list.Length());
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Value item = list.Get(i);
    Napi::Value ip = item.IsObject() ? item.As<Napi::Object>().Get("ip") : env.Undefined();
    Napi::Value port = item.IsObject() ? item.As<Napi::Object>().Get("port") : env.Undefined();
    bool port_ok = port.IsNumber() && port.As<Napi::Number>().DoubleValue() >= 0 &&
                   port.As<Napi::Number>().DoubleValue() <= 65535;
    bool ip_ok = ip.IsNull() || (ip.IsString() && parse_ip(ip.As<Napi::String>().Utf8Value(),
                                                           uint16_t(port_ok ? port.As<Napi::Number>().Uint32Value() : 0),
                                                           &gen->endpoints[i]));
    if (!port_ok || !ip_ok) {
      Napi::TypeError::New(env, "endpoints[" + std::to_string(i) + "]: expected { ip: IP literal | null, port: 0..65535 }")
          .ThrowAsJavaScriptException();
      return nullptr;
    }
  }
  for (uint32_t w = 0; w < workers_; w++) gen->pipelines.push_back(std::make_unique<PassThrough>());
  return gen;
}

bool SocketBackendWrap::running(Napi::Env env) {
  if (backend_ && !stopped_) return true;
  Napi::Error::New(env, "socket backend is stopped").ThrowAsJavaScriptException();
  return false;
}

Napi::Value SocketBackendWrap::ApplyEndpoints(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!running(env)) return env.Undefined();
  auto next = build_generation(env, info[0]);
  if (next) backend_->apply(std::move(next));
  return env.Undefined();
}

Napi::Value SocketBackendWrap::Totals(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CounterTotals t = backend_ ? backend_->totals() : CounterTotals{};
  auto pair = [&](const uint64_t (&v)[2]) {
    Napi::Array a = Napi::Array::New(env, 2);
    for (uint32_t d = 0; d < 2; d++) a.Set(d, Napi::Number::New(env, double(v[d])));
    return a;
  };
  auto by_reason = [&](const uint64_t (&v)[2][QK_DROP__MAX]) {
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
  out.Set("sessionsCreated", Napi::Number::New(env, double(t.sessions_created)));
  out.Set("sessionsClosed", Napi::Number::New(env, double(t.sessions_closed)));
  out.Set("durationsLost", Napi::Number::New(env, double(t.durations_lost)));
  out.Set("upstreamSockets", Napi::Number::New(env, double(t.upstream_sockets)));
  return out;
}

Napi::Value SocketBackendWrap::DrainDurations(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env);
  uint32_t n = 0;
  if (backend_) backend_->drain_durations([&](uint32_t secs) { out.Set(n++, Napi::Number::New(env, secs)); });
  return out;
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
