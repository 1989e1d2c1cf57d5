# Quick start: `make preflight` (offline preview of the dev stack with the policy pack) and `make test`.
PYTHON ?= python3
VENV ?= venv
PY := $(VENV)/bin/python
STACK ?= dev
# Extra preflight options, e.g. PREFLIGHT_ARGS="--json out/dev.json --markdown out/dev.md" (the CI workflow).
PREFLIGHT_ARGS ?=

.PHONY: preflight test lint bench clean

$(VENV)/.runtime: requirements.txt policies/requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt -r policies/requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

preflight: $(VENV)/.runtime
	$(PY) -m preflight --stack $(STACK) $(PREFLIGHT_ARGS)

# Mermaid's own parser checks the report's diagram (tests/test_diagram.py); it skips when npm is missing.
MERMAID := tests/mermaid/node_modules/.installed
$(MERMAID): tests/mermaid/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix tests/mermaid --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the Mermaid diagram test will be skipped"; fi

# checkov (tests/test_checkov.py) has its own venv: its exact pins clash with the tools in requirements-dev.txt.
CHECKOV := $(VENV)/checkov/.installed
$(CHECKOV): requirements-dev.txt
	test -x $(VENV)/checkov/bin/python || $(PYTHON) -m venv $(VENV)/checkov
	$(VENV)/checkov/bin/python -m pip install -q --disable-pip-version-check \
	  "$$(grep -o 'checkov==[0-9.]*' requirements-dev.txt)"
	touch $@

test: $(VENV)/.dev $(MERMAID) $(CHECKOV)
	$(PY) -m ruff check .
	$(PY) -m pytest -q -n 2 --dist loadfile

lint: $(VENV)/.dev
	$(PY) -m ruff check .

bench: $(VENV)/.runtime
	$(PY) bench/preflight_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
