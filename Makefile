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

.PHONY: lab test env lint notebooks-default slides clean-env

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

test: lint
	COURSE_PROFILE=quick COURSE_DATA_MIRROR="$${COURSE_DATA_MIRROR:-$(MIRROR)}" \
	  $(BIN)/python -m pytest tests notebooks --nbval-lax --nbval-current-env -p no:cacheprovider

notebooks-default: $(STAMP)
	$(BIN)/python -m course_utils run-notebooks --profile default

clean-env:
	rm -rf $(VENV)
