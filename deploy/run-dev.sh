#!/usr/bin/env bash
# Development registry in one command: installs missing packages, builds Release into build/,
# creates the dev PKI (var/dev/pki), key file, policy and config once, and runs registryd in the
# foreground on 127.0.0.1:7443 with data under var/dev/data and metrics on
# http://127.0.0.1:9464/metrics. A second run reuses all of it. Ctrl-C stops it cleanly.
#
#   deploy/run-dev.sh [--fresh]
#
# --fresh starts an empty registry, as the README's walkthrough expects: the data, backups,
# erasure ledger and key file go (a new key file: a new audit log under a new key, which an
# auditor's client tells apart from the old one); the PKI, the policy and the config stay.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fresh=0
case "${1:-}" in
  "") ;;
  --fresh) fresh=1 ;;
  *) echo "usage: deploy/run-dev.sh [--fresh]" >&2; exit 2 ;;
esac
# shellcheck source=deploy/lib/packages.sh
source "$root/deploy/lib/packages.sh"

# No extra packages: only what the registry builds and runs with.
# shellcheck disable=SC2119
registry_ensure_packages
registry_build "$root" "$root/build" registryd registry-cli registry-console registry-bench

dev="$root/var/dev"
mkdir -p "$dev"
chmod 700 "$dev"
if [ "$fresh" = 1 ]; then
  rm -rf "$dev/data" "$dev/backups" "$dev/erasures.ledger" "$dev/audit.watermark" "$dev/crl.numbers" "$dev/keys.json"
fi
bash "$root/deploy/pki/dev-pki.sh" "$dev/pki"

if [ ! -f "$dev/keys.json" ]; then
  "$root/build/registryd" --generate_key_file "$dev/keys.json"
fi
if [ ! -f "$dev/policy.json" ]; then
  cp "$root/deploy/dev/policy.json" "$dev/policy.json"
fi
# registryd refuses a policy every local account may write (a checkout made under umask 000).
chmod o-w "$dev/policy.json"
if [ ! -f "$dev/registryd.json" ]; then
  cat > "$dev/registryd.json" <<JSON
{
  "listen_address": "127.0.0.1:7443",
  "tls": {
    "client_ca_file": "pki/ca/ca.pem",
    "cert_file": "pki/server/cert.pem",
    "key_file": "pki/server/key.pem",
    "crl_directory": "pki/crl"
  },
  "data_dir": "data",
  "backup_dir": "backups",
  "key_file": "keys.json",
  "policy_file": "policy.json",
  "reference_dir": "$root/deploy/reference",
  "metrics": {"listen_address": "127.0.0.1:9464"}
}
JSON
fi
"$root/build/registryd" --config "$dev/registryd.json" --export_public_keys "$dev" >/dev/null
"$root/build/registryd" --check_config "$dev/registryd.json"

cat <<TXT
Development registry: 127.0.0.1:7443
  metrics:      curl http://127.0.0.1:9464/metrics
  identities:   $dev/pki/{clerk,court,vetting,auditor,admin}
  public keys:  $dev/vetting.pub.pem (vetting certificates), $dev/audit.pub.pem (audit log)
  try:          build/registry-cli --identity var/dev/pki/clerk --server 127.0.0.1:7443 health
  console:      build/registry-console --identity var/dev/pki/clerk --server 127.0.0.1:7443
Ctrl-C stops it.
TXT
exec "$root/build/registryd" --config "$dev/registryd.json"
