# shellcheck shell=bash
# Installs the Debian 12 packages the registry builds and runs with, only those missing, and
# (test.sh) those its browser tests need. `apt-get update` runs once, and only when something
# must be installed. Sourced by run-dev.sh and test.sh.

REGISTRY_PACKAGES=(
  build-essential cmake ninja-build pkg-config openssl lld
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libcpp-httplib-dev
  librocksdb-dev libabsl-dev libssl-dev libicu-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  dpkg-dev file lintian shellcheck systemd
)

# What the sanitizer and fuzzing stage adds (deploy/sanitize.sh): clang with its ASan/UBSan
# runtimes, and libFuzzer.
# shellcheck disable=SC2034  # used by deploy/test.sh and deploy/sanitize.sh, which source this
REGISTRY_SANITIZER_PACKAGES=(clang-14 libfuzzer-14-dev)

# registry-console's tests drive Debian's chromium headless (tests/console/). Used by test.sh.
# shellcheck disable=SC2034
REGISTRY_TEST_PACKAGES=(chromium chromium-driver python3-selenium)

# Installs REGISTRY_PACKAGES and the packages given as arguments, those missing only.
# shellcheck disable=SC2120  # the arguments are optional
registry_ensure_packages() {
  local missing=()
  local p
  for p in "${REGISTRY_PACKAGES[@]}" "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
  fi
  echo "installing: ${missing[*]}"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "${missing[@]}"
}

# Configures and builds into $1 (Release), the given targets (all when none).
registry_build() {
  local root="$1" build="$2"
  shift 2
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  if [ $# -gt 0 ]; then
    cmake --build "$build" -j "$(nproc)" --target "$@"
  else
    cmake --build "$build" -j "$(nproc)"
  fi
}
