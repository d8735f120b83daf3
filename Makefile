# Two commands do all the set-up on a fresh machine:
#   make demo   installs everything and solves an example with the embedded default model
#   make test   installs everything and runs the test suite (what CI runs, via .ci/run)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# llama-cpp-python compiles llama.cpp (6 to 11 minutes on 2 cores), once per venv.
export CMAKE_BUILD_PARALLEL_LEVEL ?= 2
# A portable x86-64-v3 build (AVX2, FMA, F16C) instead of -march=native: a native build on a Xeon with AMX
# compiles llama.cpp's AMX kernels, which segfault in the first decode on VMs that do not grant AMX state.
# Tools, tests, examples and the HTTP server of llama.cpp itself are not built: codesift loads only the library.
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF \
	-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF

.PHONY: setup setup-default-model demo test lint bench-sampling

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==26.3

# Built once per venv without pip's wheel cache: a cached wheel of the same version may be a native build
# from another machine (pip's cache key ignores CMAKE_ARGS), which is how the AMX crash would come back.
LLAMA := $(shell grep -o 'llama-cpp-python==[0-9.]*' pyproject.toml | head -1)
$(VENV)/.llama: | $(BIN)/python
	$(BIN)/pip install --no-cache-dir '$(LLAMA)'
	touch $@

$(VENV)/.installed: pyproject.toml scripts/setup-system.sh $(VENV)/.llama | $(BIN)/python
	scripts/setup-system.sh
	$(BIN)/pip install -e '.[dev,ray,server,fast-model,repo-bench]'
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
