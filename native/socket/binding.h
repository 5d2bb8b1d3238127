// SPDX-License-Identifier: Apache-2.0
#pragma once
#include <napi.h>

namespace qk::socket {

// Adds this part's functions to the addon's exports.
void InitBinding(Napi::Env env, Napi::Object exports);

}  // namespace qk::socket
