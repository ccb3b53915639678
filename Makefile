# The project's front door. `make run` and `make test` work on a fresh
# Debian 12 machine: they install missing packages first.

BUILD_DIR     ?= build
BUILD_TYPE    ?= RelWithDebInfo
JOBS          ?= $(shell nproc)
FUZZ_SECONDS  ?= 60
# make test runs each fuzzer this long (only when clang is installed; 8 targets)
SMOKE_FUZZ_SECONDS ?= 10
CMAKE_FLAGS   ?=

.PHONY: all deps configure build test unit test-asan test-tsan test-client-asan-gcc fuzz fuzz-build fuzz-smoke bench run install format clean

all: build

# `npm install --no-save` rather than `npm ci`: npm 11 rejects our lockfile in `npm ci` because
# cbor-extract's per-platform optional packages never get recorded in it; install still
# takes the versions the lockfile pins.
deps:
	@scripts/install-deps.sh
	@if [ ! -d tests/interop/node_modules/autobahn ] || [ ! -d tests/interop/node_modules/puppeteer-core ] || \
	    [ ! -d tests/interop/node_modules/fox-wamp ]; then \
	  echo "deps: npm install (tests/interop, versions pinned by its package-lock.json)"; \
	  npm install --prefix tests/interop --no-save --no-audit --no-fund; fi

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS)

configure: deps $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Unit and integration tests through ctest, then a short fuzzing run.
test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) --timeout 300
	@$(MAKE) --no-print-directory fuzz-smoke FUZZ_SECONDS=$(SMOKE_FUZZ_SECONDS)

unit: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) --timeout 300

# The unit and integration tests under clang's sanitizers, in their own build trees.
# SANITIZE_SCOPE=core builds and runs only the tests labelled "core" in
# tests/CMakeLists.txt (router, transports, codecs, faults): about half the
# build, meant for a CI sanitizer job. The default runs everything.
ASAN_DIR ?= build-asan
FUZZ_DIR := $(ASAN_DIR)
TSAN_DIR ?= build-tsan
SANITIZE_SCOPE ?= all
ifeq ($(SANITIZE_SCOPE),core)
SANITIZE_BUILD_ARGS := --target core_tests
SANITIZE_CTEST_ARGS := -L core
else
SANITIZE_BUILD_ARGS :=
SANITIZE_CTEST_ARGS :=
endif

$(ASAN_DIR)/build.ninja:
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_COMPILER=clang++ -DNEXUS_BUILD_BENCH=OFF -DNEXUS_BUILD_FUZZ=ON \
	  -DNEXUS_SANITIZE=address,undefined
# An ASan tree configured before the fuzzers moved into it gets them.
ASAN_WITH_FUZZERS = grep -q '^NEXUS_BUILD_FUZZ:BOOL=ON' $(ASAN_DIR)/CMakeCache.txt || \
	  cmake -S . -B $(ASAN_DIR) -DNEXUS_BUILD_FUZZ=ON >/dev/null

$(TSAN_DIR)/build.ninja:
	cmake -S . -B $(TSAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_COMPILER=clang++ -DNEXUS_BUILD_BENCH=OFF -DNEXUS_SANITIZE=thread

test-asan: deps $(ASAN_DIR)/build.ninja
	@$(ASAN_WITH_FUZZERS)
	cmake --build $(ASAN_DIR) -j $(JOBS) $(SANITIZE_BUILD_ARGS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_DIR) --output-on-failure -j $(JOBS) --timeout 600 $(SANITIZE_CTEST_ARGS)

test-tsan: deps $(TSAN_DIR)/build.ninja
	cmake --build $(TSAN_DIR) -j $(JOBS) $(SANITIZE_BUILD_ARGS)
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	  ctest --test-dir $(TSAN_DIR) --output-on-failure -j $(JOBS) --timeout 900 $(SANITIZE_CTEST_ARGS)

# The client library's tests and the examples built by g++ (Debian 12's compiler)
# under ASan+UBSan: g++ 12 miscompiles some coroutine code that clang does not
# (docs/CLIENT.md), so the client is checked with both. Only the client_tests
# target (client tests, examples) is built and only the "client" label is run.
ASAN_GCC_DIR ?= build-asan-gcc

$(ASAN_GCC_DIR)/build.ninja:
	cmake -S . -B $(ASAN_GCC_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_COMPILER=g++ -DNEXUS_BUILD_BENCH=OFF -DNEXUS_SANITIZE=address,undefined

test-client-asan-gcc: deps $(ASAN_GCC_DIR)/build.ninja
	cmake --build $(ASAN_GCC_DIR) -j $(JOBS) --target client_tests
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_GCC_DIR) --output-on-failure -j $(JOBS) --timeout 600 -L client

# The fuzzers live in the ASan tree: the libraries there are compiled once,
# with ASan, UBSan and libFuzzer's coverage, for the fuzzers and the ASan
# test run alike (the coverage hooks cost the tests little).
fuzz-build: deps $(ASAN_DIR)/build.ninja
	@$(ASAN_WITH_FUZZERS)
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target fuzzers

# Runs every fuzzer for FUZZ_SECONDS on its committed seed corpus.
fuzz: fuzz-build
	scripts/run-fuzzers.sh $(FUZZ_DIR)/fuzz $(FUZZ_SECONDS)

fuzz-smoke:
	@if command -v clang++ >/dev/null 2>&1; then \
	  $(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(FUZZ_SECONDS); \
	else echo "fuzz-smoke: clang++ not found, skipping the fuzzing run"; fi

# The standard router benchmark suite: nexusd and bench/forwarder driven by
# wampbench, figures with their ratio to the forwarder (docs/PERFORMANCE.md).
# MICRO=1 adds the serializer micro-benchmarks.
bench: configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target nexusd wampbench forwarder $(if $(filter 1,$(MICRO)),codec_bench)
	scripts/run-benchmarks.sh $(BUILD_DIR)

run: build
	exec $(BUILD_DIR)/apps/nexusd/nexusd --config etc/nexus.json

# nexusd, etc/nexus.json, the systemd unit and its user (docs/OPERATIONS.md).
# PREFIX (default /usr/local; /usr puts the configuration in /etc) is set at
# configure time, since the unit names the installed paths; DESTDIR (a
# staging root for packaging) as usual.
PREFIX ?= /usr/local
install: build
	cmake -S . -B $(BUILD_DIR) -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	cmake --build $(BUILD_DIR) -j $(JOBS)
	cmake --install $(BUILD_DIR)

format:
	clang-format -i $$(git ls-files '*.hpp' '*.cpp')

clean:
	rm -rf $(BUILD_DIR) build-fuzz $(ASAN_DIR) $(TSAN_DIR) $(ASAN_GCC_DIR)
