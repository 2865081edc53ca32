# The two commands of the README:
#   make lab    create the environment if it is missing, then open the course in JupyterLab
#   make test   create the environment if it is missing, then run the whole test suite
# Everything else here is a helper of those two.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Tests and CI take the datasets from the offline mirror beside the clone when it is there.
MIRROR ?= $(wildcard $(CURDIR)/../shared/datasets)

# The browser tests drive Debian's Chromium (Playwright cannot download its own browser here).
CHROMIUM ?= /usr/bin/chromium

.PHONY: lab test env lint browser notebooks-default slides clean-env

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed: set PYTHON=/path/to/python3.11"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { echo "This course needs Python 3.11 (TensorFlow 2.21); found $$($(PYTHON) --version). Run: make PYTHON=python3.11 ..."; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

env: $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Install Chromium from the system packages when it is missing (needs root or sudo).
browser:
	@if [ -x "$(CHROMIUM)" ]; then exit 0; fi; \
	if command -v apt-get >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=none; fi; \
	  if [ "$$SUDO" != none ]; then \
	    echo "Installing Debian's chromium for the browser tests ..."; \
	    $$SUDO apt-get install -y -q chromium >/dev/null 2>&1 || \
	      { $$SUDO apt-get update -q >/dev/null 2>&1 && $$SUDO apt-get install -y -q chromium >/dev/null; } || true; \
	  fi; \
	fi; \
	[ -x "$(CHROMIUM)" ] || echo "NOTE: no Chromium at $(CHROMIUM), so the browser tests will be skipped (they fail when CI is set). \
	Install it (Debian/Ubuntu: sudo apt-get install chromium) or run: make test CHROMIUM=/path/to/chromium-or-chrome"

test: lint browser
	COURSE_PROFILE=quick COURSE_DATA_MIRROR="$${COURSE_DATA_MIRROR:-$(MIRROR)}" COURSE_CHROMIUM="$(CHROMIUM)" \
	  $(BIN)/python -m pytest notebooks tests --nbval-lax --nbval-current-env -p no:cacheprovider

slides: $(STAMP)
	$(BIN)/python -m course_utils slides --out build/slides

notebooks-default: $(STAMP)
	$(BIN)/python -m course_utils run-notebooks --profile default

clean-env:
	rm -rf $(VENV)
