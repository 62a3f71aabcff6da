#!/usr/bin/env bash
# `make run`'s build: the release server and the release browser bundle, at the same time.
# The server's last crates (engine → app → server) compile one after another on one core; the
# other core meanwhile installs the bundle's tools (wasm-bindgen-cli on a first run) and builds the
# bundle. Different cargo profiles (release, wasm-release), so neither waits for the other's lock.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release -p server &
server=$!
( .ci/tools.sh site && .ci/build-site.sh release ) &
site=$!

status=0
wait "$server" || { status=$?; echo "build-release: the server build failed" >&2; }
wait "$site" || { status=$?; echo "build-release: the browser bundle build failed" >&2; }
exit "$status"
