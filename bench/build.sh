#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the benchmark's C tools and BPF programs into bench/bin/ (git-ignored).
# Incremental: a target is rebuilt only when one of its sources is newer.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/bin"
mkdir -p "$bin"
CFLAGS=(-O2 -g -Wall -Wextra -Werror -std=gnu11)
read -r -a sys_include <<<"$(CC=gcc "$here/../bpf/sys-include.sh")"
BPF_CFLAGS=(-O2 -g -target bpf -Wall -Wextra -Werror "${sys_include[@]}")

stale() { # stale OUT SRC...: true when OUT is missing or older than any SRC
  local out="$1"; shift
  [[ ! -e "$out" ]] && return 0
  for src in "$@"; do [[ "$src" -nt "$out" ]] && return 0; done
  return 1
}

tools="$here/tools"
for t in udpgen udpecho; do
  if stale "$bin/$t" "$tools/$t.c" "$tools"/*.h; then
    gcc "${CFLAGS[@]}" -pthread -o "$bin/$t" "$tools/$t.c"
  fi
done

if stale "$bin/jited_lines" "$tools/jited_lines.c"; then
  gcc "${CFLAGS[@]}" -o "$bin/jited_lines" "$tools/jited_lines.c" -lbpf
fi

bpf="$here/bpf"
for p in xdp_gen xdp_sink xdp_fwd; do
  if stale "$bin/$p.bpf.o" "$bpf/$p.bpf.c" "$bpf"/*.h; then
    clang "${BPF_CFLAGS[@]}" -c "$bpf/$p.bpf.c" -o "$bin/$p.bpf.o"
  fi
  if stale "$bin/$p" "$bpf/$p.c" "$bpf/loader.c" "$bpf"/*.h; then
    gcc "${CFLAGS[@]}" -o "$bin/$p" "$bpf/$p.c" "$bpf/loader.c" -lbpf -lelf -lz
  fi
done
