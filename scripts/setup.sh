#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what the project needs (Debian packages, npm packages) and builds it. Idempotent:
# a second run installs nothing and rebuilds only what changed.
#   scripts/setup.sh          what building and running need (scripts/apt-packages.txt)
#   scripts/setup.sh --test   also what the tests need (scripts/apt-packages-test.txt)
# Build logs go to .cache/build-logs/ in this checkout.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*"; }

LOG_DIR=.cache/build-logs
mkdir -p "$LOG_DIR"
apt_lists=(scripts/apt-packages.txt)
case "${1:-}" in
  --test) apt_lists+=(scripts/apt-packages-test.txt) ;;
  '') ;;
  *) say "unknown option $1 (expected --test)" >&2; exit 2 ;;
esac

# Progress lines for a long step: every line on a terminal (overwriting one line), else at each
# tenth of the way, so CI logs stay short. Reads "<n> <total> <what>" lines on stdin (total 100:
# n is a percentage).
progress() {
  local label="$1" tty=0 last=-1 n total what step
  [ -t 1 ] && tty=1
  while read -r n total what; do
    [ "$total" -gt 0 ] || continue
    step="$((n * 100 / total))%"
    [ "$total" = 100 ] || step="$n/$total ($step)"
    if [ "$tty" = 1 ]; then
      printf '\r\033[K[setup] %s %s %s' "$label" "$step" "$what"
    elif [ $((n * 10 / total)) != "$last" ]; then
      printf '[setup] %s %s %s\n' "$label" "$step" "$what"
      last=$((n * 10 / total))
    fi
  done
  if [ "$tty" = 1 ]; then printf '\n'; fi
}

install_apt_packages() {
  local wanted missing=() log="$LOG_DIR/apt.log"
  mapfile -t wanted < <(cat "${apt_lists[@]}" | grep -Ev '^\s*(#|$)')
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
  say "installing ${#missing[@]} Debian packages: ${missing[*]} (log: $log)"
  export DEBIAN_FRONTEND=noninteractive
  say "apt-get update"
  apt-get update -qq >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
  # APT::Status-Fd reports "dlstatus:..." and "pmstatus:<pkg>:<percent>:<what>" lines on fd 3.
  if ! apt-get install -y -q --no-install-recommends -o APT::Status-Fd=3 "${missing[@]}" 3>&1 >>"$log" 2>&1 |
    awk -F: '/^dlstatus:/ { printf "%d 100 downloading\n", $3; fflush() } /^pmstatus:/ { printf "%d 100 installing %s\n", $3, $2; fflush() }' |
    progress "apt"; then
    cat "$log" >&2
    say "apt-get install failed (log above)" >&2
    exit 1
  fi
}

install_npm_packages() {
  local stamp=node_modules/.package-lock.sha256 want count
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    say "npm packages: up to date"
    return
  fi
  count=$(node -p "Object.keys(require('./package-lock.json').packages).filter((p) => p !== '').length")
  say "installing $count npm packages (npm ci)"
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

# node-gyp's make prints one "CXX(target) ..." / "CC(target) ..." line per compiled source and one
# for the link: the step count is the sources plus the link (an incremental build ends early).
build_native() {
  local script log="$LOG_DIR/native-build.log" total
  script="$(native_build_script)"
  total=$(($(node scripts/native-sources.js | wc -l) + 1))
  say "building the native addon ($script, $total steps; log: $log)"
  if ! npm run --silent "$script" 2>&1 | tee "$log" |
    awk -v total="$total" '/^ *(CXX|CC|SOLINK_MODULE|LINK)\(target\)/ { n++; if (n > total) n = total; f = $NF; sub(/.*obj\.target\/quilkin_native\//, "", f); printf "%d %d %s\n", n, total, f; fflush() }' |
    progress "native build"; then
    cat "$log" >&2
    say "native addon build failed (log above)" >&2
    exit 1
  fi
}

install_apt_packages
install_npm_packages
build_native
say "compiling TypeScript"
npm run --silent build
say "ready"
