# The verbs a newcomer needs. A fresh machine has Python 3.11+, pip and make; every
# target installs what it needs into .venv from the hashed lock file first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run demo test lint typecheck pytest contract-lint bench openapi openapi-check lock migration clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

## Serve the API on the embedded SQLite database (migrated on start) at 127.0.0.1:8000.
run: $(STAMP)
	$(BIN)/followup serve --migrate

## Load a sample workspace (migrating the embedded database first) and print its key.
demo: $(STAMP)
	$(BIN)/followup migrate
	$(BIN)/followup demo

## Lint, type-check and run the whole test suite (FOLLOWUP_TEST_DATABASE_URL picks PostgreSQL).
test: $(STAMP) lint typecheck contract-lint pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

## The browser test (tests/browser) drives Debian's Chromium at $(CHROMIUM): without it the
## test is skipped and this says so at the end, unless FOLLOWUP_REQUIRE_BROWSER=1 (as CI
## sets), which makes it fail instead.
CHROMIUM := /usr/bin/chromium
pytest: $(STAMP)
	$(BIN)/pytest; status=$$?; \
	if [ ! -x $(CHROMIUM) ] && [ "$${FOLLOWUP_REQUIRE_BROWSER:-0}" != 1 ]; then \
		echo "pytest: browser test SKIPPED: $(CHROMIUM) is missing (apt-get install chromium), so no page was driven in a real browser"; \
	fi; \
	exit $$status

## Benchmarks: see README "Performance". The PostgreSQL ones use BENCH_DATABASE_URL as the
## admin connection and create (and drop) a database of their own.
BENCH_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test
bench: $(STAMP)
	$(BIN)/python -m tests.perf.bench_plan
	$(BIN)/python -m tests.perf.bench_sync --database-url $(BENCH_DATABASE_URL)
	$(BIN)/python -m tests.perf.bench_api --database-url $(BENCH_DATABASE_URL)
	$(BIN)/python -m tests.perf.bench_due_scan --database-url $(BENCH_DATABASE_URL)
	$(BIN)/python -m tests.perf.bench_worst_case
	$(BIN)/python -m tests.perf.bench_guards --database-url $(BENCH_DATABASE_URL)

## Regenerate the committed OpenAPI document, or fail if it drifted from the app.
openapi: $(STAMP)
	$(BIN)/followup openapi --output openapi/openapi.json

## Lint openapi/openapi.json with Spectral's `spectral:oas` rules: any warning fails. The
## linter is pinned in openapi/package-lock.json and installed once into openapi/node_modules
## (again when the lock changes). Without Node.js and npm it says so and skips, unless
## FOLLOWUP_REQUIRE_NODE=1 (as CI sets), which makes that a failure.
NODE_STAMP := openapi/node_modules/.installed-stamp
contract-lint:
	@if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then \
		if [ "$${FOLLOWUP_REQUIRE_NODE:-0}" = 1 ]; then \
			echo "contract-lint: FAILED: Node.js and npm are required (FOLLOWUP_REQUIRE_NODE=1) but not on PATH"; \
			exit 1; \
		fi; \
		echo "contract-lint: SKIPPED: Node.js and npm are not on PATH, so Spectral cannot lint openapi/openapi.json"; \
		exit 0; \
	fi; \
	if [ ! -f $(NODE_STAMP) ] || [ openapi/package-lock.json -nt $(NODE_STAMP) ]; then \
		(cd openapi && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) || exit 1; \
		touch $(NODE_STAMP); \
	fi; \
	openapi/node_modules/.bin/spectral lint openapi/openapi.json \
		--ruleset openapi/.spectral.yaml --fail-severity=warn

openapi-check: $(STAMP)
	@$(BIN)/followup openapi | diff -u openapi/openapi.json - > /dev/null \
		|| { echo "openapi/openapi.json is stale: run 'make openapi'"; exit 1; }

## Re-pin every dependency (needs uv: pip install uv).
lock:
	printf 'hatchling>=1.25\neditables>=0.5\n' | uv pip compile pyproject.toml - --extra dev \
		--python-version 3.11 --generate-hashes --no-header -o requirements.lock

## New migration from model changes: make migration m="add replies"
migration: $(STAMP)
	$(BIN)/alembic -c pyproject.toml revision --autogenerate -m "$(m)"

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .hypothesis openapi/node_modules
