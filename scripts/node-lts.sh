#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Prints the path of a node binary of the given major version: the machine's node when it is that
# major, else the `node` package from the npm registry, installed once into .cache/node<major>
# (the npm cache keeps the tarball, so later installs are offline).
# Usage: scripts/node-lts.sh 24
set -euo pipefail
cd "$(dirname "$0")/.."
major=${1:?usage: node-lts.sh <major version>}
major_of() { "$1" -p 'process.versions.node.split(".")[0]'; }
if [ "$(major_of node)" = "$major" ]; then
  command -v node
  exit 0
fi
dir=.cache/node$major
bin=$dir/node_modules/node/bin/node
if [ ! -x "$bin" ] || [ "$(major_of "$bin")" != "$major" ]; then
  echo "[node-lts] installing node@$major from the npm registry into $dir" >&2
  npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error --prefix "$dir" "node@$major" >&2
fi
echo "$PWD/$bin"
