# The two commands of the README:
#   make lab    create the environment if it is missing, then open the course in JupyterLab
#   make test   create the environment if it is missing, then run the whole test suite
# Everything else here is a helper of those two.
#
# make lab options (python -m course_utils lab runs the server; as root it adds --allow-root
# and says so; once the server answers, its last line is the address to open, token included):
#   make lab PORT=8899       listen on port 8899 (default 8888, or the next free one)
#   make lab REMOTE=1        open no browser and print the ssh command that reaches the server
#                            from your own computer (a remote machine, a container)
#   make lab IP=0.0.0.0      listen on every network interface, not only on localhost

# Any Python from 3.10 to 3.13: a command, a path, or a bare version (PYTHON=3.12).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Tests and CI take the datasets from the offline mirror beside the clone when it is there.
MIRROR ?= $(wildcard $(CURDIR)/../shared/datasets)
# The Python versions `make test-pythons` runs the unit tests on.
PYTHONS ?= 3.10 3.13

# The browser tests drive Debian's Chromium (Playwright cannot download its own browser here).
CHROMIUM ?= /usr/bin/chromium

.PHONY: lab test env lint typecheck browser test-pythons lock notebooks-default slides student clean-env

# Creates $(VENV) when it is missing or has another Python than $(PYTHON), and installs
# through the lock when pyproject.toml or requirements/constraints.txt changed; otherwise
# it does nothing (no network needed). One line per step; pip's output goes to build/.
# The set-up script needs only a standard library: python3 runs it (or $(PYTHON) where
# there is no python3).
BOOTSTRAP ?= $(shell command -v python3 || echo $(PYTHON))
env:
	@$(BOOTSTRAP) tools/make_env.py --python $(PYTHON) --venv $(VENV)

# JupyterLab on the notebooks; PORT, REMOTE and IP: see the top of this file.
lab: env
	@$(BIN)/python -m course_utils lab notebooks $(if $(PORT),--port $(PORT)) $(if $(IP),--ip $(IP)) $(if $(filter-out 0 no false,$(REMOTE)),--remote)

lint: env
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: env
	$(BIN)/mypy

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

test: lint typecheck browser
	COURSE_PROFILE=quick COURSE_DATA_MIRROR="$${COURSE_DATA_MIRROR:-$(MIRROR)}" COURSE_CHROMIUM="$(CHROMIUM)" \
	  $(BIN)/python -m pytest notebooks tests --nbval-lax --nbval-current-env -p no:cacheprovider --durations=15

# The unit tests (no notebooks, no browser) on other Python versions, each in .venv-<version>.
test-pythons:
	@for v in $(PYTHONS); do \
	  $(BOOTSTRAP) tools/make_env.py --python $$v --venv .venv-$$v || exit 1; \
	  echo "unit tests on Python $$v"; \
	  COURSE_PROFILE=quick COURSE_DATA_MIRROR="$${COURSE_DATA_MIRROR:-$(MIRROR)}" \
	    .venv-$$v/bin/python -m pytest tests --ignore=tests/browser -p no:cacheprovider -q || exit 1; \
	done

# Re-resolve requirements/constraints.txt (exact versions of everything `make test`
# installs, for every supported Python) from pyproject.toml; needs the package index.
# Keeps the pinned versions that still fit; `make lock UPGRADE=1` moves all to the newest.
UV_VERSION ?= 0.13.9
lock: env
	$(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"
	$(BIN)/uv pip compile pyproject.toml --extra test --universal --python-version 3.10 \
	  $(if $(UPGRADE),--upgrade) --custom-compile-command "make lock" -o requirements/constraints.txt

slides: env
	$(BIN)/python -m course_utils slides --out build/slides

# The student edition in build/student/ (`course student`, course_utils/cli/student.py): every
# notebook without its exercise solutions (the cells tagged `solution`; text after a solution
# block stays) and without the exercises' stored feedback; the checkers never print the answer,
# and the badges point at the student copies (the tag v<version>-student). Refuses a non-empty
# folder it did not write. tests/test_student_edition.py builds it into a tmp folder.
student: env
	$(BIN)/python -m course_utils student --out build/student

notebooks-default: env
	$(BIN)/python -m course_utils run-notebooks --profile default

clean-env:
	rm -rf $(VENV) .venv-3.*
