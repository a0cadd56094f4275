# The commands people type. Each creates .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
# Test workers: two per core, since half of a test's time is spent waiting on a subprocess,
# a browser or a server; the waits of one worker are another's turn on the core.
JOBS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 2) * 2 )))

.PHONY: site serve test test-fast bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): $(STAMP) pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

## site: build the sample newsletter (site, search index, digests) into output/
site: $(STAMP)
	$(BIN)/brief build
	@echo
	@echo "Open the site:   make serve, then http://127.0.0.1:8000/"
	@echo "Digests:         output/digest/ (.html, .txt and .eml per issue)"

## serve: preview the site on http://127.0.0.1:8000, rebuilt as you edit content/
serve: $(STAMP)
	$(BIN)/brief serve

AXE := tests/js/node_modules/axe-core/axe.min.js

$(AXE): tests/js/package.json tests/js/package-lock.json
	@command -v npm >/dev/null 2>&1 || sh .ci/install-debian
	npm ci --prefix tests/js --no-audit --no-fund
	touch $@

## test: the whole suite, browser tests included (installs chromium, Java, npm if missing),
## two workers per core (pytest-xdist), an idle one taking tests queued for a busy one
## (--dist worksteal: the long tests do not wait at the end); BRIEF_SCREENSHOTS=1 also
## writes screenshots to look at
test: $(DEV_STAMP) $(AXE)
	@sh .ci/install-debian
	$(BIN)/python -m pytest -n $(JOBS) --dist worksteal

## test-fast: everything but the slow browser tests
test-fast: $(DEV_STAMP)
	$(BIN)/python -m pytest -n $(JOBS) --dist worksteal -m "not slow"

## bench: benchmarks, figures as ratios against baselines run side by side
bench: $(DEV_STAMP) $(AXE)
	$(BIN)/python bench/run.py

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf output data/brief.sqlite
