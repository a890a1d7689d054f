# `make run` refreshes every source headless; `make test` runs the test suite; `make dev` the UI.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install run test dev lint bench bench-match soak clean

$(BIN)/sanctions: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/sanctions

run: install
	$(BIN)/sanctions run

test: install
	$(BIN)/pytest

dev: install
	$(BIN)/sanctions dev

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

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
