# Two commands on a fresh Debian 12 machine:
#   make run    set up, build, and run examples/hello.py through build/vivarium
#   make test   set up, build, and run every test
#   make fuzz   build the libFuzzer targets with clang-19 and run each for FUZZ_SECONDS
# Both are idempotent: set-up skips what is in place, the build is incremental.
MAKEFLAGS += --no-print-directory
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
export VIVARIUM_CACHE_DIR ?= $(CURDIR)/$(BUILD_DIR)/cache

FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60

.PHONY: all setup configure build run test asan fuzz bench clean install packages lint format

all: build

setup:
	@scripts/setup.sh

$(BUILD_DIR)/CMakeCache.txt: | setup
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

configure: setup $(BUILD_DIR)/CMakeCache.txt

build: configure
	@cmake --build $(BUILD_DIR) -j$(JOBS)

run: build
	$(BUILD_DIR)/vivarium run examples/hello.py World

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS)

# AddressSanitizer + UndefinedBehaviorSanitizer build and tests, in build-asan/.
asan: setup
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DVIVARIUM_SANITIZE=ON
	cmake --build build-asan -j$(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=0 ctest --output-on-failure -j$(JOBS)

# libFuzzer targets (tests/fuzz) in their own build, without V8; see docs/fuzzing.md.
$(FUZZ_DIR)/CMakeCache.txt:
	@scripts/setup-fuzz.sh
	cmake -S . -B $(FUZZ_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-19 -DVIVARIUM_FUZZ=ON

fuzz: $(FUZZ_DIR)/CMakeCache.txt
	@scripts/setup-fuzz.sh
	@cmake --build $(FUZZ_DIR) -j$(JOBS)
	@scripts/run-fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

# scripts/setup-bench.sh installs what the benchmarks run (hyperfine, node, python3, git).
bench: build
	@scripts/setup-bench.sh
	bench/startup.sh
	bench/cpu.sh
	bench/server.sh
	bench/packages.sh
	bench/streaming.sh
	python3 bench/mcp.py
	python3 bench/metrics.py
	bench/auth.sh
	python3 bench/nginx.py

# Formatting of every C++ file, shell and Python syntax (scripts/lint.sh).
lint: setup
	@scripts/lint.sh

# Rewrites every C++ file to .clang-format (what `make lint` checks).
format:
	@git ls-files '*.cpp' '*.h' | xargs clang-format-14 -i

install: build
	cmake --install $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR) build-asan $(FUZZ_DIR)

# The official Pyodide package distribution (numpy, pandas, matplotlib, ...) into
# assets/packages/; needs internet access to github.com, which CI does not have.
packages: setup
	scripts/fetch-pyodide-packages.sh
