# The README's commands. `make demo` runs the service with the demo data on SQLite;
# `make test` runs the tests. Both create the virtualenv in .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint

$(BIN)/grantledger: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed" if sys.version_info < (3, 11) else 0)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

demo: $(BIN)/grantledger
	$(BIN)/grantledger demo
	$(BIN)/grantledger serve --dev

test: $(BIN)/grantledger
	$(BIN)/pytest

lint: $(BIN)/grantledger
	$(BIN)/ruff check .
	$(BIN)/mypy domain projections schemas service
