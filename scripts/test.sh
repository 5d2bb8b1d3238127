#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The whole test suite, as the README and CI run it: set up (with the test-only Debian packages),
# build, check generated files and style, check the build for arm64, prove a fresh clone passes the
# conformance suite on its own, run the native tests under AddressSanitizer/UBSan, then every
# test (its summary is the last line).
# QUILKIN_SKIP_SANITIZERS=1 leaves out the sanitizer flavour for a quicker local run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
node scripts/gen-drop-reasons.js --check
node scripts/gen-protos.js --check
node scripts/gen-filter-kinds.js --check
echo "[test] style: prettier, ESLint, clang-format"
bash scripts/lint.sh
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
# Node: the full suite on Node 24 (current LTS, the image's base); the fast part on Node 22, the
# oldest LTS package.json supports: unit tests beside the code, conformance, the k8s provider (its
# client is the dependency that sets the Node floor) and one e2e (test/e2e/proxy), ~20 s. Either
# comes from the npm registry unless the machine's node is that major (scripts/node-lts.sh). The
# addon is built once (N-API, NAPI_VERSION=8) and loaded by both: that is its ABI check.
# QUILKIN_TEST_NODE_MAJORS="24" (or "22 24") picks the Node lines; the first runs the full suite.
run_on_node() {
  local bin
  bin=$(bash scripts/node-lts.sh "$1")
  echo "[test] node $("$bin" --version): $2"
  shift 2
  PATH="$(dirname "$bin"):$PATH" npx mocha "$@"
}
read -r -a node_majors <<<"${QUILKIN_TEST_NODE_MAJORS:-24 22}"
run_on_node "${node_majors[0]}" "full suite" --reporter ./test/support/summary-reporter.js "$@"
for major in "${node_majors[@]:1}"; do
  run_on_node "$major" "unit, conformance, k8s provider, e2e/proxy" --no-config --exit --timeout 20000 \
    --reporter ./test/support/summary-reporter.js \
    'dist/{bpf,config,control-plane,data-plane,native,proto,runtime}/**/*.test.js' \
    'dist/test/conformance/**/*.test.js' 'dist/test/k8s/*.test.js' dist/test/e2e/proxy.test.js
done
