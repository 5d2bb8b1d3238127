#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fails if the committed BPF objects are stale (rebuilt from source in a temp
# dir and compared byte for byte) or if the kernel verifier rejects them.
# Needs clang/llvm to rebuild and CAP_BPF (root) to load.
set -euo pipefail

bpf_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(dirname "$bpf_dir")"
tmp="$(mktemp -d /tmp/qkbpf-check.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT

node "$repo_dir/scripts/gen-drop-reasons.js" --check

QK_BPF_TOOLS_DIR="$tmp/bin" "$bpf_dir/build.sh" "$tmp/obj" >/dev/null
stale=0
for fresh in "$tmp"/obj/*.bpf.o; do
	name="$(basename "$fresh")"
	if ! cmp -s "$fresh" "$bpf_dir/obj/$name"; then
		echo "bpf/obj/$name is stale: run npm run build:bpf and commit it" >&2
		stale=1
	fi
done
[ "$stale" -eq 0 ] || exit 1
echo "bpf/obj is up to date"

"$tmp/bin/verify_load" "$bpf_dir"/obj/*.bpf.o
