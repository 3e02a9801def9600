# Thin driver over CMake. A newcomer needs only `make demo` and `make check`.
#
#   make            build build/darkscan
#   make check      format check, the whole suite, then the whole suite again under ASan+UBSan
#   make demo       build, simulate the paper's setting, analyse it, print the report's path
#   make bench      benchmarks (packets/s, peak memory, baselines measured in the same run)
#   make fuzz       build the libFuzzer targets with clang and run each for FUZZ_SECONDS
#   make format     reformat the sources with clang-format
#   make install    install the binary and man page (PREFIX=/usr/local)

BUILD       ?= build
ASAN_BUILD  ?= build-asan
FUZZ_BUILD  ?= build-fuzz
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX      ?= /usr/local
FUZZ_SECONDS ?= 60
CMAKE_FLAGS ?=
CTEST_FLAGS ?= --output-on-failure -j $(JOBS)

SOURCES = $(shell git ls-files --cached --others --exclude-standard '*.c' '*.h' 2>/dev/null || find include lib cli tests fuzz bench -name '*.[ch]')

.PHONY: all build check test test-asan format format-check demo bench fuzz install clean deps-build

all: build

deps-build:
	@scripts/deps.sh build

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDS_WERROR=ON $(CMAKE_FLAGS)

build: deps-build $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

check:
	@scripts/deps.sh check
	@$(MAKE) --no-print-directory format-check
	@$(MAKE) --no-print-directory test
	@$(MAKE) --no-print-directory test-asan
	@echo "make check: all tests passed (normal and ASan+UBSan builds)"

test: build
	cd $(BUILD) && ctest $(CTEST_FLAGS)

$(ASAN_BUILD)/CMakeCache.txt:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DDS_SANITIZE=ON -DDS_WERROR=ON \
	  -DCMAKE_C_FLAGS=-O1 $(CMAKE_FLAGS)

test-asan: deps-build $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest $(CTEST_FLAGS)

format:
	clang-format -i $(SOURCES)

format-check:
	@scripts/check-format.sh $(SOURCES)
	@for f in .ci/run bench/*.sh scripts/*.sh tests/e2e/*.sh; do \
	  bash -n "$$f" || { echo "shell syntax error: $$f" >&2; exit 1; }; done

# The paper's setting simulated, analysed with every feature, checked against the truth; the
# last line printed is the report's path (docs/SIMULATE.md).
demo:
	@scripts/deps.sh demo
	@$(MAKE) --no-print-directory build
	$(BUILD)/darkscan demo --out demo-out

bench:
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory build
	bench/run.sh $(BUILD)

fuzz:
	@scripts/deps.sh fuzz
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DDS_FUZZ=ON -DDS_TESTS=OFF \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDS_SANITIZE=ON
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
