// SPDX-License-Identifier: Apache-2.0
// Module entry: each part of the addon adds its exports.
#include <napi.h>

#include "data-plane/filters/capture/capture_binding.h"
#include "native/engine/binding.h"
#include "native/socket/binding.h"
#include "native/xdp/binding.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  qk::engine::InitBinding(env, exports);
  qk::socket::InitBinding(env, exports);
  qk::xdp::InitBinding(env, exports);
  qk::filters::capture__init_binding(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(quilkin_native, Init)
