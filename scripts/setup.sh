#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what the project needs (Debian packages, npm packages) and builds it. Idempotent:
# a second run installs nothing and rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*"; }

install_apt_packages() {
  local wanted missing=()
  mapfile -t wanted < <(grep -Ev '^\s*(#|$)' scripts/apt-packages.txt)
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    say "Debian packages: all ${#wanted[@]} present"
    return
  fi
  if [ "$(id -u)" -ne 0 ]; then
    say "missing Debian packages: ${missing[*]}; run as root (or install them) and retry" >&2
    exit 1
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_npm_packages() {
  local stamp=node_modules/.package-lock.sha256 want
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    say "npm packages: up to date"
    return
  fi
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --ignore-scripts
  echo "$want" > "$stamp"
}

# A full node-gyp rebuild takes about a minute here. When the build directory exists and no
# .gyp/.gypi file changed since it was configured, make rebuilds only what changed (the
# generated makefiles track header dependencies).
native_build_script() {
  if [ -f native/build/Makefile ] && [ -f native/build/Release/quilkin_native.node ] &&
    [ -z "$(find native data-plane -name '*.gyp' -newer native/build/Makefile -o -name '*.gypi' -newer native/build/Makefile | head -n 1)" ]; then
    echo build:native:changed
  else
    echo build:native
  fi
}

build() {
  local script
  script="$(native_build_script)"
  say "building the native addon ($script)"
  if ! npm run --silent "$script" >/tmp/quilkin-native-build.log 2>&1; then
    cat /tmp/quilkin-native-build.log >&2
    say "native addon build failed (log above)" >&2
    exit 1
  fi
  say "compiling TypeScript"
  npm run --silent build
}

install_apt_packages
install_npm_packages
build
say "ready"
