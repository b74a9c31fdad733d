#!/usr/bin/env bash
# Runs every libFuzzer target of a build made with -DREGISTRY_FUZZ=ON, each from a scratch copy of
# its seed corpus (tests/fuzz/corpus/<target>/), two at a time (one per core), and prints the
# executions per target. Exits non-zero when any target finds a crash, a leak, a timeout or an
# oracle failure; the input that did it is kept under the output folder.
#
#   tests/fuzz/run_fuzzers.sh BUILD_DIR                 # each target 30 s (CI passes 20)
#   tests/fuzz/run_fuzzers.sh --seconds 600 BUILD_DIR   # longer
#   tests/fuzz/run_fuzzers.sh --runs 10000000 BUILD_DIR # a fixed number of executions each
#   options: --jobs N (parallel targets, default 2), --out DIR (default BUILD_DIR/fuzz-runs),
#            --only NAME[,NAME...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
seconds=30
runs=""
jobs=2
out=""
only=""
while [ $# -gt 1 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ $# -eq 1 ] || { echo "usage: $0 [--seconds S | --runs N] [--jobs N] [--out DIR] BUILD_DIR" >&2; exit 2; }
build="$(cd "$1" && pwd)"
out="${out:-$build/fuzz-runs}"
rm -rf "$out"
mkdir -p "$out"

targets=()
for corpus in "$here"/corpus/*/; do
  name="$(basename "$corpus")"
  if [ -n "$only" ] && [[ ",$only," != *",$name,"* ]]; then continue; fi
  if [ ! -x "$build/tests/fuzz/$name" ]; then
    echo "missing fuzz target $build/tests/fuzz/$name (build with -DREGISTRY_FUZZ=ON)" >&2
    exit 1
  fi
  targets+=("$name")
done

# shellcheck disable=SC2317  # run by xargs through bash -c (exported below)
run_one() {
  local name="$1" dir="$out/$1"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  cp "$here/corpus/$name"/* "$dir/corpus/"
  local limit=("-max_total_time=$seconds")
  if [ -n "$runs" ]; then limit=("-runs=$runs"); fi
  # A leak report at exit is a finding too; 25 s for one input is a hang; 2.5 GiB a memory blow-up.
  local status=0
  (cd "$dir" && ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:symbolize=1" \
     UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
     "$build/tests/fuzz/$name" "${limit[@]}" -timeout=25 -rss_limit_mb=2560 \
       -print_final_stats=1 -artifact_prefix="$dir/artifacts/" "$dir/corpus" \
       > "$dir/log.txt" 2>&1) || status=$?
  local execs
  execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$dir/log.txt" | tail -1 | grep -o '[0-9]*$' || true)"
  local secs
  secs="$(grep -o 'Done [0-9]* runs in [0-9]* second' "$dir/log.txt" | tail -1 | grep -o 'in [0-9]*' | grep -o '[0-9]*' || true)"
  local cov
  cov="$(grep -o 'cov: [0-9]*' "$dir/log.txt" | tail -1 | grep -o '[0-9]*' || true)"
  echo "$name ${execs:-0} ${secs:-?} ${cov:-?} $status" > "$dir/result.txt"
}
export -f run_one
export here out seconds runs build

start=$(date +%s)
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one "$@"' _ {}
failed=0
printf '%-28s %14s %8s %8s  %s\n' target executions seconds coverage result
for name in "${targets[@]}"; do
  read -r _ execs secs cov status < "$out/$name/result.txt"
  verdict=ok
  if [ "$status" != 0 ]; then verdict="FAILED (exit $status; see $out/$name/log.txt)"; failed=1; fi
  printf '%-28s %14s %8s %8s  %s\n' "$name" "$execs" "$secs" "$cov" "$verdict"
done
echo "fuzzing: ${#targets[@]} targets, $(( $(date +%s) - start )) s"
if [ "$failed" != 0 ]; then
  for name in "${targets[@]}"; do
    read -r _ _ _ _ status < "$out/$name/result.txt"
    if [ "$status" != 0 ]; then echo "== $name"; tail -40 "$out/$name/log.txt"; fi
  done
fi
exit "$failed"
