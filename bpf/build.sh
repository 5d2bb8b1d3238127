#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the XDP objects into bpf/obj/ (or into $1) and the C test tools into
# $QK_BPF_TOOLS_DIR (default bpf/tests/bin). The object bytes must not depend
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
)

CLANG="${CLANG:-clang}"
LLVM_STRIP="${LLVM_STRIP:-llvm-strip}"
CC="${CC:-cc}"

mkdir -p "$out_dir" "$tools_dir"
cd "$bpf_dir"
for prog in "${programs[@]}"; do
	"$CLANG" -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu \
		-Wall -Wextra -Werror \
		-fdebug-prefix-map="$bpf_dir"=. -ffile-prefix-map="$bpf_dir"=. \
		-c "$prog.bpf.c" -o "$out_dir/$prog.bpf.o.tmp"
	"$LLVM_STRIP" -g "$out_dir/$prog.bpf.o.tmp"
	mv "$out_dir/$prog.bpf.o.tmp" "$out_dir/$prog.bpf.o"
done

for entry in "${tool_sources[@]}"; do
	tool="${entry%%:*}"
	sources=()
	for src in ${entry#*:}; do sources+=("tests/$src"); done
	"$CC" -O2 -g -std=gnu11 -Wall -Wextra -Werror -Ilib -Itests \
		"${sources[@]}" -lbpf -o "$tools_dir/$tool"
done
echo "built ${programs[*]} into $out_dir; tools into $tools_dir"
