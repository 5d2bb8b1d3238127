// SPDX-License-Identifier: Apache-2.0
#include "native/engine/binding.h"

namespace qk::engine {

void InitBinding(Napi::Env env, Napi::Object exports) {
  Napi::Object part = Napi::Object::New(env);
  exports.Set("engine", part);
}

}  // namespace qk::engine
