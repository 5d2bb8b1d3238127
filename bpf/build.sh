#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the XDP objects into bpf/obj/ (or into $1) and the C test tools into
# $QK_BPF_TOOLS_DIR (default bpf/tests/bin). The kernel headers' multiarch directory comes from
# the compiler (sys-include.sh), so the build works on x86-64 and arm64 alike. The object bytes must not depend
# on where the repository is checked out: CI rebuilds in another folder and
# compares with the committed objects (bpf/check.sh), so every path the
# compiler could record is mapped to "." and DWARF (which libbpf does not need;
# BTF stays) is stripped.
set -euo pipefail

bpf_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out_dir="${1:-$bpf_dir/obj}"
tools_dir="${QK_BPF_TOOLS_DIR:-$bpf_dir/tests/bin}"
programs=(xdp_redirect xdp_pass)
# Each C test tool: its name, then its source files under tests/.
tool_sources=(
	"verify_load: verify_load.c"
	"xdp_cases: xdp_cases.c cases.c frames.c prog_run.c check_verdict.c xsk_socket.c"
	"xsk_rx: xsk_rx.c xsk_socket.c"
	"xdp_fuzz: xdp_fuzz.c prog_run.c"
	"fast_run: fast_run.c prog_run.c"
)

CLANG="${CLANG:-clang}"
LLVM_STRIP="${LLVM_STRIP:-llvm-strip}"
CC="${CC:-cc}"
read -r -a sys_include <<<"$("$(dirname "${BASH_SOURCE[0]}")/sys-include.sh")"

mkdir -p "$out_dir" "$tools_dir"
cd "$bpf_dir"
for prog in "${programs[@]}"; do
	# -ffreestanding: no libc (the filters' plain C cores include stdint.h, which is then clang's own).
	# -I..: the filters' in-kernel halves (data-plane/filters/*/*.bpf.h), relative so no
	# absolute path reaches the object's BTF line info.
	"$CLANG" -O2 -g -target bpf -ffreestanding "${sys_include[@]}" -I.. \
		-Wall -Wextra -Werror \
		-fdebug-prefix-map="$bpf_dir"=. -ffile-prefix-map="$bpf_dir"=. \
		-c "$prog.bpf.c" -o "$out_dir/$prog.bpf.o.tmp"
	"$LLVM_STRIP" -g "$out_dir/$prog.bpf.o.tmp"
	mv "$out_dir/$prog.bpf.o.tmp" "$out_dir/$prog.bpf.o"
done

# QK_BPF_SKIP_TOOLS=1: the objects only (scripts/check-arm64.sh builds them with other headers).
[ "${QK_BPF_SKIP_TOOLS:-0}" = 1 ] && { echo "built ${programs[*]} into $out_dir"; exit 0; }
for entry in "${tool_sources[@]}"; do
	tool="${entry%%:*}"
	sources=()
	for src in ${entry#*:}; do sources+=("tests/$src"); done
	"$CC" -O2 -g -std=gnu11 -Wall -Wextra -Werror -Ilib -Itests \
		"${sources[@]}" -lbpf -o "$tools_dir/$tool"
done
echo "built ${programs[*]} into $out_dir; tools into $tools_dir"
