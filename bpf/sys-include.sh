#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Prints the -I flag a `clang -target bpf` build needs for <asm/types.h> and friends: Debian keeps
# them in the multiarch directory of the host (/usr/include/x86_64-linux-gnu,
# /usr/include/aarch64-linux-gnu), so the directory is asked of the compiler, never spelled out.
# QK_BPF_SYS_INCLUDE overrides it (a cross build: /usr/aarch64-linux-gnu/include). Prints nothing
# where the compiler knows no multiarch directory (distributions that keep asm/ in /usr/include).
set -euo pipefail
if [ -n "${QK_BPF_SYS_INCLUDE:-}" ]; then
  echo "-I$QK_BPF_SYS_INCLUDE"
  exit 0
fi
multiarch="$(${CC:-cc} -print-multiarch 2>/dev/null || true)"
if [ -n "$multiarch" ] && [ -d "/usr/include/$multiarch" ]; then echo "-I/usr/include/$multiarch"; fi
