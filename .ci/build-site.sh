#!/usr/bin/env bash
# Builds the browser bundle into target/site without cargo-leptos (same output layout):
#   target/site/pkg/webplus.js, webplus.wasm, webplus.css, the lazily loaded chunks (*.wasm) with
#   their loader and manifest, plus public/ assets.
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
# Split first (as `cargo leptos --split` does): the routes and functions marked `#[lazy_route]` or
# `#[lazy]` go into chunks the page fetches when it first needs them (the chunks, their loader and
# `__wasm_split_manifest.json` land in pkg/). The input needs the link's relocations:
# `--emit-relocs`, set for the wasm target in .cargo/config.toml.
linked="$target_dir/wasm32-unknown-unknown/$dir/frontend.wasm"
main="$target_dir/wasm32-unknown-unknown/$dir/frontend_split.wasm"
webplus-wasm-split "$linked" "$out/pkg" "$main" webplus
# The chunks import the main module's functions by their link names: keep and do not demangle them.
wasm-bindgen --target web --no-typescript --keep-lld-exports --no-demangle --out-dir "$out/pkg" \
  --out-name webplus "$main"
mv "$out/pkg/webplus_bg.wasm" "$out/pkg/webplus.wasm"
if [ "$mode" = release ]; then
  # -Os, not -Oz: the main module came out smaller after brotli (417,022 B vs 421,184 B, 2026-12-02).
  for f in "$out"/pkg/*.wasm; do
    .ci/wasm-tools/node_modules/.bin/wasm-opt -Os --enable-bulk-memory --enable-nontrapping-float-to-int \
      "$f" -o "$f"
  done
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
    }' "$out"/pkg/*.wasm "$out"/pkg/*.js "$out/pkg/webplus.css"
fi
cp -r public/. "$out/"
ls -l "$out/pkg"
