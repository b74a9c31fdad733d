#!/usr/bin/env bash
# The production PKI and key ceremony (deploy/pki/registry-pki.sh) against a real registryd:
# an offline root and an issuing CA with encrypted keys, a server and two client certificates
# with URI SAN identities, revocation that registryd follows while it runs, and a key file made
# with its owner, mode and paper record.
#
#   production_pki_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build="$1"
source_dir="$2"
pki_script="${source_dir}/deploy/pki/registry-pki.sh"
registryd="${build}/registryd"
cli="${build}/registry-cli"

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [[ -n "${server_pid}" ]]; then kill "${server_pid}" 2>/dev/null || true; wait "${server_pid}" 2>/dev/null || true; fi
  rm -rf -- "${work}"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# Waits up to $1 seconds for "$2" (a command) to succeed.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    (( SECONDS < deadline )) || return 1
    sleep 0.2
  done
}

umask 077
cd "${work}"
printf 'root passphrase for the test\n' >root.pass
printf 'issuing passphrase for the test\n' >issuing.pass
export REGISTRY_PKI_ROOT_PASS_FILE="${work}/root.pass"
export REGISTRY_PKI_ISSUING_PASS_FILE="${work}/issuing.pass"
export REGISTRY_PKI_DOMAIN="registry.test"

bash "${pki_script}" init-root pki >/dev/null
bash "${pki_script}" init-issuing pki >/dev/null
bash "${pki_script}" server pki localhost 127.0.0.1 >/dev/null
bash "${pki_script}" client pki clerk clerk-01 >/dev/null
bash "${pki_script}" client pki court judge-01 >/dev/null

# CA keys are encrypted; leaf keys are private; the identities are URI SANs.
grep -q "ENCRYPTED PRIVATE KEY" pki/root/root.key || fail "root key not encrypted"
grep -q "ENCRYPTED PRIVATE KEY" pki/issuing/issuing.key || fail "issuing key not encrypted"
[[ "$(stat -c %a pki/clients/clerk/clerk-01/key.pem)" == 600 ]] || fail "client key mode"
openssl verify -CAfile pki/client-ca.pem pki/clients/clerk/clerk-01/cert.pem >/dev/null ||
  fail "client certificate does not chain to the root"
openssl x509 -in pki/clients/clerk/clerk-01/cert.pem -noout -ext subjectAltName |
  grep -q "URI:spiffe://registry.test/clerk/clerk-01" || fail "client URI SAN"
if bash "${pki_script}" client pki janitor x 2>/dev/null; then fail "an unknown role was issued"; fi
if bash "${pki_script}" client pki clerk clerk-01 2>/dev/null; then fail "a certificate was issued twice"; fi
# A second issue under one name says the renewal docs/operations.md describes: a server's
# folder moved aside (it had said to revoke first), an official's under a new name.
again="$(bash "${pki_script}" server pki localhost 127.0.0.1 2>&1)" && fail "a server issued twice"
grep -q "move the folder aside first (mv pki/servers/localhost pki/servers/localhost\." \
  <<<"${again}" || fail "a server's renewal advice: ${again}"
again="$(bash "${pki_script}" client pki clerk clerk-01 2>&1)" && fail "a client issued twice"
grep -q "issue a new certificate under a new name" <<<"${again}" ||
  fail "a client's renewal advice: ${again}"

# The key ceremony: a new key file, owned and private, and its paper record.
record="$(bash "${pki_script}" key-ceremony "${registryd}" "${work}/keys.json" "$(id -un)")"
[[ "$(stat -c %a keys.json)" == 600 ]] || fail "key file mode"
grep -Eq "Key check value: +[0-9a-f]{64}" <<<"${record}" || fail "no key check value: ${record}"
grep -Eq "Audit key id: +[0-9a-f]{16}" <<<"${record}" || fail "no audit key id"
if bash "${pki_script}" key-ceremony "${registryd}" "${work}/keys.json" "$(id -un)" 2>/dev/null; then
  fail "a key ceremony overwrote a key file"
fi
root_b64="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["derivationRoot"])' keys.json 2>/dev/null ||
            python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["derivation_root"])' keys.json)"
[[ -n "${root_b64}" ]] || fail "the key file has no derivation root"
root_hex="$(printf '%s' "${root_b64}" | base64 -d | od -An -tx1 | tr -d ' \n')"
if grep -qiF -e "${root_b64}" -e "${root_hex}" <<<"${record}"; then
  fail "the paper record holds key material"
fi

cat >policy.json <<'JSON'
{
  "principals": [
    {"id": "spiffe://registry.test/clerk/clerk-01", "role": "ROLE_CLERK", "organisation": "kjc-registry"},
    {"id": "spiffe://registry.test/court/judge-01", "role": "ROLE_COURT", "organisation": "court"}
  ],
  "organisations": [
    {"id": "kjc-registry", "display_name": "KJC registry office"},
    {"id": "court", "display_name": "Basic Court"}
  ],
  "purpose_codes": ["criminal_proceedings"]
}
JSON
mkdir -m 700 crl
cp pki/crl/* crl/
# The root's key goes offline after the ceremony: its CRL must outlast the year until the next
# one, or every restart fails once it lapses; the issuing CA's stays short.
crl_days() {
  local next
  next="$(openssl crl -in "$1" -noout -nextupdate | cut -d= -f2)"
  echo $(( ($(date -d "${next}" +%s) - $(date +%s)) / 86400 ))
}
(( $(crl_days pki/root/root.crl) >= 365 )) || fail "the root CRL lapses within a year: $(crl_days pki/root/root.crl) days"
(( $(crl_days pki/issuing/issuing.crl) <= 31 )) || fail "the issuing CRL lasts $(crl_days pki/issuing/issuing.crl) days"
cat >registryd.json <<JSON
{
  "listen_address": "127.0.0.1:0",
  "tls": {
    "client_ca_file": "pki/client-ca.pem",
    "cert_file": "pki/servers/localhost/cert.pem",
    "key_file": "pki/servers/localhost/key.pem",
    "crl_directory": "crl"
  },
  "data_dir": "data",
  "key_file": "keys.json",
  "policy_file": "policy.json",
  "reference_dir": "${source_dir}/deploy/reference"
}
JSON
"${registryd}" --config registryd.json 2>server.log &
server_pid=$!
port_of_log() { grep -Eo '(port=|"port": ?)[0-9]+' server.log | grep -Eo '[0-9]+$' | head -1; }
serving() { [[ -n "$(port_of_log)" ]]; }
wait_for 60 serving || { cat server.log >&2; fail "registryd did not start"; }
address="127.0.0.1:$(port_of_log)"

health() {  # health IDENTITY_DIR -> the CLI's output
  "${cli}" --identity "$1" --server "${address}" health 2>&1 || true
}
[[ "$(health pki/clients/clerk/clerk-01)" == SERVING ]] ||
  fail "clerk not served: $(health pki/clients/clerk/clerk-01)"
[[ "$(health pki/clients/court/judge-01)" == SERVING ]] || fail "court not served"

# Revoke the court's certificate and publish the new CRL: registryd follows without a restart.
bash "${pki_script}" revoke pki pki/clients/court/judge-01/cert.pem >/dev/null
for f in pki/crl/*; do cp "${f}" "crl/.$(basename "${f}").tmp"; mv -f "crl/.$(basename "${f}").tmp" "crl/$(basename "${f}")"; done
revoked() { [[ "$(health pki/clients/court/judge-01)" == *UNAUTHENTICATED* ]]; }
wait_for 30 revoked || fail "a revoked certificate is still served: $(health pki/clients/court/judge-01)"
[[ "$(health pki/clients/clerk/clerk-01)" == SERVING ]] || fail "the clerk lost access"
echo "production PKI: ok"
