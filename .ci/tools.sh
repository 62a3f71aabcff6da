#!/usr/bin/env bash
# Installs the build tools Web+ needs, skipping whatever is already there.
#   .ci/tools.sh site    wasm target, wasm-bindgen-cli (exact locked version), wasm-opt (npm binaryen),
#                        webplus-wasm-split (.ci/wasm-split: lazily loaded chunks)
#   .ci/tools.sh leptos  the above plus cargo-leptos (for `make run` / `make dev`)
#   .ci/tools.sh e2e     Chromium (Debian) and the end2end npm packages
#   .ci/tools.sh lint    cargo-shear, cargo-deny and the RustSec advisory database it reads
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  log "installing ${missing[*]} (apt)"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

wasm_target() {
  rustup target list --installed | grep -q '^wasm32-unknown-unknown$' || { log "adding the wasm32 target"; rustup target add wasm32-unknown-unknown; }
}

site_tools() {
  wasm_target
  local want
  want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
    log "installing wasm-bindgen-cli $want (matches Cargo.lock)"
    # Not --locked: its own lock file names a crate version the registry no longer serves.
    # Built at opt-level 0 without its TLS client (it never downloads here) in its own temporary
    # target dir, so it does not wait for the lock of a release build running beside it: 44 s
    # instead of 2 min on 2 cores; it then processes the release bundle in 2 s instead of 0.6 s,
    # with byte-identical output (measured 2026-11-30).
    env -u CARGO_TARGET_DIR CARGO_PROFILE_RELEASE_OPT_LEVEL=0 \
      cargo install wasm-bindgen-cli --version "$want" --force --no-default-features
  fi
  # The bundle's splitter (.ci/wasm-split): its own lock file and temporary target dir, about 45 s
  # on 2 cores, once per version (bump its version when its source changes).
  local split_version
  split_version=$(awk -F'"' '/^version = / { print $2; exit }' .ci/wasm-split/Cargo.toml)
  if ! cargo install --list | grep -q "^webplus-wasm-split v$split_version "; then
    log "installing webplus-wasm-split $split_version (.ci/wasm-split)"
    env -u CARGO_TARGET_DIR cargo install --locked --force --path .ci/wasm-split
  fi
  # wasm-opt from the npm registry: Debian's binaryen (108) corrupts current rustc output.
  if [ ! -x .ci/wasm-tools/node_modules/.bin/wasm-opt ]; then
    log "installing wasm-opt (npm binaryen)"
    (cd .ci/wasm-tools && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

leptos_tools() {
  site_tools
  if [ "$(cargo leptos --version 2>/dev/null | awk '{print $2}')" != "0.3.11" ]; then
    log "installing cargo-leptos 0.3.11 (about 20 minutes on 2 cores, once)"
    # Its locked dependencies need a newer rustc than stable 1.95; nightly builds it.
    rustup toolchain list | grep -q nightly || rustup toolchain install nightly --profile minimal
    cargo +nightly install cargo-leptos --locked --version 0.3.11
  fi
}

e2e_tools() {
  apt_install chromium
  if [ ! -d end2end/node_modules/playwright-core ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
    log "installing end2end npm packages"
    (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

cargo_tool() { # name version: `cargo install --locked` unless that version is already there
  if ! cargo install --list | grep -qx "$1 v$2:"; then
    log "installing $1 $2"
    cargo install "$1" --locked --version "$2"
  fi
}

# cargo-deny reads the RustSec database from here (the folder name it uses for the default URL).
ADVISORY_DB="${CARGO_HOME:-$HOME/.cargo}/advisory-dbs/advisory-db-3157b0e258782691"

lint_tools() {
  # The UI's clippy runs check the WASM build.
  wasm_target
  cargo_tool cargo-deny 0.20.2
  # Newer cargo-shear releases need a newer rustc than this toolchain.
  cargo_tool cargo-shear 1.6.0
  # Fresh from GitHub when it answers; otherwise the copy already here; otherwise the snapshot
  # beside the project (../shared/advisory-db), made into the git repository cargo-deny expects.
  if cargo deny fetch db >/dev/null 2>&1; then
    return 0
  fi
  if [ -d "$ADVISORY_DB/.git" ]; then
    log "the advisory database could not be refreshed from GitHub; using the copy in $ADVISORY_DB"
    return 0
  fi
  local snapshot=../shared/advisory-db
  if [ -d "$snapshot" ]; then
    log "using the advisory database snapshot in $snapshot"
    mkdir -p "$(dirname "$ADVISORY_DB")"
    rm -rf "$ADVISORY_DB" && cp -r "$snapshot" "$ADVISORY_DB"
    git -C "$ADVISORY_DB" init -q
    git -C "$ADVISORY_DB" add -A
    git -C "$ADVISORY_DB" -c user.name=webplus -c user.email=ci@localhost commit -qm "snapshot" --no-gpg-sign
    return 0
  fi
  echo "no RustSec advisory database: GitHub did not answer and there is no copy in $ADVISORY_DB or $snapshot" >&2
  exit 1
}

case "${1:-}" in
  site) site_tools ;;
  leptos) leptos_tools ;;
  e2e) e2e_tools ;;
  lint) lint_tools ;;
  *) echo "usage: $0 site|leptos|e2e|lint" >&2; exit 2 ;;
esac
