#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Style and lint checks, as npm test and CI run them: prettier (TS/JS layout), ESLint (TS/JS
# rules), clang-format (C and C++; scripts/format-native.sh). `--fix` rewrites instead of checking.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = --fix ]; then
  npx prettier --log-level warn --write '**/*.{ts,js,mjs}'
  npx eslint --fix .
  bash scripts/format-native.sh
  exit 0
fi
npx prettier --log-level warn --check '**/*.{ts,js,mjs}'
npx eslint --max-warnings 0 .
bash scripts/format-native.sh --check
