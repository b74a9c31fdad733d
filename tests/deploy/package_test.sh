#!/usr/bin/env bash
# The Debian package: CPack builds registryd_<version>_amd64.deb; lintian finds no error; its
# contents, conffiles and maintainer scripts are where they belong; the systemd unit carries the
# hardening docs/operations.md promises, and `systemd-analyze verify` accepts it without a word.
#
#   package_test.sh BUILD_DIR
set -euo pipefail
build="$1"
work="$(mktemp -d)"
trap 'rm -rf -- "${work}"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# CPack works in the build folder; a copy of its configuration keeps concurrent runs apart.
(cd "${build}" && cpack -G DEB -B "${work}/out" >"${work}/cpack.log" 2>&1) ||
  { cat "${work}/cpack.log" >&2; fail "cpack failed"; }
deb="$(ls "${work}"/out/registryd_*_amd64.deb)"
[[ -f "${deb}" ]] || fail "no registryd_<version>_amd64.deb"

lintian --fail-on error --suppress-tags no-manual-page "${deb}" >"${work}/lintian.log" 2>&1 ||
  { cat "${work}/lintian.log" >&2; fail "lintian found errors"; }

root="${work}/root"
dpkg-deb -x "${deb}" "${root}"
dpkg-deb -e "${deb}" "${work}/control"
for f in usr/bin/registryd usr/bin/registry-cli usr/lib/systemd/system/registryd.service \
         etc/registryd/registryd.json etc/registryd/reference/offences.json \
         usr/share/doc/registryd/copyright usr/share/doc/registryd/operations.md \
         usr/share/registryd/pki/registry-pki.sh usr/share/registryd/pki/ca-lib.sh; do
  [[ -e "${root}/${f}" ]] || fail "missing /${f}"
done
grep -qx "/etc/registryd/registryd.json" "${work}/control/conffiles" || fail "config is no conffile"
[[ -x "${work}/control/postinst" ]] || fail "postinst is not executable"
grep -q "adduser --system" "${work}/control/postinst" || fail "postinst creates no system user"
shellcheck -s sh "${work}/control/postinst" "${work}/control/postrm"
# The files purge leaves (data, backups, keys) keep their owner: a user made later under a freed
# uid would own them.
! grep -q "deluser" "${work}/control/postrm" || fail "postrm deletes the user that owns the keys"
# The packaged configuration's paths are the layout of operations.md.
grep -q '"data_dir": "/var/lib/registryd/data"' "${root}/etc/registryd/registryd.json" ||
  fail "data is not in /var/lib/registryd"

unit="${root}/usr/lib/systemd/system/registryd.service"
for directive in "ProtectSystem=strict" \
                 "ReadWritePaths=/var/lib/registryd/data /var/lib/registryd/backups /var/lib/registryd/keys" \
                 "NoNewPrivileges=yes" "PrivateTmp=yes" "MemoryDenyWriteExecute=yes" \
                 "CapabilityBoundingSet=" "SystemCallFilter=@system-service" "UMask=0077" \
                 "User=registryd"; do
  grep -qx -- "${directive}" "${unit}" || fail "the unit lacks ${directive}"
done

# systemd-analyze needs the targets the unit names and its commands: a small root of stubs.
sa="${work}/sa"
mkdir -p "${sa}/usr/lib/systemd/system" "${sa}/usr/bin" "${sa}/bin"
cp "${unit}" "${sa}/usr/lib/systemd/system/"
cp "${root}/usr/bin/registryd" "${sa}/usr/bin/"
cp /bin/kill "${sa}/bin/kill"
for t in sysinit.target basic.target multi-user.target network-online.target shutdown.target \
         sockets.target paths.target timers.target slices.target system.slice -.slice; do
  printf '[Unit]\nDescription=%s\n' "${t}" >"${sa}/usr/lib/systemd/system/${t}"
done
out="$(systemd-analyze verify --root="${sa}" /usr/lib/systemd/system/registryd.service 2>&1)" ||
  fail "systemd-analyze verify failed: ${out}"
[[ -z "${out}" ]] || fail "systemd-analyze verify complains: ${out}"
echo "package: ok ($(basename "${deb}"))"
