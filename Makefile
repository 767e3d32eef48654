# Gust — build, test, benchmark. `make test` and `make demo` work on a fresh Debian 12 machine
# with Swift installed: `make deps` installs whatever Debian packages are missing first.

SWIFT       ?= swift
# Where SwiftPM builds (`make demo BUILD_DIR=.build-x` keeps a separate build tree).
BUILD_DIR   ?= .build
APT_PACKAGES = libopenblas-dev libssl-dev zlib1g-dev libsnappy-dev libzstd-dev liblz4-dev \
               libmetis-dev pkg-config python3 python3-venv
VENV        ?= .venv-interop
PYTHON_OK    = $(VENV)/bin/python -c 'import pyarrow, numpy' >/dev/null 2>&1
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps venv build release test bench segment-bound demo clean format

all: build

## deps: install every missing Debian package the build and tests need (quietly; nothing when all present)
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
	  || { echo "make deps: apt-get install failed for:$$missing" >&2; exit 1; }; \
	fi

## venv: a small Python venv with pyarrow for the interop tests (only when it lacks pyarrow)
venv: deps
	@if ! $(PYTHON_OK); then \
	  echo "make venv: creating $(VENV) with pyarrow and numpy"; \
	  python3 -m venv $(VENV) && $(VENV)/bin/pip install -q --disable-pip-version-check pyarrow numpy \
	  || { echo "make venv: could not install pyarrow into $(VENV)" >&2; exit 1; }; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --scratch-path $(BUILD_DIR)

## test: deps + build + every test
test: deps venv
	$(SWIFT) build --build-tests
	GUST_PYTHON=$(abspath $(VENV))/bin/python $(SWIFT) test --disable-swift-testing

## bench: the figures each issue names, as a table and as JSON lines in bench-results.jsonl
## (BENCH_ARGS="construct --large" runs one group with the large graph; data is cached in .bench-data/)
bench: deps venv
	$(SWIFT) build -c release --scratch-path $(BUILD_DIR)
	rm -f bench-results.jsonl
	GUST_PYTHON=$(abspath $(VENV))/bin/python $(BUILD_DIR)/release/gust-bench $(BENCH_ARGS)

## segment-bound: the segment-mean row's kernel beside the bare traffic of its random rows (a C probe;
## see docs/ARCHITECTURE.md, "Measured"). Built with the toolchain's clang into $(BUILD_DIR).
segment-bound:
	@mkdir -p $(BUILD_DIR)
	clang -O2 -mavx2 -o $(BUILD_DIR)/segment-bound scripts/segment_bound.c
	$(BUILD_DIR)/segment-bound

## demo: release build, then `gust demo`: generate a small synthetic graph -> construct 2 partitions ->
## train all seven task kinds (2 gust-server processes, 1 gust-trainer) -> per-task metrics table.
## Workspace ./gust-demo (DEMO_ARGS="--num-epochs 5 --workspace /tmp/d" to change).
demo: release
	$(BUILD_DIR)/release/gust demo $(DEMO_ARGS)

format:
	$(SWIFT) format --in-place --recursive Sources Tests

clean:
	rm -rf .build bench-results.jsonl gust-demo
