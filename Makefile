# acsa: `make run` and `make test` do all set-up on a machine with Python 3.11+.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Sizes at which `make bench` finishes in under 20 minutes here; the 1M figures of the README
# take `--n 1000000` (e.g. `make bench LEDGER_N=1000000 RECONCILE_N=1000000`).
N ?= 3000
LEDGER_N ?= 200000
RECONCILE_N ?= 200000
API_N ?= 1000
STARTUP_N ?= 20
PAGES_N ?= 5000
DASHBOARD_N ?= 100000
STATEMENT_N ?= 100000
ROUNDS ?= 200
ALERTS_N ?= 2000
JOURNAL_N ?= 50000

.PHONY: run test lint fmt bench soak install install-test clean two-nodes

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# The browser tests drive Debian's Chromium (Playwright cannot download one here).
CHROMIUM ?= /usr/bin/chromium
$(CHROMIUM):
	@echo "installing Debian's chromium (and a Japanese font for its screenshots) for the browser tests"
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test $(CHROMIUM)

run: install
	$(BIN)/acsa init
	$(BIN)/acsa demo
	$(BIN)/acsa serve --host $(HOST) --port $(PORT)

# Two nodes (Japan's and Australia's) on this machine: pair them, place an order across, reconcile.
two-nodes: install
	ACSA=$(BIN)/acsa bash examples/two-nodes.sh $(WORK_DIR)

test: install-test
	ACSA_CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest -n 2 --durations=25 $(PYTEST_ARGS)

# ruff's rules (with the complexity cap and the security rules) and types; `make fmt` fixes
# what ruff can. The same checks run before each commit with pre-commit (.pre-commit-config.yaml).
lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy --strict src
	$(BIN)/mypy tests

fmt: $(VENV)/.installed-test
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: install-test
	$(BIN)/python bench/lifecycle.py --n $(N)
	$(BIN)/python bench/ledger.py --n $(LEDGER_N)
	$(BIN)/python bench/api.py --n $(API_N)
	$(BIN)/python bench/api.py --n $(API_N) --backend postgresql
	$(BIN)/python bench/reconcile.py --n $(RECONCILE_N)
	$(BIN)/python bench/startup.py --n $(STARTUP_N)
	$(BIN)/python bench/pages.py --n $(PAGES_N)
	$(BIN)/python bench/dashboard.py --n $(DASHBOARD_N)
	$(BIN)/python bench/statement.py --n $(STATEMENT_N)
	$(BIN)/python bench/alerts.py --n $(ALERTS_N)
	$(BIN)/python bench/journal.py --n $(JOURNAL_N)

# Crash rounds: a server under a burst of writes killed with SIGKILL, again and again.
soak: install-test
	$(BIN)/python bench/soak.py --rounds $(ROUNDS) --backend sqlite
	$(BIN)/python bench/soak.py --rounds $(ROUNDS) --backend postgresql

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
