// SPDX-License-Identifier: Apache-2.0
// The batched test entry point: runs many conformance / fuzz cases in one call, each on a fresh
// engine with a frozen clock. Format in test_entry.cc; the TS side is
// test/conformance/native-implementation.ts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace qk::engine {

// Returns false with `error` set when the batch itself is malformed; per-run description errors are
// reported inside the result.
bool test_entry__run(const uint8_t* batch, size_t len, std::vector<uint8_t>* result, std::string* error);

}  // namespace qk::engine
