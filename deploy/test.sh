#!/usr/bin/env bash
# The test command: installs missing packages (the browser tests' chromium too), builds everything
# (Release) into build/, runs every test through ctest and a seconds-long benchmark smoke run.
# Exits non-zero on any failure. Screenshots of the console's pages land in build/console-screenshots.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=deploy/lib/packages.sh
source "$root/deploy/lib/packages.sh"

registry_ensure_packages "${REGISTRY_TEST_PACKAGES[@]}"
start=$(date +%s)
registry_build "$root" "$root/build"
echo "build: $(( $(date +%s) - start )) s"

start=$(date +%s)
ctest --test-dir "$root/build" --output-on-failure -j "$(nproc)" --timeout 900
echo "tests: $(( $(date +%s) - start )) s"
