// SPDX-License-Identifier: Apache-2.0
// Entry of quilkin_native_test.node, the test-only addon: the engine's test entry points
// (exports.engine.TestChain, exports.engine.runTestBatch). The product addon does not have them.
#include <napi.h>

#include "native/engine/binding.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  Napi::Object part = Napi::Object::New(env);
  qk::engine::InitTestBinding(env, part);
  exports.Set("engine", part);
  return exports;
}

}  // namespace

NODE_API_MODULE(quilkin_native_test, Init)
