// SPDX-License-Identifier: Apache-2.0
// N-API exports of Capture's native regex matcher (the `capture` part of the addon).
#pragma once

#include <napi.h>

namespace qk::filters {

void capture__init_binding(Napi::Env env, Napi::Object exports);

}  // namespace qk::filters
