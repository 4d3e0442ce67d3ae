# The two commands a newcomer needs are `make run` and `make test`; everything they need is
# installed by the targets below (a venv in .venv, the Rust extension built in release mode).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
EXT_STAMP := $(VENV)/.built
RUST_SOURCES := $(shell find core_rs -path core_rs/fuzz -prune -o -type f \( -name '*.rs' -o -name '*.json' -o -name Cargo.toml \) -print) Cargo.toml Cargo.lock pyproject.toml

.PHONY: help build run frontend test-frontend deploy-check audit fuzz test lint test-rust test-python stubtest bench bench-quick bench-soak bench-micro soak bench-save bench-compare lock clean services-up services-down services-status

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): requirements/dev.txt requirements/dev.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt -c requirements/dev.lock
	touch $@

$(EXT_STAMP): $(STAMP) $(RUST_SOURCES)
	$(BIN)/maturin develop --release --quiet
	touch $@

build: $(EXT_STAMP) ## Build the Rust extension into the venv

FRONTEND_SOURCES := $(shell find frontend/src frontend/index.html frontend/vite.config.ts frontend/package-lock.json -type f 2>/dev/null)

frontend/dist/index.html: $(FRONTEND_SOURCES)
	frontend/scripts/build.sh

frontend: frontend/dist/index.html ## Build the dashboard (npm ci + vite build into frontend/dist)

run: $(EXT_STAMP) frontend ## Build everything, then start the OMS (embedded) on http://127.0.0.1:8000
	$(PY) -m oms up

test: lint test-rust stubtest deploy-check services-up test-python test-frontend bench-quick ## Every check and every test suite (starts the local servers)

lint: $(STAMP) ## cargo fmt + clippy, ruff, mypy
	cargo fmt --all --check
	cargo clippy --quiet --all-targets -- -D warnings
	cargo clippy --quiet --all-targets --features python -- -D warnings
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test-rust: ## cargo test (the pure domain, without Python)
	cargo test --quiet

stubtest: $(EXT_STAMP) ## The .pyi stubs match the compiled module
	$(PY) -m mypy.stubtest oms_core._native --allowlist stubtest-allowlist.txt

test-python: $(EXT_STAMP) ## pytest: unit, API and end-to-end tests (e2e starts `oms up`)
	$(BIN)/pytest -q

test-frontend: $(EXT_STAMP) ## The dashboard: API types drift, tsc, ESLint, Vitest, Playwright in Debian's Chromium on a real oms up
	frontend/scripts/test.sh

deploy-check: ## Dockerfile, Kubernetes, monitoring and Terraform checks (installs its tools once into ~/.cache/oms-tools)
	deploy/checks/run.sh all

audit: $(STAMP) ## pip-audit of requirements/dev.lock; --strict fails where advisory data cannot be had (docs/SECURITY.md), so not in `make test`
	$(BIN)/pip-audit --strict --vulnerability-service pypi --no-deps -r requirements/dev.lock

FUZZ_SECONDS ?= 60
fuzz: ## libFuzzer over oms_core for FUZZ_SECONDS; installs the nightly toolchain and cargo-fuzz if missing
	rustup run nightly rustc --version >/dev/null 2>&1 || rustup toolchain install nightly --profile minimal
	command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	cd core_rs && cargo +nightly fuzz run --target-dir ../target/fuzz core fuzz/corpus/core -- -max_total_time=$(FUZZ_SECONDS) -max_len=4096

services-up: ## Install (if missing) and start Redis, Kafka and FerretDB on 127.0.0.1 (reused if running)
	deploy/local/services.sh up

services-down: ## Stop the local servers (their data stays under var/services/)
	deploy/local/services.sh down

services-status: ## Are the local servers up?
	deploy/local/services.sh status

bench: $(EXT_STAMP) ## The standard benchmark set (~15 min): tables and plots in docs/benchmarks/
	$(PY) -m benches.suite standard

bench-quick: $(EXT_STAMP) ## Every benchmark scenario once, small, with sanity checks (~1 min)
	$(PY) -m benches.suite quick

bench-soak: $(EXT_STAMP) ## 10 minutes at 1,000 orders/s (embedded): memory and latency over time
	$(PY) -m benches.suite soak

SOAK_MINUTES ?= 30
SOAK_RATE ?= 1000
SOAK_KILL_EVERY ?= 120
soak: $(EXT_STAMP) ## Distributed soak with kill -9 of a random service (SOAK_MINUTES, SOAK_RATE)
	deploy/local/services.sh up
	$(PY) -m benches.soak --minutes $(SOAK_MINUTES) --rate $(SOAK_RATE) --kill-every $(SOAK_KILL_EVERY)

bench-micro: $(EXT_STAMP) ## The oms_core micro benchmarks alone (against pure-Python baselines)
	mkdir -p var/bench
	$(BIN)/pytest benches --benchmark-only --benchmark-sort=name --benchmark-columns=min,median,mean,ops,rounds --benchmark-json=var/bench/latest.json
	$(PY) -m benches.report var/bench/latest.json | tee var/bench/latest.md

bench-save: $(EXT_STAMP) ## Save a baseline to compare later changes against
	$(BIN)/pytest benches --benchmark-only --benchmark-autosave

bench-compare: $(EXT_STAMP) ## Compare with the last saved baseline; fail on a >10% median regression
	$(BIN)/pytest benches --benchmark-only --benchmark-compare --benchmark-compare-fail=median:10%

lock: ## Re-pin the Python tools (after editing requirements/dev.txt)
	rm -rf /tmp/oms-lock && $(PYTHON) -m venv /tmp/oms-lock
	/tmp/oms-lock/bin/pip install --quiet -r requirements/dev.txt
	{ echo '# Pinned by `make lock` (pip freeze of a venv built from requirements/dev.txt).'; /tmp/oms-lock/bin/pip freeze; } > requirements/dev.lock

clean: ## Remove build outputs and the venv
	rm -rf $(VENV) target var .pytest_cache .mypy_cache .ruff_cache .hypothesis .benchmarks frontend/dist frontend/node_modules
