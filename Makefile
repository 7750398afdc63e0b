# Gallery: `make run` serves the seeded site, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app gallery
PYTEST_ARGS ?=
# make test: two pytest-xdist workers (each with its own database and Redis db); the
# browser tests stay together on one worker (one live server, one Chromium)
XDIST ?= -n 2 --dist loadgroup
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install run serve stop faults test e2e bench lint format clean translations translations-compile

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/activate requirements.lock pyproject.toml
	$(BIN)/pip install --quiet -r requirements.lock
	@# setuptools' one note on every editable install of a mapped folder (site/ -> gallery)
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/pip install --quiet --no-deps -e .
	touch $@

install: $(VENV)/.installed translations-compile

# Compiled catalogues (.mo) are committed; they are rebuilt when a .po is newer.
CATALOGUES := $(wildcard site/translations/*/LC_MESSAGES/*.po)

translations-compile: $(CATALOGUES:.po=.mo)

site/translations/%.mo: site/translations/%.po $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -i $< -o $@

# Collect new UI strings into messages.pot and the .po files (then translate, then compile).
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		-o site/translations/messages.pot .
	$(BIN)/pybabel update -i site/translations/messages.pot -d site/translations -D messages \
		--no-fuzzy-matching
	$(MAKE) translations-compile

run: install
	GALLERY_SERVER_NAME=$(HOST):$(PORT) $(FLASK) db upgrade
	GALLERY_SERVER_NAME=$(HOST):$(PORT) $(FLASK) seed demo
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl+C stops)"
	GALLERY_SERVER_NAME=$(HOST):$(PORT) $(FLASK) run --host $(HOST) --port $(PORT)

# The production shape on this machine: nginx + 2 gunicorn nodes + MariaDB + Redis
# (scripts/stack.py; SERVE_PORT, SERVE_NODE_PORTS, SERVE_SERVICES=own … choose ports).
serve: install
	$(BIN)/python scripts/stack.py serve

stop:
	$(BIN)/python scripts/stack.py stop

# Fault tests against a running `make serve` stack (they start one of their own,
# with SERVE_SERVICES=own, when none runs).
faults: install
	$(BIN)/pytest -m faults tests/faults $(PYTEST_ARGS)

test: install
	$(BIN)/pytest $(XDIST) --durations=10 $(PYTEST_ARGS)

e2e: install
	$(BIN)/pytest -m e2e $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m tests.bench

# ruff (style, and no unexplained import inside a function), then the layers of DESIGN.md §2
# (import-linter contracts in pyproject.toml: no upward import, no cycle).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
