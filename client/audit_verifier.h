// The auditor's check of the tamper-evident audit log (RFC 6962 Merkle tree with signed heads,
// security-design.md property 7), done with the client's own code:
//
//  1. fetch the latest signed tree head and verify its Ed25519 signature with the trusted audit
//     key: the one given (--public-key), else the one pinned in the state, else the server's own
//     key, pinned on first use (with a note to print);
//  2. if the state holds a previously verified head of size m, the new head of size n must extend
//     it: n < m is a truncation, the same size with another root a fork, and for n > m a
//     consistency proof m -> n must verify;
//  3. with `full`, download every event, check that entry i carries index i, hash the event bytes
//     into a tree and compare its root with the signed root; on a mismatch, find the first event
//     that does not match by binary search over prefix sizes k: the client's root of its first k
//     events must be consistent with the signed head (consistency proof k -> n); the smallest k
//     for which it is not means event k-1 is the first bad one.
//
// Only when everything verifies is a new state returned, for the caller to save.
//
//   GrpcAuditLogSource source(channel, settings);
//   ASSIGN_OR_RETURN(std::optional<AuditState> previous, LoadAuditState(path));
//   ASSIGN_OR_RETURN(AuditVerification result,
//                    VerifyAuditLog(source, previous, options, absl::Now()));
//   RETURN_IF_ERROR(SaveAuditState(path, result.state));
//
// Failures: DataLoss for every sign of tampering (bad signature, truncation, fork, a missing,
// reordered or edited event — the message names the event index); FailedPrecondition when the
// head is signed by another key than the trusted one; errors of the source pass through.
#ifndef REGISTRY_CLIENT_AUDIT_VERIFIER_H_
#define REGISTRY_CLIENT_AUDIT_VERIFIER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/audit_state.pb.h"
#include "registry/v1/audit.pb.h"
#include "registry/v1/vetting.pb.h"

namespace registry::client {

// The audit log as the verifier sees it: the AuditService calls it needs. Implemented over gRPC by
// GrpcAuditLogSource and in tests by an in-memory fake.
class AuditLogSource {
 public:
  virtual ~AuditLogSource() = default;

  virtual absl::StatusOr<v1::SignedTreeHead> GetSignedTreeHead() = 0;
  virtual absl::StatusOr<v1::ConsistencyProof> GetConsistencyProof(uint64_t first_size,
                                                                   uint64_t second_size) = 0;
  virtual absl::StatusOr<v1::InclusionProof> GetInclusionProof(uint64_t leaf_index,
                                                               uint64_t tree_size) = 0;
  // Calls on_entry for the entries [start, end) in the order the log sends them; stops early
  // and returns on_entry's error when it returns one. `end` is > start.
  virtual absl::Status StreamEvents(
      uint64_t start, uint64_t end,
      const std::function<absl::Status(const v1::AuditEntry&)>& on_entry) = 0;
  virtual absl::StatusOr<v1::PublicKey> GetAuditPublicKey() = 0;
};

struct AuditVerifyOptions {
  // The audit public key as PEM (--public-key). nullopt: the pinned key, else trust on first use.
  std::optional<std::string> public_key_pem;
  // Download and check every event (--full).
  bool full = false;
};

struct AuditVerification {
  // The state to save: the head just verified and the trusted key.
  AuditState state;
  // Things the user should know although nothing failed (e.g. a key trusted on first use).
  std::vector<std::string> notes;
};

// Runs the checks described above. `previous` is the saved state, if any; `now` is stamped into
// the new state.
absl::StatusOr<AuditVerification> VerifyAuditLog(AuditLogSource& source,
                                                 const std::optional<AuditState>& previous,
                                                 const AuditVerifyOptions& options,
                                                 absl::Time now);

// $HOME/.registry-cli/audit-state.json. FailedPrecondition when HOME is not set.
absl::StatusOr<std::string> DefaultAuditStatePath();

// Reads a state file: nullopt when it does not exist; InvalidArgument when it is not an
// AuditState in JSON; the read error otherwise.
absl::StatusOr<std::optional<AuditState>> LoadAuditState(absl::string_view path);

// Writes the state as JSON with mode 0600, creating its folder with mode 0700 when missing.
absl::Status SaveAuditState(absl::string_view path, const AuditState& state);

}  // namespace registry::client

#endif  // REGISTRY_CLIENT_AUDIT_VERIFIER_H_
