#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The whole test suite, as the README and CI run it: set up, build, check generated files, run the
# native tests under AddressSanitizer/UBSan, then every test (its summary is the last line).
# QUILKIN_SKIP_SANITIZERS=1 leaves out the sanitizer flavour for a quicker local run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node scripts/gen-drop-reasons.js --check
if [ "${QUILKIN_SKIP_SANITIZERS:-0}" != 1 ]; then
  echo "[test] native engine under AddressSanitizer/UBSan"
  bash scripts/build-native-asan.sh >/tmp/quilkin-asan-build.log 2>&1 || { cat /tmp/quilkin-asan-build.log >&2; exit 1; }
  bash scripts/test-native-asan.sh
fi
echo "[test] full suite"
npx mocha --reporter ./test/support/summary-reporter.js "$@"
