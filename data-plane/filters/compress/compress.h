// SPDX-License-Identifier: Apache-2.0
// Native Compress (quilkin.filters.compress.v1alpha1.Compress): Snappy (raw block) or LZ4
// (Quilkin's varint size + block) per direction, via libsnappy and liblz4; see compress.ts.
#pragma once

#include "native/engine/filter.h"

namespace qk::filters {

std::unique_ptr<engine::Filter> compress__parse(engine::ParseEnv& env, uint32_t slot);

// The codecs alone, for tests: encode/decode `in` into `out` (cleared first). False on any failure,
// including an output larger than the 65507-byte datagram limit (`out` then empty).
bool compress__encode(uint8_t mode, const uint8_t* in, uint32_t len, std::vector<uint8_t>* out);
bool compress__decode(uint8_t mode, const uint8_t* in, uint32_t len, std::vector<uint8_t>* out);

}  // namespace qk::filters
