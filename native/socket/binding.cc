// SPDX-License-Identifier: Apache-2.0
#include "native/socket/binding.h"

namespace qk::socket {

void InitBinding(Napi::Env env, Napi::Object exports) {
  Napi::Object part = Napi::Object::New(env);
  exports.Set("socket", part);
}

}  // namespace qk::socket
