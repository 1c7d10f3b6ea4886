# Two commands do all set-up on a fresh machine with Python 3.11+:
#   make run    install, migrate, load the demo data, serve on http://127.0.0.1:5000
#   make test   install the test tools and run the whole suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-test i18n lint check-python migrate demo test-postgres prove soak bench clean

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=...)")'

$(BIN)/activate: | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

migrate: install
	$(FLASK) translate compile
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) demo load --if-empty

run: demo
	@echo
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl+C stops)."
	@echo "To create the first administrator, in another terminal:"
	@echo "  $(FLASK) users create you@example.org --role admin"
	@echo
	$(BIN)/gunicorn --config gunicorn.conf.py --bind $(HOST):$(PORT) wsgi:app

# The suite runs in TEST_WORKERS processes (pytest-xdist; 0 runs it in this one).
TEST_WORKERS ?= 2

test: install-test
	PYTHONDONTWRITEBYTECODE=1 $(BIN)/python -m pytest -p no:cacheprovider -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check tracker tests scripts migrations/env.py wsgi.py gunicorn.conf.py
	$(BIN)/hadolint Dockerfile

# Speed against references measured in the same run (needs wrk: apt-get install wrk); see
# scripts/bench.py and docs/benchmarks.md. BENCH_SECONDS sets the length of each wrk run.
bench: install
	$(FLASK) translate compile
	$(BIN)/python scripts/bench.py $(BENCH_ARGS)

i18n: install
	$(FLASK) translate extract
	$(FLASK) translate update
	$(FLASK) translate compile

test-postgres: install-test
	scripts/test-postgres

# Two gunicorn instances on one throwaway PostgreSQL (as root; one SQLite file otherwise):
# concurrent edits, imports, the throttle, a database outage and a short soak.
prove: install-test
	$(BIN)/python scripts/prove_production.py

# Mixed reads and writes through two instances for SOAK_SECONDS; prints its counts.
SOAK_SECONDS ?= 60
soak: install-test
	$(BIN)/python scripts/prove_production.py --only soak --seconds $(SOAK_SECONDS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
