# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export DHR_DATABASE_URL ?= sqlite:///./dhr.db

.PHONY: install run test lint typecheck assets bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	./scripts/system-deps.sh $(SYSTEM_DEPS_FLAGS)
	$(BIN)/pip install --quiet -e '.[dev]'

assets:
	@if [ -f package.json ]; then npm install --no-audit --no-fund --silent && $(BIN)/python -m dhr_engine.web.assets; fi

## Install, load the demo data and run the product on the embedded SQLite database.
run: install assets
	$(BIN)/dhr demo
	@echo "make run: demo mode (DHR_DEV_MODE=1): the built-in secret key signs sessions; set DHR_SECRET_KEY and leave DHR_DEV_MODE off for real data"
	@# a local mail catcher on the default smtp_port (127.0.0.1:8025) keeps the e-mails as .eml files
	@# under var/mail/ (it says where); it stops when the server stops
	$(BIN)/dhr mailcatcher --dir var/mail & catcher=$$!; \
	trap 'kill $$catcher 2>/dev/null; wait $$catcher 2>/dev/null' EXIT INT TERM; \
	DHR_DEV_MODE=1 $(BIN)/dhr serve --host 127.0.0.1 --port 8000

## Install and run the whole test suite (SQLite and, where reachable, PostgreSQL; browser tests need chromium).
test: SYSTEM_DEPS_FLAGS = --with-browser
test: install assets
	$(BIN)/pytest

lint:
	$(BIN)/ruff check dhr_engine tests
	$(BIN)/ruff format --check dhr_engine tests
	$(BIN)/lint-imports

typecheck:
	$(BIN)/mypy dhr_engine

bench: install
	$(BIN)/dhr bench

clean:
	rm -rf $(VENV) node_modules dhr.db dhr.db-wal dhr.db-shm var
