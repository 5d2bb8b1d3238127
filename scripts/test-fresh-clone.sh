#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Proves the repository stands alone: clones HEAD into an empty temporary directory (nothing beside
# it, so no folder next to the checkout can be read), builds the TypeScript there and runs the
# conformance suite (TypeScript and native implementations) and the self-containment test.
# To stay quick (about half a minute) it reuses this checkout's node_modules (a symlink: the same
# package-lock.json) and its built addon (the same native sources at HEAD; rebuilding it costs
# minutes). Everything else, the vectors included, comes from the clone.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
say() { printf '[fresh-clone] %s\n' "$*"; }

parent="$(mktemp -d)"
trap 'rm -rf "$parent"' EXIT
clone="$parent/checkout"
git clone --quiet --no-local --no-hardlinks "$repo" "$clone"
say "cloned $(git -C "$clone" rev-parse --short HEAD) into $clone"
if [ -n "$(ls -A "$parent" | grep -vx checkout)" ]; then
  say "the clone's parent directory is not empty: $(ls -A "$parent")" >&2
  exit 1
fi

ln -s "$repo/node_modules" "$clone/node_modules"
addon=native/build/Release/quilkin_native.node
if [ ! -f "$repo/$addon" ]; then
  say "no built addon in $repo: run scripts/setup.sh first" >&2
  exit 1
fi
if ! git -C "$repo" diff --quiet HEAD -- native data-plane/filters; then
  say "note: native sources differ from HEAD in $repo; the copied addon is built from the working tree"
fi
mkdir -p "$clone/$(dirname "$addon")"
cp "$repo/$addon" "$clone/$addon"
# The conformance runner drives the engine through the test addon, built beside the product one.
cp "$repo/${addon%.node}_test.node" "$clone/${addon%.node}_test.node"

cd "$clone"
say "compiling TypeScript"
npx tsc -p tsconfig.json
say "conformance and self-containment tests"
npx mocha --no-config --reporter dot --timeout 20000 --exit dist/test/conformance/*.test.js dist/test/repo/*.test.js
