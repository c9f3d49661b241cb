# Quick start: `make run` (the product with demo data) and `make test` (the whole suite).
# Both create the virtualenv, install the pinned requirements and start what the
# environment does not provide: embedded PostgreSQL (pgvector) when DATABASE_URL is unset,
# a private redis-server when REDIS_URL is unset.

PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-installed

.PHONY: run test lint install clean-data

$(STAMP): requirements.txt
	test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --upgrade pip
	$(VPY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VPY) -m devstack run

test: $(STAMP)
	$(VPY) -m devstack test $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

clean-data:
	rm -rf var/
