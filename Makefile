# Two commands do all the set-up on a fresh machine:
#   make demo   installs everything and solves an example with the embedded default model
#   make test   installs everything and runs the test suite (what CI runs, via .ci/run)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# llama-cpp-python compiles llama.cpp (about 11 minutes on 2 cores); pip caches the wheel afterwards.
export CMAKE_BUILD_PARALLEL_LEVEL ?= 2

.PHONY: setup setup-default-model demo test lint bench-sampling

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==26.3

$(VENV)/.installed: pyproject.toml scripts/setup-system.sh | $(BIN)/python
	scripts/setup-system.sh
	$(BIN)/pip install -e '.[dev,ray,server,fast-model]'
	touch $@

setup: $(VENV)/.installed

$(VENV)/.default-model: $(VENV)/.installed
	$(BIN)/pip install -e '.[default-model]'
	touch $@

setup-default-model: $(VENV)/.default-model

demo: setup-default-model
	$(BIN)/codesift doctor
	$(BIN)/codesift solve examples/running_max.py

test: setup
	$(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy

bench-sampling: setup
	$(BIN)/python bench/batched_sampling.py
