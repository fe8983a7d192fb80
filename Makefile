# The README's two commands: `make run` serves the demo, `make test` runs every check.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: setup system-deps run test lint typecheck pytest bench bench-instructions autobahn clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@

system-deps:
	bash scripts/system-deps.sh

run: setup
	$(BIN)/spangle run examples.chat.app:api --host 127.0.0.1 --port 8000

lint: setup
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: setup
	$(BIN)/mypy

pytest: setup system-deps
	$(BIN)/pytest

test: lint typecheck pytest

bench: setup
	bash bench/run.sh

# Instructions per operation under callgrind, raw ASGI and spangle, in-process
# and through uvicorn (about 3 minutes); FRAMEWORKS=raw,spangle,starlette,...
bench-instructions: setup
	bash bench/run.sh instructions --server --frameworks $(or $(FRAMEWORKS),spangle)

# Autobahn|Testsuite, all 517 cases, against an echo under `spangle run`: with
# its defaults, then with permessage-deflate (about 15 minutes each; not part
# of `make test`). Sets up Python 2.7 and wstest in .autobahn/ on first use.
autobahn: setup
	bash scripts/autobahn/run.sh defaults
	bash scripts/autobahn/run.sh deflate --ws-per-message-deflate

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage .autobahn
