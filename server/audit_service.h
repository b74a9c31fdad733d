// AuditService: the auditor's window on the log — events with filters and paging, export, signed
// tree heads and RFC 9162 proofs. Never returns record contents; only auditors may call it.
#ifndef REGISTRY_SERVER_AUDIT_SERVICE_H_
#define REGISTRY_SERVER_AUDIT_SERVICE_H_

#include <optional>
#include <string>

#include "crypto/ed25519.h"
#include "registry/v1/audit.grpc.pb.h"
#include "server/bytes_served.h"
#include "server/call_gate.h"
#include "server/metrics.h"
#include "storage/audit_log.h"
#include "storage/record_store.h"

namespace registry::server {

class AuditService final : public BytesServed<registry::v1::AuditService> {
 public:
  // None owned; each must outlive the service. `log_id` is the log's name signed into every tree
  // head (storage/audit_log_id.h).
  // `metrics` counts signed heads; may be null.
  // `records` tells whether a record id a filter names is a stored record's, for the event.
  AuditService(CallGate* gate, const storage::AuditLog* audit, const storage::RecordStore* records,
               const crypto::Ed25519Signer* signer, std::string log_id, Metrics* metrics)
      : BytesServed(gate), d_{gate, audit, records, signer, std::move(log_id), metrics} {
    ServeAsBytes(&AuditService::ListAuditEvents);
    ServeAsBytes(&AuditService::StreamAuditEventsTo);
    ServeAsBytes(&AuditService::StreamAuditBatchesTo);
    ServeAsBytes(&AuditService::ExportAuditEventsTo);
    ServeAsBytes(&AuditService::GetSignedTreeHead);
    ServeAsBytes(&AuditService::GetInclusionProof);
    ServeAsBytes(&AuditService::GetConsistencyProof);
    ServeAsBytes(&AuditService::GetAuditPublicKey);
    ServeAsBytes(&AuditService::GetPrunedPrefix);
  }

  grpc::Status ListAuditEvents(grpc::ServerContext* ctx,
                               const registry::v1::ListAuditEventsRequest* req,
                               registry::v1::ListAuditEventsResponse* resp) override;
  // The three streams: served in the place of the generated StreamAuditEvents,
  // StreamAuditBatches and ExportAuditEvents (server/bytes_served.h).
  grpc::Status StreamAuditEventsTo(grpc::ServerContext* ctx,
                                   const registry::v1::StreamAuditEventsRequest* req,
                                   ReplyWriter<registry::v1::AuditEntry>* writer);
  grpc::Status StreamAuditBatchesTo(grpc::ServerContext* ctx,
                                    const registry::v1::StreamAuditBatchesRequest* req,
                                    ReplyWriter<registry::v1::AuditBatch>* writer);
  grpc::Status ExportAuditEventsTo(grpc::ServerContext* ctx,
                                   const registry::v1::ExportAuditEventsRequest* req,
                                   ReplyWriter<registry::v1::AuditEntry>* writer);
  grpc::Status GetSignedTreeHead(grpc::ServerContext* ctx,
                                 const registry::v1::GetSignedTreeHeadRequest* req,
                                 registry::v1::SignedTreeHead* resp) override;
  grpc::Status GetInclusionProof(grpc::ServerContext* ctx,
                                 const registry::v1::GetInclusionProofRequest* req,
                                 registry::v1::InclusionProof* resp) override;
  grpc::Status GetConsistencyProof(grpc::ServerContext* ctx,
                                   const registry::v1::GetConsistencyProofRequest* req,
                                   registry::v1::ConsistencyProof* resp) override;
  grpc::Status GetAuditPublicKey(grpc::ServerContext* ctx,
                                 const registry::v1::GetAuditPublicKeyRequest* req,
                                 registry::v1::PublicKey* resp) override;
  grpc::Status GetPrunedPrefix(grpc::ServerContext* ctx,
                               const registry::v1::GetPrunedPrefixRequest* req,
                               registry::v1::PrunedPrefix* resp) override;

 private:
  // Sends every event in [start, end) matching `filter` to `writer`, after the call's own event
  // is durable; with no start, from the first event not deleted by audit retention. With
  // `bytes_only`, without each event's decoded copy.
  absl::Status StreamEntries(Call& call, const registry::v1::AuditFilter& filter,
                             std::optional<uint64_t> start, uint64_t end, bool bytes_only,
                             ReplyWriter<registry::v1::AuditEntry>* writer);

  struct Deps {
    CallGate* gate;
    const storage::AuditLog* audit;
    const storage::RecordStore* records;
    const crypto::Ed25519Signer* audit_signer;
    std::string audit_log_id;
    Metrics* metrics;
  };
  const Deps d_;
};

// What one AuditBatch of StreamAuditBatches holds at most: event bytes (an event larger than this
// goes alone) and events. Bounds the server's buffer and the client's per message.
inline constexpr size_t kAuditBatchMaxBytes = 256 * 1024;
inline constexpr int kAuditBatchMaxEvents = 4096;


}  // namespace registry::server

#endif  // REGISTRY_SERVER_AUDIT_SERVICE_H_
