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
  local label="$1" tty=0 last=-1 n total what line="" printed=""
  [ -t 1 ] && tty=1
  while read -r n total what; do
    [ "$total" -gt 0 ] || continue
    line="$((n * 100 / total))%"
    [ "$total" = 100 ] || line="$n/$total ($line)"
    line="[setup] $label $line $what"
    if [ "$tty" = 1 ]; then
      printf '\r\033[K%s' "$line"
    elif [ $((n * 10 / total)) != "$last" ]; then
      printf '%s\n' "$line"
      printed="$line"
      last=$((n * 10 / total))
    fi
  done
  if [ "$tty" = 1 ]; then
    printf '\n'
  elif [ "$line" != "$printed" ]; then
    printf '%s\n' "$line" # the last step, so the log shows where it ended
  fi
}

# The steps are read in bash, line by line: awk (mawk) would buffer its input and report late.
# APT::Status-Fd lines: "dlstatus:<n>:<percent>:<what>", "pmstatus:<package>:<percent>:<what>".
apt_steps() {
  local kind item percent what
  while IFS=: read -r kind item percent what; do
    case "$kind" in
      dlstatus) echo "${percent%%.*} 100 downloading" ;;
      pmstatus) echo "${percent%%.*} 100 installing $item" ;;
    esac
  done
}

# node-gyp's make prints one "CXX(target) <object>" / "CC(target) ..." line per compiled source
# and one for the link: the step count is the sources plus the link (an incremental build ends
# early).
native_steps() {
  local total="$1" n=0 line
  while IFS= read -r line; do
    [[ "$line" =~ ^\ *(CXX|CC|SOLINK_MODULE|LINK)\(target\)\ (.*)$ ]] || continue
    n=$((n < total ? n + 1 : total))
    echo "$n $total ${BASH_REMATCH[2]##*quilkin_native/}"
  done
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
  # APT::Status-Fd=3: progress lines on fd 3, into the pipe; apt's own output goes to the log.
  if ! apt-get install -y -q --no-install-recommends -o APT::Status-Fd=3 "${missing[@]}" 3>&1 >>"$log" 2>&1 |
    apt_steps | progress "apt"; then
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

build_native() {
  local script log="$LOG_DIR/native-build.log" total
  script="$(native_build_script)"
  total=$(($(node scripts/native-sources.js | wc -l) + 1))
  say "building the native addon ($script, $total steps; log: $log)"
  if ! npm run --silent "$script" 2>&1 | tee "$log" |
    native_steps "$total" | progress "native build"; then
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
