# `make run` refreshes every source headless; `make test` runs the test suite; `make dev` the UI.
# Every target uses the project's own .venv: nothing needs to be activated or on the PATH.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 3000

.PHONY: install run test test-docs dev sql report site export lint bench bench-match soak properties clean

$(BIN)/sanctions: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# `dg dev` and `dagster dev` read .env from the repository root: point them at the same
# persistent Dagster home as `make dev` (an existing DAGSTER_HOME line is kept).
install: $(BIN)/sanctions
	test -f .env || cp .env.example .env
	grep -q '^DAGSTER_HOME=' .env || echo 'DAGSTER_HOME=$(CURDIR)/data/dagster_home' >> .env
	$(BIN)/python -m pipelines.settings

run: install
	$(BIN)/sanctions run

# One process per core (pytest-xdist); a file's tests stay in one process, with its fixtures.
test: install
	$(BIN)/pytest -n auto --dist loadfile

# Runs every shell block of README.md and docs/*.md in a fresh copy (a few minutes).
test-docs: install
	$(BIN)/pytest -m docs -q

dev: install
	$(BIN)/sanctions dev --port $(PORT)

sql: install
	$(BIN)/sanctions sql

report: install
	$(BIN)/sanctions report --out report.html

site: install
	$(BIN)/sanctions site --out site

export: install
	$(BIN)/sanctions export --format csv --out exports

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python benchmarks/parsers.py

bench-match: install
	$(BIN)/python benchmarks/match_quality.py
	$(BIN)/python benchmarks/match_speed.py

soak: install
	$(BIN)/pytest -m slow tests/test_soak.py -q -s

# the integrity invariants over 60 (and 30) generated histories instead of 6 (and 3): ~10 min
properties: install
	SANCTIONS_PROPERTY_EXAMPLES=60 $(BIN)/pytest tests/test_integrity_properties.py -q

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
