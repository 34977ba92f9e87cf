#!/usr/bin/env bash
# Runs every check and test: formatting, the schema file against the server's, the unit tests,
# and the end-to-end suites on SQLite, PostgreSQL and MariaDB, including the browser test in
# headless Chromium against the built portal, then a bounded fuzzing run of the GraphQL API.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser
scripts/services.sh

echo "==> formatting"
cargo fmt --all -- --check

echo "==> building the portal"
scripts/build-portal.sh

echo "==> schema.graphql is what the server exports"
cargo build --locked --bin steward
if ! diff -u schema.graphql <(target/debug/steward export-schema); then
  echo "schema.graphql is stale: run 'cargo run --bin steward export-schema > schema.graphql'" >&2
  exit 1
fi

echo "==> tests"
cargo test --locked --workspace --exclude steward-frontend

echo "==> portal logic (merge-patch diff, password rules), on the host"
cargo test --locked -p steward-frontend --lib

echo "==> fuzzing the GraphQL API (bounded; FUZZ_LONG=1 scripts/fuzz/run.sh for a long run)"
scripts/fuzz/run.sh
