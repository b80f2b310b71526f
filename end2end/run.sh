#!/usr/bin/env bash
# Starts the freshly built server on an in-memory database with demo data, waits until it is
# ready, runs the Playwright suite against it in Debian's Chromium (or the command given after
# the port, e.g. a benchmark script), and always stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

binary=${1:?usage: end2end/run.sh <server binary> <port>}
port=${2:?usage: end2end/run.sh <server binary> <port> [command…]}
shift 2
log=end2end/test-results/server.log
mkdir -p end2end/test-results end2end/screenshots

MEALQUEST_ENV=dev \
MEALQUEST_DATABASE__URL=mem:// \
MEALQUEST_SERVER__PORT="$port" \
MEALQUEST_LOG__FORMAT=json \
LEPTOS_SITE_ROOT=target/site \
LEPTOS_SITE_PKG_DIR=pkg \
  "$binary" >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT

for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then
    echo "server exited before it was ready:"; cat "$log"; exit 1
  fi
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || { echo "server not ready:"; cat "$log"; exit 1; }

if [ $# -gt 0 ]; then
  BASE_URL="http://127.0.0.1:$port" "$@"
else
  BASE_URL="http://127.0.0.1:$port" npx playwright test -c end2end/playwright.config.ts
fi
