#!/usr/bin/env bash
# Builds the registryd container image with podman from the Debian package, on a Debian 12
# base image made here with debootstrap (no registry is pulled from), and checks what is in it.
#
#   deploy/container/build-image.sh BUILD_DIR [TAG]
#
# BUILD_DIR holds registryd_<version>_amd64.deb (`cpack -G DEB` in the build folder). Needs
# root, podman and debootstrap. Builds with chroot isolation, which works where the container
# runtime cannot create cgroups.
set -euo pipefail
build="$1"
tag="${2:-localhost/kjc/registryd:latest}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
base=localhost/kjc/debian12-minbase

deb="$(find "${build}" -maxdepth 1 -name 'registryd_*_amd64.deb' | sort | tail -1)"
[[ -n "${deb}" ]] || { echo "no registryd_*_amd64.deb in ${build}: run cpack -G DEB there" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf -- "${work}"' EXIT

if ! podman image exists "${base}"; then
  debootstrap --variant=minbase bookworm "${work}/rootfs" http://deb.debian.org/debian >/dev/null
  tar -C "${work}/rootfs" -c . | podman import - "${base}" >/dev/null
fi
mkdir "${work}/context"
cp "${here}/Containerfile" "${deb}" "${work}/context/"
podman build --isolation chroot --build-arg BASE="${base}" -t "${tag}" "${work}/context" >/dev/null

# What the image holds: the binaries, the system user, the unprivileged entry point.
container="$(podman create "${tag}")"
trap 'podman rm -f "${container}" >/dev/null 2>&1 || true; rm -rf -- "${work}"' EXIT
podman export "${container}" | tar -x -C "${work}" usr/bin/registryd etc/passwd
[[ -x "${work}/usr/bin/registryd" ]] || { echo "FAIL: no registryd in the image" >&2; exit 1; }
grep -q '^registryd:' "${work}/etc/passwd" || { echo "FAIL: no registryd user" >&2; exit 1; }
[[ "$(podman image inspect --format '{{.Config.User}}' "${tag}")" == registryd ]] ||
  { echo "FAIL: the image does not run as registryd" >&2; exit 1; }
echo "image ${tag}: ok"
