# The two set-up commands of the README: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test venv runtime browser lint openapi-lint format migrations-check serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# `make demo` installs only what running needs; the tests and linters add the development tools.
$(VENV)/.installed-runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(VENV)/.installed-runtime

runtime: $(VENV)/.installed-runtime

venv: $(VENV)/.installed

## Create the virtualenv, install, migrate, seed the demo district and serve on http://127.0.0.1:8000
demo: runtime
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py seed_demo
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl+C to stop)"
	$(BIN)/python manage.py runserver $(HOST):$(PORT) --noreload

## Run the whole test suite (SQLite by default; PostgreSQL + Redis when DATABASE_URL/REDIS_URL are set)
test: venv browser
	$(BIN)/python -m pytest

# Browser tests drive Debian's chromium through Playwright; install it when missing.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

lint: venv openapi-lint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The linter's version is pinned in package.json / package-lock.json (npm ci installs exactly that).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## The served OpenAPI schema, written to var/openapi.yaml, through Redocly's recommended rules (redocly.yaml)
openapi-lint: venv node_modules/.installed
	@mkdir -p var
	$(BIN)/python manage.py spectacular --file var/openapi.yaml --validate --fail-on-warn
	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true npx --no-install redocly lint var/openapi.yaml

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrations-check: venv
	$(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var node_modules
