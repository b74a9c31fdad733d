# shellcheck shell=bash
# What dev-pki.sh and registry-pki.sh do alike: run openssl, make private folders and EC keys, keep
# an `openssl ca` database and its configuration, sign leaf certificates and take their
# fingerprints. Both scripts source this file from their own folder (it is installed beside
# registry-pki.sh); each defines `die MESSAGE` first, in its own wording, for the errors here.

# Runs openssl with its chatter captured; on failure shows it and stops.
run_openssl() {
  local log
  if ! log="$(openssl "$@" 2>&1)"; then
    printf '%s\n' "${log}" >&2
    die "openssl $1 failed"
  fi
}

private_dir() {  # private_dir DIR: DIR and its parents exist, DIR mode 0700
  mkdir -p -- "$1"
  chmod 700 -- "$1"
}

# A new EC private key on CURVE, readable by its owner only; the options (a cipher and
# passphrase) go to `openssl genpkey`.
new_ec_key() {  # new_ec_key FILE CURVE [genpkey options...]
  local file="$1" curve="$2"
  shift 2
  run_openssl genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:${curve}" "$@" -out "${file}"
  chmod 600 -- "${file}"
}

# The `openssl ca` database of the CA in DIR, in DIR/db; what is already there is kept.
ca_db() {  # ca_db DIR
  private_dir "$1/db"
  private_dir "$1/db/newcerts"
  [[ -f "$1/db/index.txt" ]] || : >"$1/db/index.txt"
  [[ -f "$1/db/crlnumber" ]] || echo 1000 >"$1/db/crlnumber"
}

# Prints the [ca] section and the CA section NAME of an openssl configuration for the CA in DIR:
# certificate DIR/STEM.pem, key DIR/STEM.key, database DIR/db (see ca_db), CRL extensions in the
# section crl_ext that the caller writes.
#   ca_section NAME DIR STEM DIGEST DEFAULT_DAYS CRL_DAYS POLICY PRESERVE
# DIGEST signs what the CA issues; an empty DEFAULT_DAYS leaves every certificate's validity to
# its `openssl ca` call; POLICY names the section of rules for subject names; PRESERVE (yes or
# no) keeps a request's order of subject names.
ca_section() {
  local name="$1" dir="$2" stem="$3" digest="$4" days="$5" crl_days="$6" policy="$7"
  local preserve="$8"
  cat <<EOF
[ca]
default_ca = ${name}

[${name}]
dir              = ${dir}
database         = \$dir/db/index.txt
new_certs_dir    = \$dir/db/newcerts
certificate      = \$dir/${stem}.pem
private_key      = \$dir/${stem}.key
crlnumber        = \$dir/db/crlnumber
rand_serial      = yes
default_md       = ${digest}
EOF
  [[ -z "${days}" ]] || echo "default_days     = ${days}"
  cat <<EOF
default_crl_days = ${crl_days}
policy           = ${policy}
unique_subject   = no
copy_extensions  = none
email_in_dn      = no
preserve         = ${preserve}
crl_extensions   = crl_ext
EOF
}

# Signs the request DIR/csr.pem with the CA of openssl configuration CONFIG into DIR/cert.pem,
# with EXTENSIONS (the body of an extension section) and the options given to `openssl ca`; the
# request and the extension file are removed afterwards.
sign_request() {  # sign_request DIR CONFIG EXTENSIONS [openssl ca options...]
  local dir="$1" config="$2" extensions="$3"
  shift 3
  printf '[leaf_ext]\n%s\n' "${extensions}" >"${dir}/ext.cnf"
  run_openssl ca -batch -notext -config "${config}" -extfile "${dir}/ext.cnf" \
    -extensions leaf_ext -in "${dir}/csr.pem" -out "${dir}/cert.pem" "$@"
  rm -f -- "${dir}/csr.pem" "${dir}/ext.cnf"
}

# DIR/fingerprint.sha256: the lowercase hex SHA-256 of DIR/cert.pem's DER, as the policy's deny
# list names a certificate.
write_fingerprint() {  # write_fingerprint DIR
  openssl x509 -in "$1/cert.pem" -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1 \
    >"$1/fingerprint.sha256"
}
