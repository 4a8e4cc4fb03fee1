# Reprieve: one command per habit. `make help` lists them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DB     ?= sqlite:///reprieve.db
HOST   ?= 127.0.0.1
PORT   ?= 8000

.DEFAULT_GOAL := help
.PHONY: help run demo serve worker test test-fast lint typecheck check bench clean browser-deps screenshots

help: ## List the commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $(STAMP)

run: $(STAMP) ## Load the demo story into reprieve.db and serve the API on http://127.0.0.1:8000
	REPRIEVE_DATABASE_URL=$(DB) $(BIN)/reprieve demo
	REPRIEVE_DATABASE_URL=$(DB) $(BIN)/reprieve serve --host $(HOST) --port $(PORT)

demo: $(STAMP) ## Load the demo story (idempotent) and show it
	REPRIEVE_DATABASE_URL=$(DB) $(BIN)/reprieve demo

serve: $(STAMP) ## Serve the API on the existing database
	REPRIEVE_DATABASE_URL=$(DB) $(BIN)/reprieve serve --host $(HOST) --port $(PORT)

worker: $(STAMP) ## Run the worker: announcements, webhooks (and NATS if REPRIEVE_NATS_URL is set)
	REPRIEVE_DATABASE_URL=$(DB) $(BIN)/reprieve worker

test: $(STAMP) browser-deps ## Run the whole test suite on every core (PostgreSQL too when REPRIEVE_TEST_POSTGRES_URL is set)
	$(BIN)/pytest -q -n auto --dist worksteal

# The console's browser tests drive Debian's chromium through Playwright (a dev extra): install the
# distribution's browser when there is none; never `playwright install` (it downloads its own).
browser-deps: ## Install Debian's chromium for the browser tests if it is missing
	@command -v chromium >/dev/null 2>&1 || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium; }

screenshots: $(STAMP) browser-deps ## Refresh the console's pictures in docs/console from the browser tests
	REPRIEVE_SCREENSHOTS=1 $(BIN)/pytest -q tests/browser

test-fast: $(STAMP) ## Run the tests, skipping the slow ones
	$(BIN)/pytest -q -n auto --dist worksteal -m "not slow"

lint: $(STAMP) ## ruff
	$(BIN)/ruff check src tests bench

typecheck: $(STAMP) ## mypy --strict on src/
	$(BIN)/mypy

check: lint typecheck test ## lint, typecheck and test

bench: $(STAMP) ## Run the benchmarks at a quick size (see docs/benchmarks.md for full runs)
	@for script in $$(grep -l "__main__" bench/*.py); do echo "== $$script"; $(BIN)/python $$script --quick || exit 1; done

clean: ## Remove the virtual environment and local databases
	rm -rf $(VENV) reprieve.db reprieve.db-wal reprieve.db-shm
