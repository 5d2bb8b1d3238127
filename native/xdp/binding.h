// SPDX-License-Identifier: Apache-2.0
#pragma once
#include <napi.h>

namespace qk::xdp {

// Adds this part's exports to the addon (exports.xdp.XdpBackend).
void InitBinding(Napi::Env env, Napi::Object exports);

}  // namespace qk::xdp
