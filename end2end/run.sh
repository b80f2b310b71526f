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

source scripts/server.sh
trap stop_server EXIT
start_server "$binary" "$port" mem:// "$log"

if [ $# -gt 0 ]; then
  BASE_URL="http://127.0.0.1:$port" "$@"
else
  BASE_URL="http://127.0.0.1:$port" npx playwright test -c end2end/playwright.config.ts
fi
