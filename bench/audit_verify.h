// Full audit-log verification as an auditor does it, timed against raw SHA-256 over the same bytes.
//
// VerifyWholeLog: GetAuditPublicKey, GetSignedTreeHead (signature checked), then
// StreamAuditEvents over [0, tree_size): every event_bytes is hashed with merkle::HashLeaf into a
// merkle::CompactRange, and the rebuilt root is compared with the signed head's root. The same
// bytes are then hashed again in this process, without the network: once into a fresh
// CompactRange (the tree's own cost) and once with bare OpenSSL SHA-256, one digest per event
// (the floor: no verifier can hash every event with less).
//
//   ASSIGN_OR_RETURN(AuditVerifyResult r, VerifyWholeLog(channels.New("auditor")));
//   double ratio = r.verify_seconds / r.sha256_seconds;
#ifndef REGISTRY_BENCH_AUDIT_VERIFY_H_
#define REGISTRY_BENCH_AUDIT_VERIFY_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"

namespace registry::bench {

struct AuditVerifyResult {
  uint64_t events = 0;
  uint64_t bytes = 0;  // total event_bytes
  // Head + signature check + stream + HashLeaf/CompactRange + root comparison.
  double verify_seconds = 0;
  // The same Merkle rebuild over bytes already in memory.
  double tree_seconds = 0;
  // OpenSSL SHA-256, one digest per event, over bytes in memory.
  double sha256_seconds = 0;
  // OpenSSL SHA-256 over all the bytes as one message (the hash's pure throughput).
  double sha256_concat_seconds = 0;
  bool signature_ok = false;
  bool root_matches = false;
};

// Fails when a call fails or the stream is out of order; a root mismatch or bad signature is
// reported in the result (and fails the smoke run), not as an error.
absl::StatusOr<AuditVerifyResult> VerifyWholeLog(const std::shared_ptr<grpc::Channel>& auditor);

}  // namespace registry::bench

#endif  // REGISTRY_BENCH_AUDIT_VERIFY_H_
