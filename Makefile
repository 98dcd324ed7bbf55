# The two set-up commands are `make demo` and `make test`; each creates .venv and installs
# what it needs on a fresh machine. Everything else is for developers.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check
NT     := $(VENV)/bin/neural-trader

.PHONY: demo test lint format typecheck bench clean help

help:
	@echo "make demo   - create .venv, install, run the offline demo"
	@echo "make test   - install test extras, lint, run the whole test suite"
	@echo "make lint   - ruff (lint + format check) and mypy on src/"
	@echo "make format - apply ruff formatting and safe fixes"
	@echo "make bench  - run the benchmarks in benchmarks/ (prints ratios, never pass/fail)"

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "neural-trader needs Python >= 3.11; set PYTHON=python3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Stamps record what was installed, so a second run installs nothing unless pyproject changed.
# The demo trains a small forecaster, so its install includes the forecast extra (torch); the
# MCP server is the agents' front, so `neural-trader mcp` works after `make demo` too.
$(VENV)/.installed-base: pyproject.toml | $(PY)
	$(PIP) install --quiet -e '.[forecast,mcp]'
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PIP) install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed-base

demo: $(VENV)/.installed-base
	$(NT) demo

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff format src tests benchmarks
	$(VENV)/bin/ruff check --fix src tests benchmarks

typecheck: $(VENV)/.installed-dev
	$(VENV)/bin/mypy

# PostgreSQL tests run against a throw-away local server (scripts/pg_test_server.sh); without
# PostgreSQL binaries they skip with the reason. The server is stopped whatever pytest returns,
# and make exits with pytest's status.
test: lint
	@bash scripts/pg_test_server.sh start >/dev/null || echo "warning: no local PostgreSQL server; PostgreSQL tests will be skipped"
	@trap 'bash scripts/pg_test_server.sh stop' EXIT INT TERM; \
	if [ -s .pgtest/url ]; then NT_TEST_POSTGRES_URL="$$(cat .pgtest/url)"; export NT_TEST_POSTGRES_URL; fi; \
	$(PY) -m pytest -n auto -q

$(VENV)/.installed-bench: pyproject.toml $(VENV)/.installed-dev
	$(PIP) install --quiet -e '.[dev,bench]'
	@touch $@

bench: $(VENV)/.installed-bench
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist src/*.egg-info
