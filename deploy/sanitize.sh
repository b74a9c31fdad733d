#!/usr/bin/env bash
# The sanitizer and fuzzing stage of the test command (deploy/test.sh --sanitizers, and CI): one
# second build directory, build-asan/, compiled with clang-14, AddressSanitizer and
# UndefinedBehaviorSanitizer (REGISTRY_SANITIZE) and libFuzzer's coverage (REGISTRY_FUZZ). In it:
#  1. the whole ctest suite runs under the sanitizers (a report fails the test that caused it);
#  2. every libFuzzer target runs from its seed corpus for REGISTRY_FUZZ_SECONDS (default 20),
#     two at a time (tests/fuzz/run_fuzzers.sh).
# The reliability tests run shorter here than in the Release run, which does the counted runs
# (docs/reliability.md): under ASan each start of registryd costs several times as much.
# Exits non-zero on any failure.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=deploy/lib/packages.sh
source "$root/deploy/lib/packages.sh"
registry_ensure_packages "${REGISTRY_SANITIZER_PACKAGES[@]}"

build="$root/build-asan"
start=$(date +%s)
# -O1 keeps the sanitized suite fast enough to run whole; line tables alone give reports their
# file and line at a fraction of full debug information's build time.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_C_COMPILER=clang-14 \
  -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG -gline-tables-only" \
  -DREGISTRY_SANITIZE=ON -DREGISTRY_FUZZ=ON >/dev/null
cmake --build "$build" -j "$(nproc)"
echo "sanitizer build: $(( $(date +%s) - start )) s"

start=$(date +%s)
# Leaks are reported by the tests' own processes at exit; an error of either sanitizer aborts the
# process, so its test fails with the report in its output.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export REGISTRY_CRASH_CYCLES="${REGISTRY_CRASH_CYCLES:-4}"
export REGISTRY_TAMPER_FLIPS="${REGISTRY_TAMPER_FLIPS:-12}"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" --timeout 1200
echo "sanitizer tests: $(( $(date +%s) - start )) s"

start=$(date +%s)
bash "$root/tests/fuzz/run_fuzzers.sh" --seconds "${REGISTRY_FUZZ_SECONDS:-20}" --jobs "$(nproc)" \
  "$build"
echo "fuzzing: $(( $(date +%s) - start )) s"
