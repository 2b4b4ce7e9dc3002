# Two entry points: `make run` (the bot) and `make test` (the suite). Both set everything up first.
# `make run FLOW_HEADED=true` (or FLOW_HEADED=true in .env) also installs Xvfb: the bot then drives
# a headed Chromium on a virtual display it starts itself. `make test` always installs it (the
# headed-mode tests need it).
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= $(shell command -v python3.11 || command -v python3)

.PHONY: setup system-deps venv test lint run doctor bench-queue clean locales

setup: system-deps venv

FLOW_HEADED ?=
WITH_XVFB ?=

system-deps:
	@FLOW_HEADED="$(FLOW_HEADED)" WITH_XVFB="$(WITH_XVFB)" bash scripts/install-system-deps.sh

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $@

lint: venv
	$(PY) -m ruff check .

# Four pytest workers (pytest-xdist), each with its own simulator, Chromium and fake servers:
# much of the suite waits on a browser or a simulated render, so four overlap well on 2 cores
# (measured on 2 cores, the same tree: 14.0 min with three workers, 12.9 with four). The
# known-slow tests start first, spread over the workers (tests/slow_tests.json).
# `make test TEST_WORKERS=0` runs it in one process.
TEST_WORKERS ?= 4

test: WITH_XVFB = 1
test: setup lint
	$(PY) -m pytest $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist worksteal)

run: setup
	$(VENV)/bin/flowbot serve

doctor: setup
	$(VENV)/bin/flowbot doctor

# After changing a text: re-extract the msgids, merge them into each language, compile the .mo
# files (committed, so a fresh clone needs no build step).
locales: venv
	$(PY) scripts/locales.py

bench-queue: venv
	$(PY) bench/queue.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
