#!/usr/bin/env bash
# Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/ from the readable
# sources beside this script (seeds/*.txtpb, protobuf text format) and from the repository's own
# files (deploy/). The corpora are committed; run this again after changing a source or a proto.
#   tests/fuzz/make_seeds.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$here/corpus"
rm -rf "$out"
mkdir -p "$out"

encode() {  # encode MESSAGE FILE: the binary protobuf of a text-format file
  protoc --encode="registry.v1.$1" -I "$root/proto" "$root"/proto/registry/v1/*.proto < "$2"
}
seed() {  # seed TARGET NAME: stdin into corpus/TARGET/NAME
  mkdir -p "$out/$1"
  cat > "$out/$1/$2"
}
s="$here/seeds"

# record_request_fuzzer: CreateRecordRequest bytes.
encode CreateRecordRequest "$s/create_record.txtpb" | seed record_request_fuzzer example
encode CreateRecordRequest "$s/create_record_bad.txtpb" | seed record_request_fuzzer bad-fields

# rpc_request_fuzzer: one byte for the method (the order of Methods() in rpc_request_fuzzer.cc),
# one for the caller (clerk 0, court 1, vetting 2, auditor 3, admin 4, stranger 5), the request.
rpc() {  # rpc NAME METHOD CALLER [MESSAGE FILE]
  { printf '%b' "\\x$(printf %02x "$2")\\x$(printf %02x "$3")"
    if [ $# -gt 3 ]; then encode "$4" "$5"; fi; } | seed rpc_request_fuzzer "$1"
}
rpc create 0 0 CreateRecordRequest "$s/create_record.txtpb"
rpc create-bad 0 0 CreateRecordRequest "$s/create_record_bad.txtpb"
rpc create-as-court 0 1 CreateRecordRequest "$s/create_record.txtpb"
rpc get 1 1 GetRecordRequest "$s/get_record.txtpb"
rpc get-stranger 1 5 GetRecordRequest "$s/get_record.txtpb"
rpc search 2 1 SearchRecordsRequest "$s/search_records.txtpb"
rpc amend 3 0 AmendRecordRequest "$s/amend_record.txtpb"
rpc history 4 1 GetRecordRequest "$s/get_record.txtpb"
rpc dispute 5 0 DisputeRecordRequest "$s/dispute_record.txtpb"
rpc resolve 6 0 DisputeRecordRequest "$s/dispute_record.txtpb"
rpc expunge 7 0 ExpungeRecordRequest "$s/expunge_record.txtpb"
rpc import 8 0 ImportRecordsRequest "$s/import_records.txtpb"
rpc vet 9 2 VettingCheckRequest "$s/vetting_check.txtpb"
rpc vet-as-clerk 9 0 VettingCheckRequest "$s/vetting_check.txtpb"
rpc vetting-key 10 2
rpc checks-about-person 11 0 ListChecksAboutPersonRequest "$s/list_checks.txtpb"
rpc list-audit 12 3 ListAuditEventsRequest "$s/list_audit.txtpb"
rpc stream-audit 13 3 StreamAuditEventsRequest "$s/stream_audit.txtpb"
rpc export-audit 14 3 ExportAuditEventsRequest "$s/export_audit.txtpb"
rpc head 15 3
rpc inclusion 16 3 GetInclusionProofRequest "$s/inclusion_proof.txtpb"
rpc consistency 17 3 GetConsistencyProofRequest "$s/consistency_proof.txtpb"
rpc audit-key 18 3
rpc pruned 19 3
rpc backups 20 4
rpc verify-data 21 4
rpc whoami 22 2
rpc reference 23 0
# A string field that is not UTF-8: gRPC refuses it before the gate (docs/bad-input.md).
{ printf '\x09\x02\x0a\x04\xff\xfe\xfd\xfc'; } | seed rpc_request_fuzzer vet-invalid-utf8

# envelope_fuzzer: a wrapped key's shape (version, nonce, ciphertext, tag) and noise.
{ printf '\x00\x00\x00\x02'; head -c 60 /dev/zero | tr '\0' 'k'; } | seed envelope_fuzzer wrapped-shape
printf 'not an envelope' | seed envelope_fuzzer text

# merkle_proof_fuzzer: an inclusion case, a consistency case, an arbitrary case.
printf '\x00\x07abcdefghijklmnopqrstu\x03\x00\x00\x01' | seed merkle_proof_fuzzer inclusion
printf '\x01\x0babcdefghijklmnopqrstuvwxyzabcdefgh\x05\x02\x03' | seed merkle_proof_fuzzer consistency
printf '\x02\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x01\x20' | seed merkle_proof_fuzzer absurd

# audit_verifier_fuzzer: a log of a few events, honest, with a previous state, with lies.
printf '\x05\x02ab\x02cd\x02ef\x02gh\x02ij\x01' | seed audit_verifier_fuzzer honest-full
printf '\x08\x01a\x01b\x01c\x01d\x01e\x01f\x01g\x01h\x01\x01\x04' | seed audit_verifier_fuzzer previous-state
printf '\x06\x01a\x01b\x01c\x01d\x01e\x01f\x01\x00\x00\x00\x02\x00\x00\x01\x00\x00' | seed audit_verifier_fuzzer lies

# vetting_certificate_fuzzer: a signed certificate, an edited one, and JSON of the file format.
printf '\x01\x0a1234abcdef\x05\x00\x0a\x0adev-school\x0a1234567890\x07Kerqeli\x05Arben\x0a1980-04-12\x07teacher\x02' \
  | seed vetting_certificate_fuzzer signed
printf '\x02\x0a1234abcdef\x05\x00\x0a\x0adev-school\x0a1234567890\x07Kerqeli\x05Arben\x0a1980-04-12\x07teacher\x02\x40\x00' \
  | seed vetting_certificate_fuzzer edited
{ printf '\x00'; printf '{"certificate": {"certificate_id": "1", "issued_at": "2026-11-28T10:00:00Z", "valid_until": "2027-02-26T10:00:00Z", "result": "VETTING_RESULT_CLEAR", "key_id": "0011223344556677"}, "signature": "AAAA"}'; } \
  | seed vetting_certificate_fuzzer json

# policy_json_fuzzer: the dev policy and a config.
seed policy_json_fuzzer dev-policy < "$root/deploy/dev/policy.json"
printf '%s' '{"listen_address": "127.0.0.1:7443", "tls": {"client_ca_file": "ca.pem", "cert_file": "cert.pem", "key_file": "key.pem", "crl_directory": "crl"}, "data_dir": "data", "key_file": "keys.json", "policy_file": "policy.json", "reference_dir": "reference", "audit": {"retention_days": 1095}, "unknown_callers": {"audited_per_minute": 10, "audited_burst": 20}}' \
  | seed policy_json_fuzzer config

# key_file_fuzzer: the shape of a key file (these keys are fuzz seeds, used nowhere else).
printf '%s' '{"keks": [{"version": 1, "key": "ERERERERERERERERERERERERERERERERERERERERERE=", "created_at": "2026-11-28T10:00:00Z"}, {"version": 2, "key": "IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI=", "created_at": "2026-11-29T10:00:00Z"}], "current_kek_version": 2, "derivation_root": "MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM="}' \
  | seed key_file_fuzzer two-keks

# reference_data_fuzzer: the reference tables, NUL-separated.
{ cat "$root/deploy/reference/offences.json"; printf '\0'; cat "$root/deploy/reference/courts.json";
  printf '\0'; cat "$root/deploy/reference/retention.json"; } | seed reference_data_fuzzer deploy

# import_fuzzer: the example imports.
seed import_fuzzer csv < "$root/deploy/examples/import.csv"
seed import_fuzzer jsonl < "$root/deploy/examples/import.jsonl"

# option_parser_fuzzer: a command index, then NUL-separated arguments.
printf '\x00--case-ref\0PKR 77/2026\0--purpose=criminal_proceedings\0ID' | seed option_parser_fuzzer options
printf '\x05--surname\0Krasniqi\0--offence\0a\0--offence\0b\0--\0--x' | seed option_parser_fuzzer repeated
printf '\xff--identity\0var/dev/pki/clerk\0record\0get' | seed option_parser_fuzzer global

echo "seed corpora in $out:"
for d in "$out"/*/; do echo "  $(basename "$d"): $(find "$d" -type f | wc -l)"; done
