#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The whole test suite, as the README and CI run it: set up, build, check generated files, test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node scripts/gen-drop-reasons.js --check
npx mocha --reporter ./test/support/summary-reporter.js "$@"
