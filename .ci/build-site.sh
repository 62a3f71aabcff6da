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
if [ "$mode" = release ]; then
  # Compressed once at the highest levels; the server sends these twins to browsers that take
  # them (server/src/startup.rs) instead of compressing on the fly at a lower level.
  node -e '
    const fs = require("fs"), zlib = require("zlib");
    for (const f of process.argv.slice(1)) {
      const raw = fs.readFileSync(f);
      const q = { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length } };
      fs.writeFileSync(f + ".br", zlib.brotliCompressSync(raw, q));
      fs.writeFileSync(f + ".gz", zlib.gzipSync(raw, { level: 9 }));
    }' "$out/pkg/webplus.wasm" "$out/pkg/webplus.js" "$out/pkg/webplus.css"
fi
cp -r public/. "$out/"
ls -l "$out/pkg"
