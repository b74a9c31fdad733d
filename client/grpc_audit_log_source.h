// The audit log as served by registryd's AuditService, for the verifier (audit_verifier.h).
//
//   GrpcAuditLogSource source(channel, settings);
//   ASSIGN_OR_RETURN(AuditVerification result, VerifyAuditLog(source, previous, options, now));
#ifndef REGISTRY_CLIENT_GRPC_AUDIT_LOG_SOURCE_H_
#define REGISTRY_CLIENT_GRPC_AUDIT_LOG_SOURCE_H_

#include <memory>

#include "client/audit_verifier.h"
#include "client/connection.h"
#include "grpcpp/channel.h"
#include "registry/v1/audit.grpc.pb.h"

namespace registry::client {

// Each method is one call with the settings' deadline and request id; a failed call returns its
// status converted by ToAbslStatus. Not thread-safe.
//
// StreamEvents uses StreamAuditBatches (many events per message, bytes only) and receives the
// next batches on a second thread while on_entry runs, at most a few batches ahead (a bounded
// amount of memory, whatever the log sends). Each entry handed to on_entry carries the index and
// the bytes only; the indices are the batch's first_index onwards, for the verifier to check.
class GrpcAuditLogSource final : public AuditLogSource {
 public:
  GrpcAuditLogSource(const std::shared_ptr<grpc::Channel>& channel,
                     const ConnectionSettings& settings);

  absl::StatusOr<v1::SignedTreeHead> GetSignedTreeHead() override;
  absl::StatusOr<v1::ConsistencyProof> GetConsistencyProof(uint64_t first_size,
                                                           uint64_t second_size) override;
  absl::StatusOr<v1::InclusionProof> GetInclusionProof(uint64_t leaf_index,
                                                       uint64_t tree_size) override;
  absl::Status StreamEvents(
      uint64_t start, uint64_t end,
      const std::function<absl::Status(const v1::AuditEntry&)>& on_entry) override;
  absl::StatusOr<v1::PublicKey> GetAuditPublicKey() override;
  absl::StatusOr<v1::PrunedPrefix> GetPrunedPrefix() override;

 private:
  std::unique_ptr<v1::AuditService::Stub> stub_;
  const ConnectionSettings settings_;
};

}  // namespace registry::client

#endif  // REGISTRY_CLIENT_GRPC_AUDIT_LOG_SOURCE_H_
