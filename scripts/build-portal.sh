#!/usr/bin/env bash
# Builds the portal into dist/ with Trunk, offline: the tools scripts/setup.sh installed are used
# and nothing is downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/bin:$PATH"
export TRUNK_SKIP_VERSION_CHECK=true
# Trunk runs cargo offline; fetch the portal's crates first.
cargo fetch --target wasm32-unknown-unknown --locked >/dev/null
trunk build --release
# Brotli and gzip copies of every file, which the server sends as they are.
cargo run --release --locked --quiet -p steward-precompress -- dist
