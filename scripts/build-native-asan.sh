#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the addon a second time with AddressSanitizer + UBSan into build/native-asan/ (the normal
# build in native/build/ is untouched). Run the native tests against it with
# scripts/test-native-asan.sh. The gyp file is generated from native/binding.gyp, so both flavours
# always compile the same sources.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/build/native-asan"
NODE_GYP="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"

mkdir -p "$OUT"
node - "$ROOT/native/binding.gyp" "$OUT/binding.gyp" <<'JS'
const fs = require('fs');
const [src, dst] = process.argv.slice(2);
// binding.gyp is JSON plus `#` comment lines.
const gyp = JSON.parse(fs.readFileSync(src, 'utf8').split('\n').filter((l) => !l.trim().startsWith('#')).join('\n'));
const up = (p) => (p.startsWith('<') || p.startsWith('/') ? p : `../../native/${p}`);
const sanitize = ['-fsanitize=address,undefined', '-fno-sanitize=vptr', '-fno-omit-frame-pointer', '-g', '-O1'];
for (const t of gyp.targets) {
  t.includes = (t.includes || []).map(up);
  t.sources = (t.sources || []).map(up);
}
// Flags and include dirs sit in target_defaults (shared by the product and the test addon).
const d = (gyp.target_defaults = gyp.target_defaults || {});
d.include_dirs = (d.include_dirs || []).map(up);
const strip = (flags) => (flags || []).filter((f) => !/^-O\d$/.test(f));
d.cflags = [...strip(d.cflags), ...sanitize];
d.cflags_cc = [...strip(d.cflags_cc), ...sanitize];
d.ldflags = [...(d.ldflags || []), '-fsanitize=address,undefined'];
fs.writeFileSync(dst, JSON.stringify(gyp, null, 2));
JS

# Same node headers as `npm run build:native` (npm passes its `nodedir` setting to node-gyp).
NODEDIR="$(cd "$ROOT" && npm config get nodedir)"
NODEDIR_ARG=()
if [[ -n "$NODEDIR" && "$NODEDIR" != "undefined" && "$NODEDIR" != "null" ]]; then NODEDIR_ARG=(--nodedir="$NODEDIR"); fi

cd "$OUT"
node "$NODE_GYP" rebuild -C "$OUT" --jobs 2 "${NODEDIR_ARG[@]}"
echo "ASan/UBSan addons: $OUT/build/Release/quilkin_native.node, $OUT/build/Release/quilkin_native_test.node"
