#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Checks that the build is not tied to x86-64:
# 1. no build file hard-codes an x86-only include path (the multiarch directory comes from the
#    compiler: bpf/sys-include.sh);
# 2. the BPF objects build against the arm64 kernel headers and are byte-identical to the
#    committed ones (BPF bytecode does not depend on the host);
# 3. every native source of the addon compiles for aarch64-linux-gnu (clang --target, syntax
#    only: there is no arm64 libnode to link against here).
# Needs clang and the Debian cross headers (libstdc++-12-dev-arm64-cross, in
# scripts/apt-packages-test.txt). Takes a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '[arm64] %s\n' "$*"; }

# 1. Hard-coded host paths.
if git grep -n -E '(-I|-isystem|-idirafter) *[^ ]*/x86_64-linux-gnu' -- ':!scripts/check-arm64.sh'; then
  say "hard-coded x86-64 path above: derive it with bpf/sys-include.sh" >&2
  exit 1
fi
say "no hard-coded x86-64 include path"

CROSS_ROOT=/usr/aarch64-linux-gnu
if [ ! -d "$CROSS_ROOT/include/c++" ]; then
  say "arm64 cross headers missing ($CROSS_ROOT/include/c++): install libstdc++-12-dev-arm64-cross" >&2
  exit 1
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# 2. BPF objects with the arm64 asm/ headers.
QK_BPF_SYS_INCLUDE="$CROSS_ROOT/include" QK_BPF_TOOLS_DIR="$tmp/tools" QK_BPF_SKIP_TOOLS=1 bash bpf/build.sh "$tmp/obj" >/dev/null
for obj in "$tmp"/obj/*.bpf.o; do
  cmp -s "$obj" "bpf/obj/$(basename "$obj")" || { say "$(basename "$obj") built with arm64 headers differs from bpf/obj" >&2; exit 1; }
done
say "BPF objects built with arm64 headers match bpf/obj"

# 3. The addon's sources for aarch64. Host headers that are the same on every arch (libbpf, libxdp,
# re2) are reached through one directory of links, so nothing else of the x86-64 /usr/include
# leaks in; Node's own headers (N-API) are arch-independent too.
mkdir -p "$tmp/inc"
for d in bpf xdp re2; do ln -s "/usr/include/$d" "$tmp/inc/$d"; done
addon_api="$(node -p "require('node-addon-api').include_dir")"
# Beside the node binary (Debian, official tarballs), else where node-gyp downloaded them.
node_include="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")/include/node"
[ -f "$node_include/node_api.h" ] || node_include="$HOME/.cache/node-gyp/$(node -p process.versions.node)/include/node"
mapfile -t sources < <(node scripts/native-sources.js)
common=(--target=aarch64-linux-gnu -fsyntax-only -Wall -Wextra -Werror -DNAPI_VERSION=8
  -DNODE_ADDON_API_DISABLE_CPP_EXCEPTIONS -I"$addon_api" -Inative -I. -Inative/xsk -Inative/net
  -Ibpf/lib -isystem "$tmp/inc" -isystem "$node_include")
failed=0
for src in "${sources[@]}"; do
  case "$src" in
    *.c) lang=(-std=gnu11) ;;
    *) lang=(-std=c++20 -fexceptions) ;;
  esac
  clang "${common[@]}" "${lang[@]}" "$src" || { say "does not compile for arm64: $src" >&2; failed=1; }
done
[ "$failed" -eq 0 ] || exit 1
say "${#sources[@]} native sources compile for aarch64-linux-gnu"
