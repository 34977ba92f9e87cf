#!/usr/bin/env bash
# Builds everything and starts Steward on SQLite with the portal at http://127.0.0.1:8080.
# The first run installs the build tools and compiles from scratch (about 20 minutes on 2 cores);
# later runs take seconds. On first start Steward prints a one-time link to create the first
# superadmin.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build-portal.sh
cargo build --release --locked --bin steward
exec target/release/steward serve
