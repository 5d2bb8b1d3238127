#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Memory-safety run of the native engine: the standalone engine tests under ASan/UBSan/LSan, then
# the conformance, control-side, filter-state, hostile-input and differential fuzz tests against
# the ASan/UBSan addons built by scripts/build-native-asan.sh (run that first, and `npm run build`
# for dist/).
# libasan is preloaded because node itself is not instrumented.
# FUZZ_CASES (default 20000 here: ASan makes the engine ~3x slower) sets the fuzz case count.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ADDON="$ROOT/build/native-asan/build/Release/quilkin_native.node"
TEST_ADDON="$ROOT/build/native-asan/build/Release/quilkin_native_test.node"
for f in "$ADDON" "$TEST_ADDON"; do
  [[ -f "$f" ]] || { echo "missing $f: run scripts/build-native-asan.sh first" >&2; exit 1; }
done

cd "$ROOT"
# 1. The engine alone (no node), so LeakSanitizer is on: mutated descriptions + hostile packets,
#    generation swaps under load, the workers' processing-time histogram, per-filter durations and packet jitter.
make -C native/engine/tests -j2 asan
ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
  build/engine-tests/desc_fuzz_test_asan
ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
  build/engine-tests/swap_test_asan
ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
  build/engine-tests/processing_time_test_asan
ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
  build/engine-tests/filter_durations_test_asan
ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
  build/engine-tests/packet_jitter_test_asan

# 1b. The AF_XDP session table (native/xsk): its unit test, fixed scenarios and random model runs.
make -C native/xsk asan
ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
  native/xsk/build/session_test_asan

# 2. The ASan addon inside node: conformance, control side, filter state across generations (real
#    socket workers), hostile input, differential fuzz.
# detect_leaks=0: LeakSanitizer reports node's own process-lifetime allocations at exit; leaks of
# the engine are instead caught by running every case on fresh engines under ASan's heap checks.
QUILKIN_NATIVE_ADDON="$ADDON" \
QUILKIN_NATIVE_TEST_ADDON="$TEST_ADDON" \
LD_PRELOAD="$(gcc -print-file-name=libasan.so)" \
ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1" \
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
FUZZ_CASES="${FUZZ_CASES:-20000}" \
  npx mocha --no-config --timeout 120000 --exit \
    dist/native/engine/engine.test.js \
    dist/native/engine/generation-state.test.js \
    dist/test/fuzz/hostile.test.js \
    dist/test/fuzz/differential.test.js \
    dist/test/conformance/conformance.test.js
