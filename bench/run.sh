#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Entry point of `npm run bench`: works from a fresh clone (as root). Installs npm
# dependencies if missing, compiles the harness, then runs it, which builds
# its C and BPF tools (bench/build.sh) itself. Extra arguments go to bench/main.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d node_modules ]] || npm ci --no-audit --no-fund
# Only the harness is compiled here (npm run build compiles it with the rest): a
# whole-tree tsc on a busy 2-vCPU box would eat much of the 3-minute budget.
npx tsc -p bench/tsconfig.json
exec node dist/bench/main.js "$@"
