// SPDX-License-Identifier: Apache-2.0
#pragma once
#include <napi.h>

#include <memory>

#include "native/engine/engine.h"
#include "native/engine/packet_jitter.h"
#include "native/engine/processing_time.h"

namespace qk::engine {

// Adds this part's functions to the addon's exports (exports.engine).
void InitBinding(Napi::Env env, Napi::Object exports);

// Adds the test entry points (TestChain, runTestBatch) to `part` (binding_test.cc). Only the
// test addon, quilkin_native_test.node, calls it.
void InitTestBinding(Napi::Env env, Napi::Object part);

// { readPassed, writePassed, readDropped[], writeDropped[] } (arrays indexed by drop reason id).
Napi::Object counters_object(Napi::Env env, const uint64_t* read_dropped, const uint64_t* write_dropped,
                             uint64_t read_passed, uint64_t write_passed);

// [read, write], each { buckets[] (per bound, then +Inf; not cumulative), count, sum (seconds) }:
// a backend's quilkin_packets_processing_duration_seconds (HistogramCells in engine-addon.ts).
Napi::Array processing_cells(Napi::Env env, const qk::timing::ProcessingTotals& t);

// [read, write]: a backend's quilkin_packet_jitter in nanoseconds, null where no worker has set
// it yet.
Napi::Array jitter_values(Napi::Env env, const qk::timing::JitterReading& j);

// The C++ engine behind a JS `engine.Engine` object, for other parts of the addon (the socket
// workers): returns null (and throws a JS TypeError) when `value` is not one.
std::shared_ptr<Engine> UnwrapEngine(Napi::Value value);

}  // namespace qk::engine
