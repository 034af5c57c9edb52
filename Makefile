# stageflow: `make demo` to try it, `make test` to check it. `make help` lists every target.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
BENCH_STAMP := $(VENV)/.installed-bench
DEMO_DB ?= demo.db

.DEFAULT_GOAL := help
.PHONY: help demo test lint typecheck layers unit bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@ $(STAMP)

demo: $(STAMP) ## Install into .venv, load the examples into $(DEMO_DB), serve the console on :8000
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	$(BIN)/stageflow --db $(DEMO_DB) demo --examples examples

test: lint unit ## Install dev dependencies into .venv; lint, type-check, check layers, run every test

lint: $(DEV_STAMP) ## ruff, mypy strict and the import-linter layers contract
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: $(DEV_STAMP) ## The test suite (SQLite; PostgreSQL too when STAGEFLOW_TEST_POSTGRES_URL is set)
	$(BIN)/pytest

$(BENCH_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	@touch $@ $(DEV_STAMP) $(STAMP)

bench: $(BENCH_STAMP) ## Benchmarks (not part of `make test`); table + bench/results/latest.json
	$(BIN)/python -m bench.run

clean: ## Remove the virtualenv, caches and demo database
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis $(DEMO_DB)*
