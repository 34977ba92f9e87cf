#!/usr/bin/env bash
# Installs what building the portal needs, each tool at a pinned version and only from the package
# registries: the wasm32 target, Trunk, the wasm-bindgen CLI that matches Cargo.lock, and npm's
# binaryen (wasm-opt) and GraphiQL. With --browser it also installs Chromium and ChromeDriver
# (Debian's packages) for the browser tests. A tool already at the right version is skipped, so a
# warm run takes seconds.
#
# Usage: scripts/setup.sh [--browser]
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
# The wasm-bindgen CLI must be the exact version of the wasm-bindgen crate in Cargo.lock.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
WANT_BROWSER=no
[ "${1:-}" = "--browser" ] && WANT_BROWSER=yes

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(trunk --version 2>/dev/null || true)" != "trunk $TRUNK_VERSION" ]; then
  say "installing trunk $TRUNK_VERSION (about 8 minutes, once)"
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }')" != "$WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 3 minutes, once)"
  # Not --locked: one of its locked dependency versions is missing from the registry.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

# binaryen's wasm-opt and GraphiQL's assets, exactly as package-lock.json pins them.
if [ ! -x node_modules/.bin/wasm-opt ] || ! cmp -s package-lock.json node_modules/.package-lock.json.copy 2>/dev/null; then
  say "installing npm packages (binaryen, GraphiQL, React)"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.package-lock.json.copy
fi
# Only wasm-opt goes on Trunk's PATH, so no other wasm-opt (Debian's breaks the app) is taken.
mkdir -p .tools/bin
ln -sf "$PWD/node_modules/.bin/wasm-opt" .tools/bin/wasm-opt

if [ "$WANT_BROWSER" = yes ] && ! { command -v chromium >/dev/null && command -v chromedriver >/dev/null; }; then
  say "installing chromium and chromedriver for the browser tests"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi
