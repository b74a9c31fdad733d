#!/usr/bin/env bash
# Production PKI for registryd: an offline root CA, an issuing CA, client certificates per role
# (URI SAN identities), server certificates, revocation lists, and the key-file ceremony.
# Everything with the OpenSSL 3 command line; keys are ECDSA P-384, CA keys encrypted with
# AES-256 under a passphrase that never appears on a command line.
#
#   registry-pki.sh init-root    PKI                      offline root CA (20 years)
#   registry-pki.sh init-issuing PKI                      issuing CA signed by the root (10 years)
#   registry-pki.sh client       PKI ROLE NAME            client certificate (2 years) for
#                                                         spiffe://<domain>/ROLE/NAME
#   registry-pki.sh server       PKI DNS-NAME [IP ...]    server certificate (1 year)
#   registry-pki.sh revoke       PKI CERT-PEM [REASON]    revoke a certificate of the issuing CA
#   registry-pki.sh crl          PKI                      new CRLs; PKI/crl is tls.crl_directory
#   registry-pki.sh key-ceremony REGISTRYD KEYFILE OWNER  new key file, its owner and mode, and a
#                                                         paper record of its check value
#
# Passphrases: the root CA's from $REGISTRY_PKI_ROOT_PASS_FILE, the issuing CA's from
# $REGISTRY_PKI_ISSUING_PASS_FILE (files readable by their owner only); without them openssl
# asks on the terminal. The identity domain is $REGISTRY_PKI_DOMAIN (default registry.kjc.rks).
#
# Layout of PKI (every folder mode 0700, every key mode 0600):
#   root/       root.pem, root.key, db/ (openssl ca database), root.crl
#   issuing/    issuing.pem, issuing.key, chain.pem (issuing + root), db/, issuing.crl
#   clients/ROLE/NAME/  cert.pem key.pem ca.pem (for `registry-cli --identity`)
#                       fingerprint.sha256 (for the policy's deny list)
#   servers/NAME/       cert.pem key.pem ca.pem
#   crl/        the issuing CA's current CRL named <subject hash>.r0, and the root's: registryd's
#               tls.crl_directory
#   client-ca.pem       the bundle registryd trusts for clients (tls.client_ca_file): issuing +
#                       root
# The root CA's key belongs on an offline machine: after init-issuing, and after each `crl` run
# that renews the root's CRL, move root/root.key to offline storage (see docs/operations.md).
set -euo pipefail

PROG="$(basename -- "$0")"
DOMAIN="${REGISTRY_PKI_DOMAIN:-registry.kjc.rks}"
ROOT_DAYS=7305
ISSUING_DAYS=3652
CLIENT_DAYS=730
SERVER_DAYS=397
CRL_DAYS=30
# The root's key is kept offline: its CRL is made at the yearly ceremony that brings it online,
# so it lasts thirteen months (registryd refuses every client when a CA's CRL lapses).
ROOT_CRL_DAYS=400

die() { echo "${PROG}: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

# shellcheck source=deploy/pki/ca-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/ca-lib.sh"

pass_arg() {  # pass_arg ENV_VAR -> "-passin/-passout file:..." argument, or nothing
  local file="${!1:-}"
  [[ -z "${file}" ]] && return 0
  [[ -r "${file}" ]] || die "\$$1 names ${file}, which cannot be read"
  printf 'file:%s' "${file}"
}

# The openssl configuration of CA DIR (KIND root or issuing), with the extensions it issues.
write_config() {  # write_config DIR KIND
  local dir="$1" kind="$2"
  ca_db "${dir}"
  cat >"${dir}/db/openssl.cnf" <<EOF
$(ca_section this_ca "${dir}" "${kind}" sha384 "" "${CRL_DAYS}" policy_any no)

[policy_any]
organizationName       = optional
organizationalUnitName = optional
commonName             = supplied

[req]
distinguished_name = req_dn
prompt             = no
[req_dn]
O  = Kosovo Judicial Council
CN = placeholder

[root_ext]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash

[issuing_ext]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[crl_ext]
authorityKeyIdentifier = keyid:always
EOF
}

new_key() {  # new_key FILE [PASS_ENV]: P-384; encrypted when PASS_ENV is given
  local file="$1" pass_env="${2:-}" options=()
  if [[ -n "${pass_env}" ]]; then
    local pass
    pass="$(pass_arg "${pass_env}")"
    options=(-aes-256-cbc)
    [[ -n "${pass}" ]] && options+=(-pass "${pass}")
  fi
  new_ec_key "${file}" P-384 "${options[@]}"
}

# Issues a leaf from a CSR with the issuing CA: issue DIR CN DAYS EXTENSIONS
issue() {
  local pki="$1" dir="$2" cn="$3" days="$4" ext="$5" pass
  pass="$(pass_arg REGISTRY_PKI_ISSUING_PASS_FILE)"
  [[ -f "${pki}/issuing/issuing.pem" ]] || die "no issuing CA in ${pki}: run init-issuing first"
  private_dir "${dir}"
  # The renewals docs/operations.md describes: a server's folder is moved aside, the old pair
  # serving until the new one is in place; an official's certificate is issued under a new name.
  # Revoking first is for a key that may have leaked.
  if [[ -f "${dir}/cert.pem" ]]; then
    if [[ "${dir}" == */servers/* ]]; then
      die "${dir}/cert.pem exists: to renew it, move the folder aside first \
(mv ${dir} ${dir}.$(date +%F)) and keep it until the new certificate is served; revoke the old \
one first only if its key may have leaked"
    fi
    die "${dir}/cert.pem exists: to renew it, issue a new certificate under a new name, or revoke \
the old one and move its folder aside first"
  fi
  new_key "${dir}/key.pem"
  run_openssl req -new -key "${dir}/key.pem" -subj "/O=Kosovo Judicial Council/CN=${cn}" \
    -out "${dir}/csr.pem"
  local options=(-days "${days}")
  [[ -n "${pass}" ]] && options+=(-passin "${pass}")
  sign_request "${dir}" "${pki}/issuing/db/openssl.cnf" "${ext}" "${options[@]}"
  cp -- "${pki}/client-ca.pem" "${dir}/ca.pem"
  write_fingerprint "${dir}"
}

cmd_init_root() {
  local pki="$1" dir="$1/root" pass
  private_dir "${pki}"
  private_dir "${dir}"
  [[ -f "${dir}/root.pem" ]] && die "${dir}/root.pem exists: one root per PKI"
  write_config "${dir}" root
  new_key "${dir}/root.key" REGISTRY_PKI_ROOT_PASS_FILE
  pass="$(pass_arg REGISTRY_PKI_ROOT_PASS_FILE)"
  local args=(req -new -x509 -config "${dir}/db/openssl.cnf" -extensions root_ext
              -key "${dir}/root.key" -subj "/O=Kosovo Judicial Council/CN=KJC Registry Root CA"
              -days "${ROOT_DAYS}" -sha384 -out "${dir}/root.pem")
  [[ -n "${pass}" ]] && args+=(-passin "${pass}")
  run_openssl "${args[@]}"
  echo "root CA: ${dir}/root.pem (key ${dir}/root.key: move it offline after init-issuing)"
}

cmd_init_issuing() {
  local pki="$1" dir="$1/issuing" root_pass
  [[ -f "${pki}/root/root.pem" ]] || die "no root CA in ${pki}: run init-root first"
  [[ -f "${pki}/root/root.key" ]] || die "the root key is offline: bring ${pki}/root/root.key back"
  private_dir "${dir}"
  [[ -f "${dir}/issuing.pem" ]] && die "${dir}/issuing.pem exists"
  write_config "${dir}" issuing
  new_key "${dir}/issuing.key" REGISTRY_PKI_ISSUING_PASS_FILE
  local ipass
  ipass="$(pass_arg REGISTRY_PKI_ISSUING_PASS_FILE)"
  local req=(req -new -key "${dir}/issuing.key" -out "${dir}/issuing.csr"
             -subj "/O=Kosovo Judicial Council/CN=KJC Registry Issuing CA 1")
  [[ -n "${ipass}" ]] && req+=(-passin "${ipass}")
  run_openssl "${req[@]}"
  root_pass="$(pass_arg REGISTRY_PKI_ROOT_PASS_FILE)"
  local sign=(ca -batch -notext -config "${pki}/root/db/openssl.cnf" -extensions issuing_ext
              -days "${ISSUING_DAYS}" -in "${dir}/issuing.csr" -out "${dir}/issuing.pem")
  [[ -n "${root_pass}" ]] && sign+=(-passin "${root_pass}")
  run_openssl "${sign[@]}"
  rm -f -- "${dir}/issuing.csr"
  cat "${dir}/issuing.pem" "${pki}/root/root.pem" >"${dir}/chain.pem"
  cat "${dir}/issuing.pem" "${pki}/root/root.pem" >"${pki}/client-ca.pem"
  cmd_crl "${pki}"
  echo "issuing CA: ${dir}/issuing.pem; client CA bundle: ${pki}/client-ca.pem"
}

cmd_client() {
  local pki="$1" role="$2" name="$3"
  case "${role}" in clerk|court|vetting|auditor|admin) ;; *) die "role must be clerk, court, vetting, auditor or admin" ;; esac
  [[ "${name}" =~ ^[a-z0-9][a-z0-9-]{0,62}$ ]] || die "name must be 1..63 of [a-z0-9-]"
  local dir="${pki}/clients/${role}/${name}" uri="spiffe://${DOMAIN}/${role}/${name}"
  private_dir "${pki}/clients"
  private_dir "${pki}/clients/${role}"
  issue "${pki}" "${dir}" "${name}" "${CLIENT_DAYS}" "$(cat <<EOF
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth
subjectAltName         = URI:${uri}
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
EOF
)"
  echo "client ${uri}: ${dir} (fingerprint $(cat "${dir}/fingerprint.sha256"))"
  echo "policy principal: {\"id\": \"${uri}\", \"role\": \"ROLE_${role^^}\", \"organisation\": \"...\"}"
}

cmd_server() {
  local pki="$1" dns="$2"
  shift 2
  [[ "${dns}" =~ ^[A-Za-z0-9.-]{1,253}$ ]] || die "not a DNS name: ${dns}"
  local san="DNS:${dns}" ip
  for ip in "$@"; do san="${san}, IP:${ip}"; done
  private_dir "${pki}/servers"
  issue "${pki}" "${pki}/servers/${dns}" "${dns}" "${SERVER_DAYS}" "$(cat <<EOF
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectAltName         = ${san}
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
EOF
)"
  echo "server ${dns}: ${pki}/servers/${dns}"
}

cmd_revoke() {
  local pki="$1" cert="$2" reason="${3:-keyCompromise}" pass
  [[ -f "${cert}" ]] || die "no certificate ${cert}"
  case "${reason}" in
    unspecified|keyCompromise|affiliationChanged|superseded|cessationOfOperation|certificateHold) ;;
    *) die "reason must be unspecified, keyCompromise, affiliationChanged, superseded, cessationOfOperation or certificateHold" ;;
  esac
  pass="$(pass_arg REGISTRY_PKI_ISSUING_PASS_FILE)"
  local args=(ca -config "${pki}/issuing/db/openssl.cnf" -revoke "${cert}" -crl_reason "${reason}")
  [[ -n "${pass}" ]] && args+=(-passin "${pass}")
  run_openssl "${args[@]}"
  cmd_crl "${pki}"
  echo "revoked $(openssl x509 -in "${cert}" -noout -serial); copy ${pki}/crl to every server's tls.crl_directory"
}

# New CRLs for both CAs (the root's only while its key is here), published into PKI/crl under
# the file names registryd and OpenSSL look up: <subject hash>.r0.
cmd_crl() {
  local pki="$1" kind dir pass_env pass
  private_dir "${pki}/crl"
  for kind in issuing root; do
    dir="${pki}/${kind}"
    [[ -f "${dir}/${kind}.pem" ]] || continue
    if [[ ! -f "${dir}/${kind}.key" ]]; then
      echo "${kind} CA key offline: its CRL is not renewed (${dir}/${kind}.crl stays)" >&2
    else
      pass_env="REGISTRY_PKI_ISSUING_PASS_FILE"
      [[ "${kind}" == root ]] && pass_env="REGISTRY_PKI_ROOT_PASS_FILE"
      pass="$(pass_arg "${pass_env}")"
      local days="${CRL_DAYS}"
      [[ "${kind}" == root ]] && days="${ROOT_CRL_DAYS}"
      local args=(ca -gencrl -config "${dir}/db/openssl.cnf" -crldays "${days}"
                  -out "${dir}/${kind}.crl.tmp")
      [[ -n "${pass}" ]] && args+=(-passin "${pass}")
      run_openssl "${args[@]}"
      mv -f -- "${dir}/${kind}.crl.tmp" "${dir}/${kind}.crl"
    fi
    [[ -f "${dir}/${kind}.crl" ]] || continue
    local hash
    hash="$(openssl x509 -in "${dir}/${kind}.pem" -noout -hash)"
    # Written whole under a temporary name, then renamed: registryd may read the folder meanwhile.
    cp -- "${dir}/${kind}.crl" "${pki}/crl/.${hash}.r0.tmp"
    mv -f -- "${pki}/crl/.${hash}.r0.tmp" "${pki}/crl/${hash}.r0"
  done
  echo "CRLs in ${pki}/crl (the issuing CA's valid ${CRL_DAYS} days, the root's ${ROOT_CRL_DAYS}: renew before they lapse, or registryd refuses every client)"
}

# A new key file, owned by OWNER with mode 0600, and the paper record the ceremony keeps: the
# key check value and key ids identify the key file without revealing it.
cmd_key_ceremony() {
  local registryd="$1" keyfile="$2" owner="$3"
  [[ -x "${registryd}" ]] || die "${registryd} is not an executable registryd"
  [[ -e "${keyfile}" ]] && die "${keyfile} exists: a key ceremony never overwrites a key file"
  id -u "${owner}" >/dev/null 2>&1 || die "no user ${owner}"
  local old_umask
  old_umask="$(umask)"
  umask 077
  "${registryd}" --generate_key_file "${keyfile}" >/dev/null
  umask "${old_umask}"
  chown "${owner}:" "${keyfile}"
  chmod 600 "${keyfile}"
  local record
  record="$("${registryd}" --key_file_record "${keyfile}")"
  cat <<EOF
==================== KJC REGISTRY KEY CEREMONY RECORD ====================
Date (UTC):        $(date -u +%Y-%m-%dT%H:%M:%SZ)
Host:              $(hostname)
Key file:          ${keyfile}
Owner and mode:    $(stat -c '%U %a' "${keyfile}")
${record}

Sign and keep with the registry's records. The check value identifies this key
file (registryd refuses a database written with another one); it reveals
nothing of the keys.
Officer: ______________________   Witness: ______________________
=========================================================================
EOF
}

[[ $# -ge 1 ]] || usage
command="$1"
shift
case "${command}" in
  init-root)    [[ $# -eq 1 ]] || usage; cmd_init_root "$1" ;;
  init-issuing) [[ $# -eq 1 ]] || usage; cmd_init_issuing "$1" ;;
  client)       [[ $# -eq 3 ]] || usage; cmd_client "$@" ;;
  server)       [[ $# -ge 2 ]] || usage; cmd_server "$@" ;;
  revoke)       [[ $# -ge 2 && $# -le 3 ]] || usage; cmd_revoke "$@" ;;
  crl)          [[ $# -eq 1 ]] || usage; cmd_crl "$1" ;;
  key-ceremony) [[ $# -eq 3 ]] || usage; cmd_key_ceremony "$@" ;;
  -h|--help|help) usage ;;
  *) usage ;;
esac
