#!/usr/bin/env bash
# Runs shellcheck on every shell script the repository tracks (and the CI entry point, which has no
# .sh ending); untracked files are left alone. Any finding fails.
#
#   usage: bash shellcheck_test.sh SOURCE_DIR
set -euo pipefail
cd "$1"
mapfile -t scripts < <(git ls-files '*.sh' .ci/run deploy/debian/postinst deploy/debian/postrm)
[[ ${#scripts[@]} -gt 0 ]] || { echo "FAIL: no scripts found" >&2; exit 1; }
shellcheck "${scripts[@]}"
echo "shellcheck: ${#scripts[@]} scripts clean"
