# The two set-up commands of the README are `make demo` and `make test`.
# Both bootstrap uv with pip when it is missing and install the locked dependencies.

SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
export UV_COMPILE_BYTECODE := 1
export UV_LINK_MODE := copy
RUN := $(UV) run --locked --no-sync

.PHONY: demo test check install install-demo uv system-packages messages format

demo: install-demo
	$(RUN) amargah demo

test: install system-packages
	$(RUN) pytest

check: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy
	$(RUN) lint-imports
	$(RUN) amargah manage check --fail-level WARNING
	$(RUN) amargah manage makemigrations --check --dry-run

# The tests and checks need the Spark extra (the parity suite); the demo does not, and its
# install leaves an already installed pyspark in place (--inexact).
install: uv .venv/.synced node_modules/.installed

install-demo: uv .venv/.synced-demo node_modules/.installed

uv:
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || \
	  $(PYTHON) -m pip install --user --quiet uv || \
	  $(PYTHON) -m pip install --user --quiet --break-system-packages uv

.venv/.synced: pyproject.toml uv.lock
	$(UV) sync --locked --extra spark
	@touch $@ .venv/.synced-demo

.venv/.synced-demo: pyproject.toml uv.lock
	$(UV) sync --locked --inexact
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Browser tests drive Debian's Chromium (never a downloaded browser); the catalog test
# runs makemessages, which needs GNU gettext; ODK Validate (questionnaires) needs Java.
system-packages:
	@command -v chromium >/dev/null 2>&1 && command -v xgettext >/dev/null 2>&1 \
	  && command -v java >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  $$SUDO apt-get install -y -qq chromium gettext default-jre-headless; }

# Re-extract each app's message catalog (needs GNU gettext) and compile them (pure Python).
# A new app joins by having a locale/ folder.
messages: install
	for app in $$($(RUN) python -m amargah.core.catalogs --apps); do \
	  (cd src/amargah/$$app && $(abspath .venv/bin/python) -P -m amargah manage makemessages \
	    -l fa -l en --no-obsolete) || exit 1; \
	done
	$(RUN) python -m amargah.core.catalogs

format: install
	$(RUN) ruff format .
	$(RUN) ruff check --fix .
