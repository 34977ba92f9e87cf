#!/usr/bin/env bash
# Fuzzes Steward's GraphQL API with schemathesis: builds the server, starts it on a fresh SQLite
# file on a free loopback port, creates a superadmin, then drive.py seeds data through the API and
# runs schemathesis signed in as an org ADMIN and as the superadmin. Fails when any response is an
# HTTP 5xx, carries an INTERNAL error or an error without a contract code, when the server logs a
# panic, or when /healthz stops answering.
#
# Usage:
#   scripts/fuzz/run.sh              # bounded: a few minutes, what scripts/test.sh runs
#   FUZZ_LONG=1 scripts/fuzz/run.sh  # long: rounds until at least 50,000 GraphQL requests, well-
#                                    # and ill-typed (about an hour on 2 cores)
#
# Knobs (environment): FUZZ_PROFILE=debug|release (default debug), FUZZ_MAX_EXAMPLES (test cases
# per operation and principal), FUZZ_MIN_OPERATIONS (long mode's floor), FUZZ_WORKERS,
# FUZZ_MODE=positive|negative|all (bounded: positive, well-typed requests; long: all),
# FUZZ_SEED (reproduce a run), FUZZ_TRACE=1 (write every request and answer to trace.jsonl),
# FUZZ_KEEP=1 (keep the work folder: server log, reports, database).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

PROFILE=${FUZZ_PROFILE:-debug}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
if [ "${FUZZ_LONG:-0}" = 1 ]; then
  MAX_EXAMPLES=${FUZZ_MAX_EXAMPLES:-200}
  MIN_OPERATIONS=${FUZZ_MIN_OPERATIONS:-50000}
  MODE=${FUZZ_MODE:-all}
else
  MAX_EXAMPLES=${FUZZ_MAX_EXAMPLES:-25}
  MIN_OPERATIONS=${FUZZ_MIN_OPERATIONS:-0}
  MODE=${FUZZ_MODE:-positive}
fi

say "building the server ($PROFILE)"
if [ "$PROFILE" = release ]; then
  cargo build --locked --release --bin steward
else
  cargo build --locked --bin steward
fi
STEWARD="$TARGET_DIR/$PROFILE/steward"

# schemathesis and its dependencies at pinned versions, from PyPI.
VENV="$ROOT/.tools/fuzz-venv"
if ! cmp -s scripts/fuzz/requirements.txt "$VENV/requirements.txt" 2>/dev/null; then
  say "installing schemathesis into .tools/fuzz-venv"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps -r scripts/fuzz/requirements.txt
  cp scripts/fuzz/requirements.txt "$VENV/requirements.txt"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/steward-fuzz.XXXXXX")
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -INT "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  if [ "${FUZZ_KEEP:-0}" = 1 ]; then
    echo "fuzz work folder kept: $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
export STEWARD_DATABASE_URL="sqlite://$WORK/steward.db?mode=rwc"
export STEWARD_BIND="127.0.0.1:$PORT"
export STEWARD_PUBLIC_URL="$URL"
export STEWARD_PORTAL_DIR="$WORK/no-portal"
export STEWARD_MAIL_POLL_INTERVAL_MS=60000
# Every request comes from 127.0.0.1: with the default limits the fuzzer would mostly meet
# RATE_LIMITED. Lockout stays on: fuzzed password checks with wrong passwords count toward the
# principals' own lockout, so the driver signs them in naming a fresh client address each time
# (X-Forwarded-For, believed from loopback only).
export STEWARD_TRUSTED_PROXIES=127.0.0.1
export STEWARD_LOGIN_ATTEMPTS_PER_IP_PER_MINUTE=1000000
export STEWARD_LOGIN_ATTEMPTS_PER_ACCOUNT_PER_MINUTE=1000000
export STEWARD_LOGIN_ATTEMPTS_PER_ACCOUNT_CEILING_PER_MINUTE=1000000
export STEWARD_MAIL_REQUESTS_PER_ACCOUNT_CEILING_PER_HOUR=1000000
export STEWARD_ADMIN_MAILS_PER_ACTOR_PER_HOUR=1000000
export STEWARD_ADMIN_MAILS_PER_RECIPIENT_PER_HOUR=1000000
export STEWARD_TOKEN_REQUESTS_PER_IP_PER_MINUTE=1000000
export STEWARD_TOKEN_REQUESTS_PER_CLIENT_PER_MINUTE=1000000
export STEWARD_MAIL_REQUESTS_PER_IP_PER_MINUTE=1000000
export STEWARD_MAIL_REQUESTS_PER_ACCOUNT_PER_HOUR=1000000
export STEWARD_ACCESS_TOKEN_TTL_SECONDS=86400
export RUST_LOG=${RUST_LOG:-warn,steward_server=info}

SUPERADMIN_EMAIL=root@fuzz.test
SUPERADMIN_PASSWORD=violet-anchor-tundra-obelisk-64
"$STEWARD" create-admin --email "$SUPERADMIN_EMAIL" --password "$SUPERADMIN_PASSWORD" >/dev/null 2>"$WORK/create-admin.log" \
  || { cat "$WORK/create-admin.log" >&2; exit 1; }

say "starting the server on $URL"
"$STEWARD" serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  if curl -fsS "$URL/healthz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then cat "$WORK/server.log" >&2; exit 1; fi
  sleep 0.2
done
curl -fsS "$URL/healthz" >/dev/null || { echo "the server did not come up" >&2; cat "$WORK/server.log" >&2; exit 1; }

say "fuzzing (max $MAX_EXAMPLES examples per operation and principal, at least $MIN_OPERATIONS requests)"
status=0
"$VENV/bin/python" scripts/fuzz/drive.py \
  --url "$URL" \
  --superadmin-email "$SUPERADMIN_EMAIL" \
  --superadmin-password "$SUPERADMIN_PASSWORD" \
  --schemathesis "$VENV/bin/schemathesis" \
  --steward "$STEWARD" \
  --max-examples "$MAX_EXAMPLES" \
  --min-operations "$MIN_OPERATIONS" \
  --workers "${FUZZ_WORKERS:-2}" \
  --mode "$MODE" \
  ${FUZZ_SEED:+--seed "$FUZZ_SEED"} \
  $( [ "${FUZZ_TRACE:-0}" = 1 ] && echo --trace ) \
  --report-dir "$WORK/reports" || status=$?

if ! kill -0 "$SERVER_PID" 2>/dev/null; then
  echo "the server died during the run; its log ends with:" >&2
  tail -n 50 "$WORK/server.log" >&2
  status=1
fi
if grep -n "panicked" "$WORK/server.log" >&2; then
  echo "the server panicked during the run (lines above)" >&2
  status=1
fi
if grep -n "request failed" "$WORK/server.log" >&2; then
  echo "the server logged internal errors during the run (lines above)" >&2
  status=1
fi
if [ "$status" != 0 ]; then
  FUZZ_KEEP=1
  echo "fuzzing found problems; the reports and the server log are in $WORK" >&2
fi
exit "$status"
