# Sourced by end2end/run.sh and scripts/fuzz-api.sh: starts the server binary in DEV (demo
# data) on a database and a port, waits until /readyz answers, and stops it again.
#
#   start_server <binary> <port> <database url> <log file>   sets $server to its pid
#   stop_server                                               (idempotent)

server=

start_server() {
  local binary=$1 port=$2 database=$3 log=$4
  MEALQUEST_ENV=dev \
  MEALQUEST_DATABASE__URL="$database" \
  MEALQUEST_SERVER__PORT="$port" \
  MEALQUEST_LOG__FORMAT=json \
  LEPTOS_SITE_ROOT=target/site \
  LEPTOS_SITE_PKG_DIR=pkg \
    "$binary" >"$log" 2>&1 &
  server=$!
  for _ in $(seq 1 300); do
    if curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null; then return 0; fi
    if ! kill -0 "$server" 2>/dev/null; then
      echo "server exited before it was ready:"; tail -n 50 "$log"; exit 1
    fi
    sleep 0.1
  done
  echo "server not ready:"; tail -n 50 "$log"; exit 1
}

stop_server() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=
  fi
}
