#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Entry point of `npm run bench`: works from a fresh clone (as root). Installs npm
# dependencies if missing, compiles the TypeScript, then runs the harness, which builds
# its C and BPF tools (bench/build.sh) itself. Extra arguments go to bench/main.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d node_modules ]] || npm ci --no-audit --no-fund
# Other parts of the tree may not compile at every commit; the bench only needs its own.
if ! npx tsc -p tsconfig.json; then
  [[ -f dist/bench/main.js ]] || { echo "bench: TypeScript build failed" >&2; exit 1; }
  echo "bench: tsc reported errors (above); running the bench code that compiled" >&2
fi
exec node dist/bench/main.js "$@"
