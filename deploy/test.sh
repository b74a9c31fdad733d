#!/usr/bin/env bash
# The test command: installs missing packages, builds everything (Release) into build/, runs every
# test through ctest (the reliability suite included: crash cycles, tamper flips, a full disk, the
# fuzz targets' deterministic drivers, and the console in headless chromium, whose screenshots land
# in build/console-screenshots) and a seconds-long benchmark smoke run. Exits non-zero on any
# failure.
#
#   deploy/test.sh                # Release build and every test
#   deploy/test.sh --sanitizers   # then the same suite under ASan + UBSan, and every fuzz target
#                                 # under libFuzzer (deploy/sanitize.sh); CI runs this
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=deploy/lib/packages.sh
source "$root/deploy/lib/packages.sh"

sanitizers=0
for arg in "$@"; do
  case "$arg" in
    --sanitizers) sanitizers=1 ;;
    *) echo "usage: deploy/test.sh [--sanitizers]" >&2; exit 2 ;;
  esac
done

total=$(date +%s)
if [ "$sanitizers" = 1 ]; then
  registry_ensure_packages "${REGISTRY_TEST_PACKAGES[@]}" "${REGISTRY_SANITIZER_PACKAGES[@]}"
else
  registry_ensure_packages "${REGISTRY_TEST_PACKAGES[@]}"
fi
start=$(date +%s)
registry_build "$root" "$root/build"
echo "build: $(( $(date +%s) - start )) s"

start=$(date +%s)
ctest --test-dir "$root/build" --output-on-failure -j "$(nproc)" --timeout 900
echo "tests: $(( $(date +%s) - start )) s"

if [ "$sanitizers" = 1 ]; then
  bash "$root/deploy/sanitize.sh"
fi
echo "total: $(( $(date +%s) - total )) s"
