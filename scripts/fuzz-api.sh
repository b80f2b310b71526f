#!/usr/bin/env bash
# API fuzzing (issue 12, docs/api-fuzzing.md): starts the server on a fresh database with the
# demo data, runs Schemathesis over every operation of /api/openapi.json with every check, once
# per role (diner, cashier, manager, owner, then anonymous, then sign-out per role), stops the
# server and checks that every wallet still equals the sum of its ledger. Exits non-zero if any
# run found anything, after all of them ran. Reports: end2end/test-results/fuzz/.
#
#   scripts/fuzz-api.sh <server binary> <port>
#
#   FUZZ_SECONDS=20       time budget of each role's run (`make fuzz-deep`: 600)
#   FUZZ_SIGNOUT_SECONDS  time budget of each sign-out run (default FUZZ_SECONDS/5, at least 3)
#   FUZZ_SEED=20261130    Hypothesis seed: the same seed, binary and versions give the same cases
#   FUZZ_WORKERS=1        concurrent requests of Schemathesis (one: the same seed sends the same
#                         requests in the same order, and Hypothesis is not raced by threads)
#   FUZZ_RUNS="…"         the runs to do, of: diner cashier manager owner flows anonymous
#                         signout-<role>
#   FUZZ_SCHEMA=file      fuzz with this OpenAPI document instead of the server's own (a draft)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

usage="usage: scripts/fuzz-api.sh <server binary> <port>"
binary=$(realpath "${1:?$usage}")
port=${2:?$usage}
seconds=${FUZZ_SECONDS:-20}
signout_seconds=${FUZZ_SIGNOUT_SECONDS:-$((seconds / 5 > 3 ? seconds / 5 : 3))}
seed=${FUZZ_SEED:-20261130}
workers=${FUZZ_WORKERS:-1}
runs=${FUZZ_RUNS:-diner cashier manager owner flows anonymous signout-diner signout-cashier signout-manager signout-owner}
report=end2end/test-results/fuzz
base="http://127.0.0.1:$port"
if [ -n "${FUZZ_SCHEMA:-}" ]; then
  schema=(--url "$base" "$(realpath "$FUZZ_SCHEMA")")
else
  schema=("$base/api/openapi.json")
fi
started=$(date +%s)

# ---- Schemathesis, pinned, in the project's own virtualenv (PyPI through pip) ----
schemathesis_version=4.32.5
st="$root/.venv/bin/st"
if ! "$st" --version 2>/dev/null | grep -qx "st, version $schemathesis_version"; then
  echo "installing schemathesis $schemathesis_version into .venv (PyPI)"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check \
    -c scripts/fuzz-constraints.txt "schemathesis==$schemathesis_version"
fi
"$st" --version

# ---- a fresh server: its own empty database in a temp dir, migrated and seeded (DEV) ----
rm -rf "$report"
mkdir -p "$report"
log=$report/server.log
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mealquest-fuzz.XXXXXX")
db="surrealkv://$tmp/db"
source scripts/server.sh
keep_db=
trap 'stop_server; [ -n "$keep_db" ] || rm -rf "$tmp"' EXIT

if curl -fsS -o /dev/null "$base/readyz" 2>/dev/null; then
  echo "port $port already answers: another server is running there; pick another port"
  exit 1
fi
start_server "$binary" "$port" "$db" "$log"

# ---- every token first ----
# Failed logins lock the client address out (20 per address, then 429 RATE_LIMITED for
# everyone there, right passwords too; docs/access.md), and the anonymous run fuzzes the
# logins: so every token, the spare ones for the sign-out runs too, is taken before any run.
login() { # $1 = login path, $2 = JSON body; prints the token
  local answer
  answer=$(curl -sS -w '\n%{http_code}' "$base$1" -H 'content-type: application/json' -d "$2")
  if [ "${answer##*$'\n'}" != 200 ]; then
    echo "login refused: POST $1 → ${answer##*$'\n'} ${answer%$'\n'*}" >&2
    return 1
  fi
  python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])' <<<"${answer%$'\n'*}"
}
token_of() { # $1 = role
  case $1 in
    diner) login /api/auth/diner/login '{"code":"dev:wx-demo-002"}' ;; # DEV login: the uid after dev:
    cashier) login /api/auth/staff/login '{"username":"xiaozhang","password":"cashier-demo-1"}' ;;
    manager) login /api/auth/staff/login '{"username":"xiaoli","password":"manager-demo-1"}' ;;
    owner) login /api/auth/staff/login '{"username":"laowang","password":"owner-demo-1"}' ;;
  esac
}
alive() { # $1 = token: does the server still take it?
  curl -fsS -o /dev/null -H "Authorization: Bearer $1" "$base/api/catalog?merchant_id=demo"
}
declare -A token spare
# The flows run's two people: 小明 (wx-demo-001, who holds cards) pays and synthesizes, the owner
# scans, recharges and refunds — so the links between a diner's and a cashier's operations
# (create a payment → scan its code → refund it) are walked with real ids.
flow_diner=$(login /api/auth/diner/login '{"code":"dev:wx-demo-001"}')
flow_staff=$(token_of owner)
for role in diner cashier manager owner; do
  token[$role]=$(token_of "$role")
  # sign_out ends the session of the token it is sent with: its runs get a token of their own.
  spare[$role]=$(token_of "$role")
  alive "${token[$role]}" || { echo "the $role's fresh token is refused"; exit 1; }
done

# ---- the runs ----
# Every run: the whole document (an endpoint added to /api/openapi.json is fuzzed from then on),
# every check, all four phases (examples, coverage, fuzzing, stateful: the stateful phase
# follows the document's OpenAPI links), a time budget, a fixed seed, a JUnit report.
# GET /ws is left out in schemathesis.toml (a WebSocket). POST /api/auth/sign_out would end the
# role's session halfway through its run, so it has runs of its own, with the spare tokens.
# The logins are public, the bearer changes nothing for them: only the anonymous run fuzzes
# them, so that the role runs do not lock the address out before it gets to them.
declare -A outcome
failed=0
fuzz() { # $1 = run name, $2 = seconds, then st options
  local name=$1 secs=$2 dir="$root/$report/$1" code
  shift 2
  mkdir -p "$dir"
  echo
  echo "==== $name: st run, $secs s, seed $seed ===="
  # Its own working directory: Schemathesis keeps its cache and the crash files `st replay`
  # reads in ./.schemathesis, one set per run. The hook gives each request an Idempotency-Key
  # of its own (scripts/fuzz_hooks.py says why).
  set +e
  (cd "$dir" && SCHEMATHESIS_HOOKS="$root/scripts/fuzz_hooks.py" \
    "$st" --config-file "${config:-$root/schemathesis.toml}" --no-color run \
    --checks all --phases "${phases:-examples,coverage,fuzzing,stateful}" \
    --max-time "$secs" --seed "$seed" --workers "$workers" \
    --report junit --report-dir "$dir" "$@" "${schema[@]}") 2>&1 | tee "$dir/output.txt"
  code=${PIPESTATUS[0]}
  set -e
  local last codes
  last=$(grep -E '^=+ .* =+$' "$dir/output.txt" | tail -n 1 | sed -E 's/^=+ //; s/ =+$//' || true)
  codes=$(sed -n '/^Failures:/,/^$/p' "$dir/output.txt" | grep -oE 'ST[0-9]{3} [^:]+: [0-9]+' \
    | sed -E 's/^(ST[0-9]{3}) .*: ([0-9]+)$/\1×\2/' | paste -sd ' ' || true)
  if [ "$code" = 0 ]; then
    outcome[$name]="ok    ${last:-exit 0}"
  else
    failed=1
    outcome[$name]="FAIL  ${last:-exit $code}${codes:+ — $codes}"
  fi
}
for run in $runs; do
  case $run in
    diner | cashier | manager | owner)
      if ! alive "${token[$run]}"; then
        failed=1; outcome[$run]="FAIL  the $run's token was refused before its run (signed out by an earlier run?)"; continue
      fi
      fuzz "$run" "$seconds" -H "Authorization: Bearer ${token[$run]}" \
        --exclude-path /api/auth/sign_out \
        --exclude-path /api/auth/staff/login --exclude-path /api/auth/diner/login
      alive "${token[$run]}" || { failed=1; outcome[$run]+="; its token was dead after the run"; }
      ;;
    flows)
      # One run, two identities: the diner's operations carry 小明's token, the rest the
      # owner's (per-operation headers in a config written for this run: the base config
      # with the two headers; the tokens come from the environment, never the file).
      flows_config="$root/$report/flows.toml"
      mkdir -p "$root/$report"
      {
        echo 'headers = { Authorization = "Bearer ${FUZZ_STAFF_TOKEN}" }'
        cat "$root/schemathesis.toml"
        echo
        echo '[[operations]]'
        echo 'include-path-regex = "^/api/(payment/create|assets/synthesize|market/trade|wallets/mine|assets/mine|ledger/mine|diner/member_code)$"'
        echo 'headers = { Authorization = "Bearer ${FUZZ_DINER_TOKEN}" }'
      } >"$flows_config"
      # Positive data only, with the demo's ids named (scripts/fuzz_hooks.py): the other runs
      # cover what a client must not send; this one makes money move.
      FUZZ_FLOWS=1 FUZZ_STAFF_TOKEN=$flow_staff FUZZ_DINER_TOKEN=$flow_diner config="$flows_config" \
        fuzz flows "$seconds" --mode positive --exclude-path /api/auth/sign_out \
        --exclude-path /api/auth/staff/login --exclude-path /api/auth/diner/login
      ;;
    anonymous)
      fuzz anonymous "$seconds"
      ;;
    signout-diner | signout-cashier | signout-manager | signout-owner)
      # One operation links to nothing: no stateful phase.
      phases=examples,coverage,fuzzing \
        fuzz "$run" "$signout_seconds" -H "Authorization: Bearer ${spare[${run#signout-}]}" \
        --include-path /api/auth/sign_out
      ;;
    *) echo "unknown run in FUZZ_RUNS: $run"; exit 2 ;;
  esac
done

# ---- Σ ledger = wallet, on what the runs left behind ----
stop_server
echo
echo "==== ledger check: every wallet equals the sum of its ledger ===="
ledger_log=$report/check-ledger.txt
# MEALQUEST_SERVER__PORT: a binary from before check-ledger ignores the word and starts serving;
# on this port it is seen doing so and stopped, instead of taking the default one.
MEALQUEST_ENV=dev MEALQUEST_DATABASE__URL="$db" MEALQUEST_SERVER__PORT="$port" \
  "$binary" check-ledger >"$ledger_log" 2>&1 &
checker=$!
ledger_code=
for _ in $(seq 1 1200); do # 120 s
  if ! kill -0 "$checker" 2>/dev/null; then
    set +e; wait "$checker"; ledger_code="exit $?"; set -e
    break
  fi
  if curl -fsS -o /dev/null "$base/readyz" 2>/dev/null; then
    kill "$checker"; wait "$checker" 2>/dev/null || true
    echo "(this binary has no check-ledger command: it started serving instead)" >>"$ledger_log"
    ledger_code="not a command of this binary (it started serving)"
    break
  fi
  sleep 0.1
done
if [ -z "$ledger_code" ]; then
  kill "$checker"; wait "$checker" 2>/dev/null || true
  echo "(check-ledger did not finish within 120 s)" >>"$ledger_log"
  ledger_code="no answer within 120 s"
fi
cat "$ledger_log"
if [ "$ledger_code" = "exit 0" ]; then
  outcome[ledger]="ok    every wallet equals the sum of its ledger"
else
  failed=1
  outcome[ledger]="FAIL  check-ledger: $ledger_code (see $ledger_log)"
  if [[ $ledger_code == "exit "* ]]; then # mismatches: keep the database to look into
    keep_db=1
    outcome[ledger]+="; database kept: MEALQUEST_DATABASE__URL=$db"
  fi
fi

# ---- one line per run ----
echo
echo "==== API fuzzing: $(($(date +%s) - started)) s, seed $seed, reports in $report/ ===="
for run in $runs ledger; do
  printf '%-16s %s\n' "$run" "${outcome[$run]:-not run}"
done
if [ "$failed" != 0 ]; then
  echo "Findings: read $report/<run>/output.txt; replay one with the printed curl, or"
  echo "  (cd $report/<run> && $st replay <case id> -H \"Authorization: Bearer \$TOKEN\")"
  echo "  against a server on port $port (docs/api-fuzzing.md)."
  exit 1
fi
