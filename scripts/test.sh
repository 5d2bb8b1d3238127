#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The whole test suite, as the README and CI run it: set up (with the test-only Debian packages),
# build, check generated files, check the build for arm64, prove a fresh clone passes the
# conformance suite on its own, run the native tests under AddressSanitizer/UBSan, then every
# test (its summary is the last line).
# QUILKIN_SKIP_SANITIZERS=1 leaves out the sanitizer flavour for a quicker local run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
node scripts/gen-drop-reasons.js --check
node scripts/gen-protos.js --check
echo "[test] arm64 build check"
bash scripts/check-arm64.sh
echo "[test] fresh clone in an empty directory"
bash scripts/test-fresh-clone.sh
if [ "${QUILKIN_SKIP_SANITIZERS:-0}" != 1 ]; then
  echo "[test] native engine under AddressSanitizer/UBSan"
  asan_log=.cache/build-logs/native-asan-build.log
  bash scripts/build-native-asan.sh >"$asan_log" 2>&1 || { cat "$asan_log" >&2; exit 1; }
  bash scripts/test-native-asan.sh
fi
echo "[test] full suite"
npx mocha --reporter ./test/support/summary-reporter.js "$@"
