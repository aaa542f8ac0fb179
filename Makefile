# StarLedger: two commands do everything on a fresh machine.
#   make run   – serve on http://127.0.0.1:$${STARLEDGER_PORT:-8000} with demo data (SQLite under ./var/)
#   make test  – lint, format and type checks, then the whole test suite (SQLite, PostgreSQL, HTTP, browser)
PYTHON ?= python3
# test processes (pytest-xdist); TEST_WORKERS=0 runs the suite in this one
TEST_WORKERS ?= 2
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "StarLedger needs Python 3.11 or newer"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/starledger serve --demo

test: $(STAMP)
	@$(BIN)/ruff check . || { echo "make test: ruff check found problems (many fix with: $(BIN)/ruff check --fix .)"; exit 1; }
	@$(BIN)/ruff format --check . || { echo "make test: files not formatted (run: $(BIN)/ruff format .)"; exit 1; }
	@$(BIN)/mypy || { echo "make test: mypy found type errors (strict on domain/, application/, infra/ and interfaces/)"; exit 1; }
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache
