# The two commands: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test setup setup-dev catalogs migrate demo lint format extract-messages clean bench bench-setup

# Benchmarks (not part of `make test`): VAS against a bare Flask baseline,
# served by gunicorn and driven by wrk (apt-get install wrk). See bench/.
DB ?= sqlite
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres

run: setup catalogs migrate demo
	@echo "VAS is serving at http://$(HOST):$(PORT) (Ctrl-C stops it)."
	$(FLASK) run --host $(HOST) --port $(PORT)

# Two workers, one per core; a test module stays on one worker (loadscope), so
# its module-scoped world is built once and its tests run in their order.
PYTEST_WORKERS ?= 2

test: setup-dev catalogs lint
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadscope

setup: $(VENV)/.installed

setup-dev: $(VENV)/.installed-dev

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

catalogs: setup
	$(BIN)/pybabel compile --statistics -d vas/translations

migrate: setup
	$(FLASK) db upgrade

demo: setup
	$(FLASK) vas demo

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Refresh the message catalogue after changing UI strings; then translate
# the new entries in vas/translations/en/LC_MESSAGES/messages.po.
extract-messages: setup
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 --no-location --sort-output -o vas/translations/messages.pot .
	$(BIN)/pybabel update -i vas/translations/messages.pot -d vas/translations --no-fuzzy-matching --ignore-obsolete

bench-setup: setup
	$(BIN)/pip install --quiet --disable-pip-version-check -r bench/requirements.txt

bench: bench-setup catalogs
	$(BIN)/python -m bench.run --db $(DB) --pg-url $(PG_URL)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-results
