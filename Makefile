# MealQuest — the two commands a person needs:
#   make run    install what is missing, build, serve http://127.0.0.1:3000 (embedded DB + demo data)
#   make test   install what is missing, fmt + clippy, unit + integration tests, Playwright in Chromium,
#               the API fuzzer (Schemathesis) as every role
# Everything comes from the package registries (crates.io, npm, Debian); nothing downloads a
# binary from elsewhere. See docs/toolchain.md.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

CARGO_LEPTOS_VERSION := 0.3.11
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/ {getline; gsub(/[^0-9.]/, "", $$0); print; exit}' Cargo.lock)
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
E2E_PORT ?= 3100
FUZZ_PORT ?= 3200
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Tools installed by npm (tailwindcss, playwright) and cargo come first on PATH, so
# cargo-leptos finds them there and never tries to download its own.
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
export NEXTEST_HIDE_PROGRESS_BAR := 1

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

## ---- set-up (idempotent: each step is skipped when already done) ----

.PHONY: setup
setup: rust-tools node-tools system-packages vendor ## install every tool the build needs

.PHONY: rust-tools
rust-tools:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown \
	  || rustup target add wasm32-unknown-unknown
	@if ! cargo leptos --version 2>/dev/null | grep -q "$(CARGO_LEPTOS_VERSION)"; then \
	  echo "installing cargo-leptos $(CARGO_LEPTOS_VERSION) (needs a newer rustc than stable: nightly, ~12 min)"; \
	  rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal; \
	  cargo +nightly install cargo-leptos --locked --version $(CARGO_LEPTOS_VERSION); \
	fi
	@if ! wasm-bindgen --version 2>/dev/null | grep -q "$(WASM_BINDGEN_VERSION)"; then \
	  echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) (must equal the library in Cargo.lock)"; \
	  cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) --force; \
	fi

.PHONY: node-tools
node-tools: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

.PHONY: vendor
vendor: public/vendor/charts.js ## the console's chart library (ECharts from npm), bundled for the app to serve

public/vendor/charts.js: frontend/charts/index.js node_modules/.package-lock.json
	esbuild frontend/charts/index.js --bundle --minify --format=iife --target=es2020 \
	  --legal-comments=eof --outfile=$@

.PHONY: system-packages
system-packages:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v wasm-opt >/dev/null || missing="$$missing binaryen"; \
	[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing="$$missing fonts-wqy-microhei"; \
	python3 -m venv --help >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get install -y --no-install-recommends $$missing \
	    || { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends $$missing; }; \
	fi

## ---- the two commands ----

# The site's files as served (`site-root`/`site-pkg-dir` in Cargo.toml).
PKG := target/site/pkg

.PHONY: run
run: setup ## build and serve the console on http://127.0.0.1:3000 with demo data
	rm -f $(PKG)/*.gz
	MEALQUEST_ENV=dev cargo leptos serve --split

.PHONY: test
test: setup lint unit e2e fuzz ## everything CI runs

## ---- pieces ----

.PHONY: build
build: setup ## build the server and the wasm bundle (debug)
	rm -f $(PKG)/*.gz
	cargo leptos build --split

# Each file gets its gzipped twin, which the server sends to browsers that take it; a stale
# twin would be sent instead of a newer build, hence the rm here and in build and run.
.PHONY: release
release: setup ## optimised build (wasm-opt, LTO) into target/release + target/site
	rm -f $(PKG)/*.gz
	cargo leptos build --release --split
	find $(PKG) -maxdepth 1 -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' \) -exec gzip -9kf {} +

.PHONY: lint
lint: rust-tools ## rustfmt and clippy (server and browser builds), warnings are errors
	cargo fmt --all --check
	cargo clippy --workspace --exclude frontend --all-targets --locked -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown --locked -- -D warnings

.PHONY: unit
unit: ## unit and integration tests (real SurrealDB: mem://, surrealkv:// in temp dirs, and a server)
	cargo nextest run --workspace --exclude frontend --locked --no-fail-fast

.PHONY: e2e
e2e: build node-tools system-packages ## Playwright in Debian's Chromium against a fresh server
	./end2end/run.sh "$(TARGET_DIR)/debug/mealquest" $(E2E_PORT)

.PHONY: fuzz
fuzz: build ## Schemathesis over /api/openapi.json as every role, ≤ 3 min (see docs/api-fuzzing.md)
	./scripts/fuzz-api.sh "$(TARGET_DIR)/debug/mealquest" $(FUZZ_PORT)

.PHONY: fuzz-deep
fuzz-deep: build ## the same, 10 minutes per role (FUZZ_SECONDS=600)
	FUZZ_SECONDS=$${FUZZ_SECONDS:-600} ./scripts/fuzz-api.sh "$(TARGET_DIR)/debug/mealquest" $(FUZZ_PORT)

.PHONY: bench-startup
bench-startup: build ## time from exec to /readyz answering 200 (see docs/benchmarks.md)
	./scripts/measure-startup.sh "$(TARGET_DIR)/debug/mealquest"

.PHONY: bench-scan
bench-scan: build node-tools system-packages ## a scan's Enter → answer on screen, in Chromium (see docs/benchmarks.md)
	./end2end/run.sh "$(TARGET_DIR)/debug/mealquest" $(E2E_PORT) node end2end/bench/scan-latency.mjs

.PHONY: bench
bench: ## money-core, real-time, rule-engine, agent-runtime, Artist and dashboard benchmarks, release build (see docs/benchmarks.md)
	cargo bench -p server --bench money
	cargo bench -p server --bench realtime
	cargo bench -p server --bench decide
	cargo bench -p server --bench story
	cargo bench -p server --bench agent
	cargo bench -p server --bench dashboard
	cargo bench -p artist --bench render

.PHONY: clean
clean: ## remove build output and local data
	cargo clean
	rm -rf data end2end/test-results end2end/playwright-report end2end/screenshots
