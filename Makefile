# The two set-up commands of README.md:
#   make dashboard   installs everything, builds the demo data on first start, serves the dashboard
#   make test        installs everything, then lint + the whole test suite
# Both are idempotent: the virtual environment is (re)built only when pyproject.toml changes.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.aurorax-installed

.PHONY: dashboard test lint format bench clean-venv system-deps dashboard-deps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/pip install --quiet -e '.[all]'
	touch $(STAMP)

system-deps:
	bash scripts/system-deps.sh chromium python-cartopy-data

# What the dashboard alone needs from Debian: the coastlines of the globe and the maps.
dashboard-deps:
	bash scripts/system-deps.sh python-cartopy-data

dashboard: dashboard-deps $(STAMP)
	$(BIN)/aurorax serve --build-demo

lint: $(STAMP)
	$(BIN)/ruff check aurorax app tests benchmarks examples scripts
	$(BIN)/ruff format --check aurorax app tests benchmarks examples scripts

format: $(STAMP)
	$(BIN)/ruff check --fix aurorax app tests benchmarks examples scripts
	$(BIN)/ruff format aurorax app tests benchmarks examples scripts

test: system-deps $(STAMP) lint
	$(BIN)/python -m pytest -q -p no:cacheprovider

clean-venv:
	rm -rf $(VENV)
