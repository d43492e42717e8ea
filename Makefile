# The two commands of the README: `make serve` and `make test`. Both install everything first.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
STAMP = $(VENV)/.installed-stamp

.PHONY: install serve test lint bench clean

$(STAMP): pyproject.toml sdk/python/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	# The Python SDK is its own distribution (it ships without the server); installed here so `make test` covers it.
	$(BIN)/pip install --quiet -e sdk/python
	touch $(STAMP)

install: $(STAMP)

# Starts the server on the embedded SQLite default, with the demo retailer ready to use.
serve: install
	$(BIN)/openoffers demo
	$(BIN)/openoffers serve

lint: install
	$(BIN)/ruff check src tests benchmarks sdk/python
	$(BIN)/ruff format --check src tests benchmarks sdk/python
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo

# Lint, types and the whole suite. PostgreSQL tests run when OPENOFFERS_TEST_DATABASE_URL is set;
# browser tests run when Debian's chromium is on PATH. Both skip with their reason otherwise.
test: lint
	$(BIN)/pytest

# POS cases as ratios to a minimal Lookup measured in the same run (SQLite; PostgreSQL too when
# OPENOFFERS_BENCH_DATABASE_URL names a bench* database), then the in-process pricing benchmark.
# BENCH_ARGS passes options, e.g. BENCH_ARGS="--scale" (docs/BENCHMARKS.md).
BENCH_ARGS ?=
bench: install
	$(BIN)/python benchmarks/pos.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/pricing.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis tests/artifacts openoffers.db*
