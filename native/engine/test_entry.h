// SPDX-License-Identifier: Apache-2.0
// The batched test entry point: runs many conformance / fuzz cases in one call, each on a fresh
// engine with a frozen clock. Format in test_entry.cc; the TS side is
// test/conformance/native-implementation.ts.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "native/engine/byte_writer.h"
#include "native/engine/desc_reader.h"
#include "native/engine/engine.h"

namespace qk::engine {

// One chain instance under test: an engine with a frozen clock and one worker. A sequence case
// sends all its steps through the same session, so stateful filters keep their state.
class TestSession {
 public:
  static std::unique_ptr<TestSession> create(const uint8_t* desc, size_t len, uint64_t seed, std::string* error);
  // Reads `count` steps from `r` and appends their results to `out`; false on a malformed step.
  bool run_steps(DescReader& r, uint32_t count, ByteWriter& out);
  const Engine& engine() const { return engine_; }

 private:
  TestSession() : worker_(engine_, 0) {}
  Engine engine_{1};
  Worker worker_;
};

// Returns false with `error` set when the batch itself is malformed; per-run description errors are
// reported inside the result.
bool test_entry__run(const uint8_t* batch, size_t len, std::vector<uint8_t>* result, std::string* error);

}  // namespace qk::engine
