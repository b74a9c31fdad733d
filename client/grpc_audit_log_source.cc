#include "client/grpc_audit_log_source.h"

#include "absl/strings/str_cat.h"

namespace registry::client {

GrpcAuditLogSource::GrpcAuditLogSource(const std::shared_ptr<grpc::Channel>& channel,
                                       const ConnectionSettings& settings)
    : stub_(v1::AuditService::NewStub(channel)), settings_(settings) {}

absl::StatusOr<v1::SignedTreeHead> GrpcAuditLogSource::GetSignedTreeHead() {
  return CallUnary<v1::SignedTreeHead>(
      settings_, [&](grpc::ClientContext* context, v1::SignedTreeHead* response) {
        return stub_->GetSignedTreeHead(context, v1::GetSignedTreeHeadRequest(), response);
      });
}

absl::StatusOr<v1::ConsistencyProof> GrpcAuditLogSource::GetConsistencyProof(
    uint64_t first_size, uint64_t second_size) {
  v1::GetConsistencyProofRequest request;
  request.set_first_size(first_size);
  request.set_second_size(second_size);
  return CallUnary<v1::ConsistencyProof>(
      settings_, [&](grpc::ClientContext* context, v1::ConsistencyProof* response) {
        return stub_->GetConsistencyProof(context, request, response);
      });
}

absl::StatusOr<v1::InclusionProof> GrpcAuditLogSource::GetInclusionProof(uint64_t leaf_index,
                                                                         uint64_t tree_size) {
  v1::GetInclusionProofRequest request;
  request.set_leaf_index(leaf_index);
  request.set_tree_size(tree_size);
  return CallUnary<v1::InclusionProof>(
      settings_, [&](grpc::ClientContext* context, v1::InclusionProof* response) {
        return stub_->GetInclusionProof(context, request, response);
      });
}

absl::Status GrpcAuditLogSource::StreamEvents(
    uint64_t start, uint64_t end,
    const std::function<absl::Status(const v1::AuditEntry&)>& on_entry) {
  if (end <= start) {
    // The API reads end_index 0 as "the current size": never send it by accident.
    return absl::InvalidArgumentError(absl::StrCat("empty event range [", start, ", ", end, ")"));
  }
  v1::StreamAuditEventsRequest request;
  request.set_start_index(start);
  request.set_end_index(end);
  grpc::ClientContext context;
  PrepareContext(settings_, &context);
  std::unique_ptr<grpc::ClientReader<v1::AuditEntry>> reader =
      stub_->StreamAuditEvents(&context, request);
  v1::AuditEntry entry;
  while (reader->Read(&entry)) {
    absl::Status handled = on_entry(entry);
    if (!handled.ok()) {
      context.TryCancel();
      reader->Finish();  // the cancelled status says nothing new
      return handled;
    }
  }
  return ToAbslStatus(reader->Finish());
}

absl::StatusOr<v1::PublicKey> GrpcAuditLogSource::GetAuditPublicKey() {
  return CallUnary<v1::PublicKey>(
      settings_, [&](grpc::ClientContext* context, v1::PublicKey* response) {
        return stub_->GetAuditPublicKey(context, v1::GetAuditPublicKeyRequest(), response);
      });
}

absl::StatusOr<v1::PrunedPrefix> GrpcAuditLogSource::GetPrunedPrefix() {
  return CallUnary<v1::PrunedPrefix>(
      settings_, [&](grpc::ClientContext* context, v1::PrunedPrefix* response) {
        return stub_->GetPrunedPrefix(context, v1::GetPrunedPrefixRequest(), response);
      });
}

}  // namespace registry::client
