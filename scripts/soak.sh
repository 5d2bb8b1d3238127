#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The long profile of the fuzz and soak suite (issue 17 item 6): every test in test/fuzz at soak
# sizes, with a random seed unless FUZZ_SEED is set (printed by each test; a failure prints the
# command line that replays it). `npm test` runs the same files in the short CI profile.
#   FUZZ_SEED=n           replay a run          FUZZ_CASES=n   override the case count
#   FUZZ_SOAK_SECONDS=n   seconds per spray phase (default 30: a 60 s soak)
# Needs root for the namespace phase of the spray soak (skipped otherwise). More than half an hour (the end-to-end backend differential dominates).
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.json
export FUZZ_PROFILE=soak
exec npx mocha --no-config --exit --timeout 1800000 'dist/test/fuzz/**/*.test.js' "$@"
