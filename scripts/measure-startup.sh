#!/usr/bin/env bash
# Start-up to ready: wall-clock time from exec of the server to /readyz answering 200, on the
# default embedded engine (surrealkv) — first start on an empty directory (migrations + seed)
# and restarts on existing data — and on mem://. Prints median / max over RUNS runs.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:?usage: scripts/measure-startup.sh <server binary>}
runs=${RUNS:-10}
port=${PORT:-3200}

measure() { # $1 = database URL; prints milliseconds to ready
  local url=$1 start end pid
  start=$(date +%s%N)
  MEALQUEST_DATABASE__URL="$url" MEALQUEST_SERVER__PORT=$port MEALQUEST_LOG__FORMAT=json \
    "$binary" >/dev/null 2>&1 &
  pid=$!
  until curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do sleep 0.005; done
  end=$(date +%s%N)
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  echo $(( (end - start) / 1000000 ))
}

summary() { sort -n | awk '{a[NR]=$1} END {printf "median %d ms, max %d ms (n=%d)\n", a[int((NR+1)/2)], a[NR], NR}'; }

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo -n "surrealkv, empty directory: "
for i in $(seq 1 "$runs"); do measure "surrealkv://$tmp/fresh$i/db"; done | summary
echo -n "surrealkv, existing data:   "
for _ in $(seq 1 "$runs"); do measure "surrealkv://$tmp/warm/db"; done | summary
echo -n "mem://:                     "
for _ in $(seq 1 "$runs"); do measure "mem://"; done | summary
