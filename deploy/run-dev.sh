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
# What this script makes from here on (the build, the PKI, the key file, the config, the data)
# is this account's alone, whatever the shell's umask: registryd refuses what it trusts or keeps
# when every local account may change it, and a checkout made under umask 000 gave all of it
# mode 0666 or 0777. (Set after the packages: sudo would give apt the union of both umasks.)
umask 077

# registryd also refuses a file below a folder every account may write without the sticky bit
# (they may put their own file in its place): the folders above the checkout are the owner's to
# mend, not this script's.
dir="$root"
while :; do
  if [ -n "$(find -H "$dir" -maxdepth 0 -perm -o+w ! -perm -1000)" ]; then
    echo "run-dev: $dir is writable by every local account, and registryd refuses the files" \
      "below it; run: chmod o-w '$dir' (then run deploy/run-dev.sh again)" >&2
    exit 1
  fi
  [ "$dir" = / ] && break
  dir="$(dirname "$dir")"
done
# Inside the checkout, what registryd reads from it: the reference data (the retention rules)
# stays where the config names it, in the checkout, with write taken from others (git keeps no
# such bit, so the checkout is unchanged); a copy in var/dev would go stale as the sources change.
chmod o-w "$root/deploy"
chmod -R o-w "$root/deploy/reference"

registry_build "$root" "$root/build" registryd registry-cli registry-console registry-bench

dev="$root/var/dev"
mkdir -p "$dev"
# var/ too, which an earlier run may have made under another umask.
chmod o-w "$root/var"
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
# What an earlier run made under another umask (a config, a policy, a PKI at 0666): registryd
# refuses every file of it that all local accounts may write.
chmod -R o-w "$dev"
"$root/build/registryd" --config "$dev/registryd.json" --export_public_keys "$dev" >/dev/null
"$root/build/registryd" --check_config "$dev/registryd.json"

# The addresses as the config gives them (one kept from an earlier run may have others): the
# metrics' from its own object, the registry's from the rest.
config_text="$(tr -d '\n' < "$dev/registryd.json")"
address_in() {
  { grep -o '"listen_address"[[:space:]]*:[[:space:]]*"[^"]*"' || true; } | head -n 1 |
    sed 's/.*"\([^"]*\)"$/\1/'
}
metrics_object="$(grep -o '"metrics"[[:space:]]*:[[:space:]]*{[^}]*}' <<<"$config_text" || true)"
# shellcheck disable=SC2001  # a regular expression, which ${var//x/y} does not take
listen="$(sed 's/"metrics"[[:space:]]*:[[:space:]]*{[^}]*}//' <<<"$config_text" | address_in)"
metrics="$(address_in <<<"$metrics_object")"
listen="${listen:-127.0.0.1:7443}"
if [ -n "$metrics" ]; then
  metrics_line="curl http://$metrics/metrics"
else
  metrics_line="off (no metrics.listen_address in $dev/registryd.json)"
fi

cat <<TXT
Development registry: $listen
  metrics:      $metrics_line
  identities:   $dev/pki/{clerk,court,vetting,auditor,admin}
  public keys:  $dev/vetting.pub.pem (vetting certificates), $dev/audit.pub.pem (audit log)
  try:          build/registry-cli --identity var/dev/pki/clerk --server $listen health
  console:      build/registry-console --identity var/dev/pki/clerk --server $listen
Ctrl-C stops it.
TXT
exec "$root/build/registryd" --config "$dev/registryd.json"
