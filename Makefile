# wasm-token-manager — `make demo` and `make test` work on a fresh machine (they run `setup`).
SHELL := /bin/bash
export PATH := $(CURDIR)/.tools/node_modules/.bin:$(PATH)
DEMO_ADDR ?= 127.0.0.1:8787

.PHONY: setup pkg demo test check mutants probes bench fuzz sim release

## Install missing tools (wasm target, wasm-pack, wasm-bindgen CLI, Chromium, wasm-opt, playwright-core).
setup:
	@./scripts/setup.sh

## The release npm package in pkg/ (one package for every bundler, SSR and workers; nightly size build).
pkg: setup
	@./scripts/package.sh

## Build the package, start the mock server serving www/ and pkg/, print the URL.
demo: pkg
	cargo build -p mock-server
	@echo
	@echo "  demo: http://$(DEMO_ADDR)/   (sign in as demo / demo; Ctrl-C to stop)"
	@echo
	./target/debug/mock-server --addr $(DEMO_ADDR) --static www --pkg pkg --test-controls --access-ttl 30 --refresh-ttl 900

## Every test: native, browser (wasm-pack test), release smoke test.
test: setup
	@./scripts/test.sh

## The inner loop, under 3 minutes warm: fmt, clippy (native and wasm), native tests, the
## simulator stage, the Chromium browser suite, and cargo-mutants on the src/core lines the
## change touches (against BASE, default main). Needs pkg/ once (make pkg) for the mock server.
check:
	@./scripts/check.sh

## The simulator's probe list (`make probes`), then cargo-mutants over src/core with the native
## tests and the simulator as the oracle (the `mutation` profile). FILE=src/core/session/mod.rs (or
## mock-server/src/store.rs), SHARD=k/n, DIFF=path, JOBS=2, LIB_ONLY=1 (no simulator in the
## oracle); NO_PROBES=1 skips the probes.
mutants:
	@[ -n "$(NO_PROBES)" ] || ./scripts/probe-mutants.sh
	@FILE="$(FILE)" SHARD="$(SHARD)" DIFF="$(DIFF)" JOBS="$(or $(JOBS),2)" LIB_ONLY="$(LIB_ONLY)" ./scripts/mutants.sh

## Benchmarks (size, fetch overhead, refresh storm, decode, init, memory) -> benches/RESULTS.md.
bench: setup
	@./scripts/bench.sh

## Short cargo-fuzz runs of the decoder, options parser, deadline maths, session machine and step-up challenge parser.
fuzz:
	@./scripts/fuzz.sh

## The deterministic simulator for SECONDS seconds (default 60): many tabs, a model server, lock
## and channel, random schedules; prints schedules per second (tests/simulator.rs).
SECONDS ?= 60
sim:
	SIM_SECONDS=$(SECONDS) cargo test --release -p wasm-token-manager --test simulator sim_for_seconds -- --ignored --nocapture

## The simulator as an oracle: each probe of benches/mutants-probes/ (a diff breaking one rule
## of the core) applied in turn, make test's simulator stage run against it; caught or survived
## (scripts/probe-mutants.sh; fails if any survives).
probes:
	@./scripts/probe-mutants.sh

## Prepare release VERSION (x.y.z): version in Cargo.toml/Cargo.lock (and so the package),
## CHANGELOG.md's Unreleased entries under a dated heading, the package built, its tarball checked
## (tests/e2e/pack.mjs, npm publish --dry-run); prints the commit/tag/publish commands, runs none.
release: setup
	@./scripts/release.sh "$(VERSION)"
