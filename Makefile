# hubbub: `make run` serves it, `make test` checks it. Both set up .venv first.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
# Django 6 needs Python >= 3.12; take the first one found (pyenv's included).
PYTHON ?= $(shell for v in python3.13 python3.12; do command -v $$v >/dev/null && $$v -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null && { command -v $$v; exit; }; done; for d in $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*; do [ -x $$d/bin/python3 ] && { echo $$d/bin/python3; exit; }; done)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-fast check lint typecheck bench clean

$(BIN)/hubbub: pyproject.toml
	@test -n "$(PYTHON)" || { echo "hubbub needs Python 3.12 or newer; none found." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

# The demo community signs in from toot's login_cli, which needs the
# password grant; it stays off by default (as in Mastodon 4.4+).
run: $(BIN)/hubbub
	HUBBUB_OAUTH_PASSWORD_GRANT=1 $(BIN)/hubbub serve --demo --host $(HOST) --port $(PORT)

test: $(BIN)/hubbub
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(BIN)/hubbub
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

lint: $(BIN)/hubbub
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/hubbub
	$(BIN)/mypy hubbub

check: lint typecheck test

bench: $(BIN)/hubbub
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) var
