#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Where the proxy's XDP program spends its time, by source line: runs a quick benchmark of one
# subject (default xdp-fast) under `perf record -e cpu-clock -a -g` (a software clock, so it
# works in VMs without hardware counters), loads bpf/obj/xdp_redirect.bpf.o once more to read
# its JIT line map (the same object JITs to the same layout and tag), and charges the samples
# taken under the program to the functions it called and to its own lines
# (bench/profile-lines.ts). As root; needs perf (Debian: linux-perf) and bpftool.
#   bash bench/profile-xdp.sh [SUBJECT] [TOP]
# The quick profile floods 1, 1000 and 100000 sessions and both chains; the figures mix them.
set -euo pipefail
cd "$(dirname "$0")/.."
subject=${1:-xdp-fast}
top=${2:-25}
for tool in perf bpftool; do
  command -v "$tool" >/dev/null || { echo "profile-xdp: needs $tool (Debian: linux-perf, bpftool)" >&2; exit 1; }
done
bash bench/build.sh
npx tsc -p bench/tsconfig.json
out=$(mktemp -d)
pin=/sys/fs/bpf/qk-profile-$$
cleanup() { rm -rf "$pin" "$out"; }
trap cleanup EXIT
echo "profile-xdp: benchmarking $subject under perf (about a minute)" >&2
if ! perf record -q -e cpu-clock -F 4999 -a -g -o "$out/perf.data" -- \
  node dist/bench/main.js --profile quick --subjects "$subject" --no-docs --out "$out/results" >"$out/bench.log" 2>&1; then
  tail -20 "$out/bench.log" >&2
  exit 1
fi
perf script -i "$out/perf.data" >"$out/perf.txt" 2>/dev/null
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
bpftool prog loadall bpf/obj/xdp_redirect.bpf.o "$pin" type xdp
tag=$(bpftool prog show pinned "$pin/qk_xdp_redirect" | sed -n 's/.* tag \([0-9a-f]*\).*/\1/p')
if ! grep -q "bpf_prog_${tag}_qk_xdp_redirect" "$out/perf.txt"; then
  echo "profile-xdp: no samples of program tag $tag: the proxy ran another object than bpf/obj (rebuilt since?)" >&2
  exit 1
fi
bench/bin/jited_lines "$pin/qk_xdp_redirect" >"$out/lines.txt"
node dist/bench/profile-lines.js "$out/perf.txt" "$out/lines.txt" qk_xdp_redirect "$top"
