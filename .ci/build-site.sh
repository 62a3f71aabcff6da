#!/usr/bin/env bash
# Builds the browser bundle into target/site without cargo-leptos (same output layout):
#   target/site/pkg/webplus.js, webplus.wasm, webplus.css, plus public/ assets.
# Used by `make test` so a cold CI machine need not compile cargo-leptos (~20 min).
#   .ci/build-site.sh [dev|release]
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-release}"
target_dir="${CARGO_TARGET_DIR:-target}"
profile=wasm-release; [ "$mode" = dev ] && profile=dev
out=target/site
cargo build -p frontend --lib --target wasm32-unknown-unknown --profile "$profile"
dir=$profile; [ "$profile" = dev ] && dir=debug
rm -rf "$out/pkg" && mkdir -p "$out/pkg"
wasm-bindgen --target web --no-typescript --out-dir "$out/pkg" --out-name webplus \
  "$target_dir/wasm32-unknown-unknown/$dir/frontend.wasm"
mv "$out/pkg/webplus_bg.wasm" "$out/pkg/webplus.wasm"
if [ "$mode" = release ]; then
  .ci/wasm-tools/node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    "$out/pkg/webplus.wasm" -o "$out/pkg/webplus.wasm"
fi
cp style/main.css "$out/pkg/webplus.css"
cp -r public/. "$out/"
ls -l "$out/pkg"
