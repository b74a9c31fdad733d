// Full audit-log verification as an auditor does it, timed against raw SHA-256 over the same bytes.
//
// VerifyWholeLog: GetAuditPublicKey and GetSignedTreeHead (signature checked), then, timed, the
// client's full verification as `registry-cli audit verify --full` does it (client::VerifyAuditLog
// over client::GrpcAuditLogSource): a signed head, StreamAuditBatches over the retained events,
// each event's bytes hashed with merkle::HashLeaf into a merkle::CompactRange as its batch
// arrives, the rebuilt root compared with the signed one. The same bytes are then fetched again
// (untimed) and hashed in this process without the network: once into a fresh CompactRange (the
// tree's own cost) and once with bare OpenSSL SHA-256, one digest per event (the floor: no
// verifier can hash every event with less). For comparison, the former way is timed too:
// StreamAuditEvents, one message per event with its decoded copy, hashed as it arrives.
//
//   ASSIGN_OR_RETURN(AuditVerifyResult r, VerifyWholeLog(channels.New("auditor")));
//   double ratio = r.verify_seconds / r.sha256_seconds;
#ifndef REGISTRY_BENCH_AUDIT_VERIFY_H_
#define REGISTRY_BENCH_AUDIT_VERIFY_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"

namespace registry::bench {

struct AuditVerifyResult {
  uint64_t events = 0;
  uint64_t bytes = 0;  // total event_bytes
  // The client's full verification (client::VerifyAuditLog with `full`, as `registry-cli audit
  // verify --full`): key, signed head and its signature, pruned prefix, StreamAuditBatches with
  // every event hashed onto the tree, root comparison.
  double verify_seconds = 0;
  // StreamAuditEvents (one message per event, with its decoded copy) over the same events,
  // each hashed onto a tree as it arrives: the former way.
  double legacy_stream_seconds = 0;
  // CPU time (user + system) spent during the timed full verification by the server (child mode
  // only) and by this process (client): on a shared machine, steadier than the wall time.
  std::optional<double> verify_server_cpu_seconds;
  std::optional<double> verify_client_cpu_seconds;
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
// `server_cpu` reads the server's CPU seconds so far (null or nullopt: not known).
absl::StatusOr<AuditVerifyResult> VerifyWholeLog(
    const std::shared_ptr<grpc::Channel>& auditor,
    const std::function<std::optional<double>()>& server_cpu = nullptr);

}  // namespace registry::bench

#endif  // REGISTRY_BENCH_AUDIT_VERIFY_H_
