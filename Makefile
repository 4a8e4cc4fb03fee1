# Reprieve: one command per habit. `make help` lists them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Two stamps: running needs the package alone; the tests, linters and benchmarks need its dev extras.
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed
DB     ?= sqlite:///reprieve.db
HOST   ?= 127.0.0.1
PORT   ?= 8000

.DEFAULT_GOAL := help
.PHONY: help run demo serve worker test test-fast lint typecheck check bench clean browser-deps screenshots

help: ## List the commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'
	@echo "  Settings: PORT=$(PORT) HOST=$(HOST) DB=$(DB), e.g. make run PORT=8001"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# What running needs: the package and its dependencies, no test or lint tools.
$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $(RUN_STAMP)

# What developing needs: the package with its dev extras (pytest, ruff, mypy, Playwright, ...);
# it holds everything running needs too.
$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $(DEV_STAMP) $(RUN_STAMP)

run: $(RUN_STAMP) ## Load the demo story into reprieve.db, serve the API and the console on http://127.0.0.1:8000
	REPRIEVE_DATABASE_URL=$(DB) $(BIN)/reprieve demo
	REPRIEVE_DATABASE_URL=$(DB) $(BIN)/reprieve serve --host $(HOST) --port $(PORT)

demo: $(RUN_STAMP) ## Load the demo story (idempotent) and show it
	REPRIEVE_DATABASE_URL=$(DB) $(BIN)/reprieve demo

serve: $(RUN_STAMP) ## Serve the API on the existing database
	REPRIEVE_DATABASE_URL=$(DB) $(BIN)/reprieve serve --host $(HOST) --port $(PORT)

worker: $(RUN_STAMP) ## Run the worker: announcements, webhooks (and NATS if REPRIEVE_NATS_URL is set)
	REPRIEVE_DATABASE_URL=$(DB) $(BIN)/reprieve worker

test: $(DEV_STAMP) browser-deps ## Run the whole test suite on every core (PostgreSQL too when REPRIEVE_TEST_POSTGRES_URL is set)
	$(BIN)/pytest -q -n auto --dist worksteal

# The console's browser tests drive Debian's chromium through Playwright (a dev extra): install the
# distribution's browser when there is none; never `playwright install` (it downloads its own).
browser-deps: ## Install Debian's chromium for the browser tests if it is missing
	@command -v chromium >/dev/null 2>&1 || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium; }

screenshots: $(DEV_STAMP) browser-deps ## Refresh the console's pictures in docs/console from the browser tests
	REPRIEVE_SCREENSHOTS=1 $(BIN)/pytest -q tests/browser

test-fast: $(DEV_STAMP) ## Run the tests, skipping the slow ones
	$(BIN)/pytest -q -n auto --dist worksteal -m "not slow"

lint: $(DEV_STAMP) ## ruff (the linter, the formatter in check mode) and the import directions (.importlinter)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports --no-cache

typecheck: $(DEV_STAMP) ## mypy --strict on src/
	$(BIN)/mypy

check: lint typecheck test ## lint, typecheck and test

bench: $(DEV_STAMP) ## Run the benchmarks at a quick size (see docs/benchmarks.md for full runs)
	@for script in $$(grep -l "__main__" bench/*.py); do echo "== $$script"; $(BIN)/python $$script --quick || exit 1; done

clean: ## Remove the virtual environment and local databases
	rm -rf $(VENV) reprieve.db reprieve.db-wal reprieve.db-shm
