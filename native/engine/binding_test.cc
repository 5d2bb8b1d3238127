// SPDX-License-Identifier: Apache-2.0
// N-API side of the test entry: `TestChain` (one chain instance, steps sent one call at a time, for
// the conformance runner) and `runTestBatch` (many fresh chains per call, for the fuzzer).
#include "native/engine/binding.h"
#include "native/engine/test_entry.h"

namespace qk::engine {

namespace {

class JsTestChain : public Napi::ObjectWrap<JsTestChain> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "TestChain",
                       {InstanceMethod<&JsTestChain::Run>("run"), InstanceMethod<&JsTestChain::Counters>("counters")});
  }

  // new TestChain(description: Buffer, seed: number); throws the engine's message when invalid.
  explicit JsTestChain(const Napi::CallbackInfo& info) : Napi::ObjectWrap<JsTestChain>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsBuffer() || !info[1].IsNumber()) {
      Napi::TypeError::New(env, "TestChain(description: Buffer, seed: number)").ThrowAsJavaScriptException();
      return;
    }
    auto desc = info[0].As<Napi::Buffer<uint8_t>>();
    std::string error;
    session_ = TestSession::create(desc.Data(), desc.Length(),
                                   static_cast<uint64_t>(info[1].As<Napi::Number>().Int64Value()), &error);
    if (!session_) Napi::Error::New(env, error).ThrowAsJavaScriptException();
  }

 private:
  // run(steps: Buffer, count: number) -> Buffer of results (format in test_entry.cc)
  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!session_ || info.Length() < 2 || !info[0].IsBuffer() || !info[1].IsNumber()) {
      Napi::TypeError::New(env, "run(steps: Buffer, count: number) on a valid TestChain").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    auto steps = info[0].As<Napi::Buffer<uint8_t>>();
    DescReader r(steps.Data(), steps.Length());
    ByteWriter out;
    if (!session_->run_steps(r, info[1].As<Napi::Number>().Uint32Value(), out) || !r.ok()) {
      Napi::Error::New(env, r.ok() ? "malformed test step" : r.error()).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    return Napi::Buffer<uint8_t>::Copy(env, out.out.data(), out.out.size());
  }

  // counters() -> { readPassed, writePassed, readDropped[], writeDropped[] } of this chain's worker
  Napi::Value Counters(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!session_) return env.Undefined();
    uint64_t rd[QK_DROP__MAX], wd[QK_DROP__MAX], rp = 0, wp = 0;
    session_->engine().sum_counters(rd, wd, &rp, &wp);
    return counters_object(env, rd, wd, rp, wp);
  }

  std::unique_ptr<TestSession> session_;
};

// runTestBatch(batch: Buffer) -> Buffer (see test_entry.cc)
Napi::Value RunTestBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsBuffer()) {
    Napi::TypeError::New(env, "runTestBatch(batch): batch must be a Buffer").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto batch = info[0].As<Napi::Buffer<uint8_t>>();
  std::vector<uint8_t> result;
  std::string error;
  if (!test_entry__run(batch.Data(), batch.Length(), &result, &error)) {
    Napi::Error::New(env, error).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Buffer<uint8_t>::Copy(env, result.data(), result.size());
}

}  // namespace

void InitTestBinding(Napi::Env env, Napi::Object part) {
  part.Set("TestChain", JsTestChain::Define(env));
  part.Set("runTestBatch", Napi::Function::New(env, RunTestBatch));
}

}  // namespace qk::engine
