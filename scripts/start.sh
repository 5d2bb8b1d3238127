#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Quick start: set up, then run the proxy on the built-in quick start config with a local echo
# server as its endpoint. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

CONFIG=${QUILKIN_CONFIG:-config/quickstart.yaml}
PORT=${QUILKIN_PORT:-7777}
ADMIN=${QUILKIN_ADMIN_ADDRESS:-127.0.0.1:8000}

node scripts/echo-server.js 127.0.0.1:7001 &
ECHO_PID=$!
trap 'kill "$ECHO_PID" 2>/dev/null || true' EXIT

node bin/quilkin --config "$CONFIG" --admin-address "$ADMIN" --log-format "${QUILKIN_LOG_FORMAT:-pretty}" proxy --port "$PORT" "$@" &
PROXY_PID=$!
trap 'kill "$PROXY_PID" "$ECHO_PID" 2>/dev/null || true' EXIT INT TERM

for _ in $(seq 1 100); do
  curl -fs "http://$ADMIN/ready" >/dev/null 2>&1 && break
  kill -0 "$PROXY_PID" 2>/dev/null || { echo "the proxy exited; see the log above" >&2; exit 1; }
  sleep 0.1
done
BACKEND=$(curl -fs "http://$ADMIN/config" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const c=JSON.parse(s).proxy;console.log(c.backend+(c.fallbacks.length?" (fell back: "+c.fallbacks.join("; ")+")":""))})')
cat <<BANNER

  Quilkin proxy is running
    mode:      proxy, backend: $BACKEND
    listening: UDP [::]:$PORT (QCMP on [::]:7600)
    endpoint:  echo server on 127.0.0.1:7001 (config: $CONFIG)
    admin:     http://$ADMIN/metrics  /config  /ready  /live
    try it:    echo hello | socat -t 1 - UDP4:127.0.0.1:$PORT

BANNER
wait "$PROXY_PID"
