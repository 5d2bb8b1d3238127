#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Formats (or with --check, checks) every tracked C and C++ file with clang-format: kernel-style C
# (scripts/clang-format/kernel-c.yaml) for the BPF side, native/net, native/xsk, the bench tools
# and the filters' *_core.h and *.bpf.h headers; the root .clang-format (C++) for the rest.
# Generated headers are left alone (their generators own their layout).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=(-i)
[ "${1:-}" = --check ] && mode=(--dry-run -Werror)
command -v clang-format >/dev/null || { echo "clang-format is not installed (apt-get install clang-format)" >&2; exit 1; }
c=() cpp=()
while IFS= read -r f; do
  case "$f" in
    bpf/lib/drop_reasons.h | native/engine/filter_kinds.h) ;;
    *.c | bpf/* | bench/bpf/* | bench/tools/* | native/net/* | native/xsk/* | *_core.h | *.bpf.h) c+=("$f") ;;
    *) cpp+=("$f") ;;
  esac
done < <(git ls-files '*.c' '*.cc' '*.h')
clang-format "${mode[@]}" --style=file:scripts/clang-format/kernel-c.yaml "${c[@]}"
clang-format "${mode[@]}" --style=file:.clang-format "${cpp[@]}"
