# salesnb: the project's verbs. `make help` lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
QUARTER ?=
JOBS ?= 2
DATA ?= data/sample

SHOTS ?= reports/shots

.PHONY: help setup report shots test test-fast test-engines lab lint format data bench contract clean

help: ## Show this help
	@echo "salesnb — make targets:"
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "salesnb needs Python 3.11+, found " + sys.version.split()[0]'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (salesnb)" >/dev/null
	@touch $(STAMP)

setup: $(STAMP) ## Create .venv and install salesnb with its test tools (automatic)

report: $(STAMP) ## Render the report pack for the latest complete quarter of data/sample (QUARTER=2026Q3 JOBS=2 DATA=...)
	$(VENV)/bin/salesnb report --data $(DATA) --jobs $(JOBS) $(if $(QUARTER),--quarter $(QUARTER),)

shots: $(STAMP) ## Render the pack and screenshot every page at 1280 and 390 px into reports/shots (SHOTS=dir; installs chromium if missing)
	$(VENV)/bin/salesnb report --data $(DATA) --jobs $(JOBS) --out $(SHOTS)/pack --no-progress $(if $(QUARTER),--quarter $(QUARTER),)
	$(PY) -m salesnb.report.shots $(SHOTS)/pack $(SHOTS)

# Unit tests and doctests run on every core (pytest-xdist, at most 4 workers); the slow
# end-to-end runs (report packs, killed runs) run one after another in one process: they
# share one rendered sample pack (tests/conftest.py) and start kernels of their own.
XDIST ?= -n auto --maxprocesses 4

test: $(STAMP) ## Run the test suite: unit tests, doctests, packs, notebooks (engine runs: make test-engines)
	$(PY) -m pytest tests salesnb -m "not slow and not engines" $(XDIST)
	$(PY) -m pytest tests -m "slow and not engines"
	$(PY) -m pytest -p no:randomly --nbval-lax notebooks/

test-fast: $(STAMP) ## Unit tests and doctests only (no notebook execution, no Spark)
	$(PY) -m pytest tests salesnb -m "not slow and not engines" $(XDIST)

test-engines: $(STAMP) ## Every KPI and scan on local PySpark (needs Java 17+), packs on DuckDB (minutes)
	$(PY) -m pytest tests -m engines

lab: $(STAMP) ## Open JupyterLab on the notebooks
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root,)

lint: $(STAMP) ## Check formatting and lint (ruff)
	$(VENV)/bin/ruff format --check salesnb tests benchmarks && $(VENV)/bin/ruff check salesnb tests benchmarks

format: $(STAMP) ## Format the code (ruff)
	$(VENV)/bin/ruff format salesnb tests benchmarks && $(VENV)/bin/ruff check --fix salesnb tests benchmarks

data: $(STAMP) ## Regenerate the bundled sample data in data/sample (seed 7)
	$(PY) -m salesnb.synth --out data/sample --seed 7

contract: $(STAMP) ## Regenerate docs/data-contract.md from salesnb/schema/
	$(PY) -m salesnb contract --write docs/data-contract.md

bench: $(STAMP) ## Run the benchmarks (slow; prints timings and memory)
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

clean: ## Remove the virtualenv and rendered reports
	rm -rf $(VENV) reports/*/
