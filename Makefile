# Web+ — two commands:
#   make run    set up everything, build in release, serve http://127.0.0.1:3000 on embedded defaults
#   make test   set up what tests need and run every test (unit, integration, end-to-end)
SHELL := /bin/bash
.DEFAULT_GOAL := run
.PHONY: run test dev build models setup-dev setup-test setup-lint unit e2e bench bench-canvas bench-bundle eval lint fmt clean

CARGO_TARGET_DIR ?= target
export CARGO_TARGET_DIR
# cargo-leptos finds wasm-opt on PATH: use the pinned one (see .ci/wasm-tools/package.json).
export PATH := $(CURDIR)/.ci/wasm-tools/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
RELEASE_BIN := $(CARGO_TARGET_DIR)/release/webplus

## make run: tools (wasm target, wasm-bindgen-cli, wasm-opt), release build, models, serve.
## Plain cargo, as CI builds it: cargo-leptos (a 20-minute compile) is for `make dev` only.
## The server and the bundle (with its tools) build side by side: .ci/build-release.sh.
run: build models
	$(RELEASE_BIN) serve

build:
	.ci/build-release.sh

models:
	@test -x $(RELEASE_BIN) || cargo build --release -p server
	$(RELEASE_BIN) models fetch

## make dev: rebuild and reload on change (cargo leptos watch; installs cargo-leptos once).
dev: setup-dev
	rm -f target/site/pkg/*.br target/site/pkg/*.gz  # a release build's twins would be served stale
	cargo leptos watch --split

setup-dev:
	@.ci/tools.sh leptos

## make test: every lint and test. Same as CI (.ci/run calls exactly this).
test: setup-test lint unit e2e

setup-test:
	@.ci/tools.sh site
	@.ci/tools.sh e2e
	cargo build -p server
	cargo build -p webplus --example fake_anthropic --example fake_ollama --features fakes
	$(CARGO_TARGET_DIR)/debug/webplus models fetch

# The engine's and the API's tests run on SQLite, then again on a throwaway PostgreSQL server
# (.ci/postgres.sh installs and starts it, and stops it when the tests end, failed or not).
# Only the tests that touch a database run twice: the engine's unit tests and the API tests.
unit:
	cargo test -p webplus -p webplus-ann -p webplus-quant -p server --features webplus/fakes --no-fail-fast
	cargo test -p app --features ssr
	.ci/postgres.sh run cargo test -p webplus --lib -p server --test api --features webplus/fakes --no-fail-fast

# The browser suite runs twice: against the dev bundle (debug WASM: hydration errors name the
# component) and the release bundle `make run` serves (wasm-opt'd). Same server binary.
e2e:
	.ci/build-site.sh dev
	cd end2end && WEBPLUS_E2E_BUNDLE=dev WEBPLUS_BIN=$(abspath $(CARGO_TARGET_DIR))/debug/webplus npx playwright test \
	  || { node support/failures.mjs test-results/dev/results.json; exit 1; }
	.ci/build-site.sh release
	cd end2end && WEBPLUS_E2E_BUNDLE=release WEBPLUS_BIN=$(abspath $(CARGO_TARGET_DIR))/debug/webplus npx playwright test \
	  || { node support/failures.mjs test-results/release/results.json; exit 1; }

## Benchmarks (not tests): numbers go to docs/BENCHMARKS.md.
bench:
	cargo bench -p server --bench ttft
	cargo bench -p server --bench streams
	cargo bench -p server --bench sitechat
	cargo bench -p webplus --bench vector_index
	cargo bench -p webplus --bench keyword_search
	cargo bench -p webplus --bench embedding
	cargo bench -p webplus --bench render
	cargo bench -p webplus --bench pipeline --features fakes

## make bench-canvas: the pipeline builder with 500 nodes in Chromium (release bundle; docs/BENCHMARKS.md).
bench-canvas: setup-test
	.ci/build-site.sh release
	cd end2end && WEBPLUS_E2E_BUNDLE=release WEBPLUS_BIN=$(abspath $(CARGO_TARGET_DIR))/debug/webplus npx playwright test \
	  --config bench.config.ts bench/canvas.spec.ts

## make bench-bundle: what a first visit of the chat and other pages downloads, and how soon it is
## usable, in Chromium (release bundle; docs/BENCHMARKS.md).
bench-bundle: setup-test
	.ci/build-site.sh release
	cd end2end && WEBPLUS_E2E_BUNDLE=release WEBPLUS_BIN=$(abspath $(CARGO_TARGET_DIR))/debug/webplus npx playwright test \
	  --config bench.config.ts bench/bundle.spec.ts

## make eval: how often grounded answers are right (docs/BENCHMARKS.md, "Grounded answers"); needs
## the local models (`make models`). WEBPLUS_EVAL_MODELS=a,b picks models; WEBPLUS_EVAL_URL and
## WEBPLUS_EVAL_API_KEY evaluate a running server with its connections.
eval: models
	cargo bench -p server --bench grounded

## make lint: formatting, clippy on the server and WASM targets, unused dependencies, supply chain.
lint: setup-lint
	cargo fmt --all --check
	cargo clippy -p webplus -p webplus-ann -p webplus-quant -p server --all-targets --features webplus/fakes -- -D warnings
	cargo clippy -p app --features ssr --all-targets -- -D warnings
	cargo clippy -p app --features hydrate --target wasm32-unknown-unknown -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings
	cargo shear
	cargo deny --offline check

setup-lint:
	@.ci/tools.sh lint

fmt:
	cargo fmt --all

clean:
	cargo clean
	rm -rf target/site end2end/test-results
