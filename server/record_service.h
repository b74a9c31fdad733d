// RecordService: clerks enter, correct, dispute, expunge and import final convictions; courts and
// clerks read and search them. Every method runs through the CallGate.
//
// ImportRecords takes its request as bytes (gRPC's streamed-unary handler, one message each way,
// the same on the wire) and decodes it itself, as VettingCheck does: a request gRPC could not
// decode reaches no handler, and gRPC keeps its bytes from the decode guard
// (server/decode_guard.h), which then cannot say which row holds the string that is not UTF-8.
// From the bytes, the refusal names it: "rows[3].record.person.surname: not valid UTF-8" rather
// than one of up to 1,000 rows. A request that never arrives (none sent, or one over the
// transport's 8 MiB limit) is refused and audited once by the decode guard, since the call
// exists.
//
// AmendRecord's update_mask names whole parts ("person", "conviction") or fields of them, each as
// field names joined by single dots, never an output-only field (an offence's title, the court's
// name). AmendRecord names every bad field of the request (record id, mask path by index,
// reason) in one INVALID_ARGUMENT, as CreateRecord does through RecordValidator.
#ifndef REGISTRY_SERVER_RECORD_SERVICE_H_
#define REGISTRY_SERVER_RECORD_SERVICE_H_

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/sync_stream.h"
#include "registry/v1/records.grpc.pb.h"
#include "common/clock.h"
#include "server/bytes_served.h"
#include "server/call_gate.h"
#include "server/decode_guard.h"
#include "server/eraser.h"
#include "server/record_validation.h"
#include "server/reference_data.h"
#include "storage/record_store.h"

namespace registry::server {

class RecordService final : public BytesServed<registry::v1::RecordService> {
 public:
  // None owned; each must outlive the service. The eraser carries out expunges (the record, its
  // checks' results, the erasure ledger); the reference data and the validator check what
  // clerks enter and date it. `trust_clock_for_erasure` says whether erasing by the clock's
  // day is safe (RegistryServer::TrustClockForErasure), as the retention run asks.
  RecordService(CallGate* gate, storage::RecordStore* records, Eraser* eraser,
                const ReferenceData* reference, const RecordValidator* validator,
                const Clock* clock, std::function<absl::Status()> trust_clock_for_erasure)
      : BytesServed(gate),
        d_{gate, records, eraser, reference, validator, clock, std::move(trust_clock_for_erasure)} {
    ServeAsBytes(&RecordService::CreateRecord);
    ServeAsBytes(&RecordService::GetRecord);
    ServeAsBytes(&RecordService::SearchRecords);
    ServeAsBytes(&RecordService::AmendRecord);
    ServeAsBytes(&RecordService::GetRecordHistory);
    ServeAsBytes(&RecordService::DisputeRecord);
    ServeAsBytes(&RecordService::ResolveDispute);
    ServeAsBytes(&RecordService::ExpungeRecord);
    ServeAsBytes(&RecordService::ImportRecords);
  }

  grpc::Status CreateRecord(grpc::ServerContext* ctx, const registry::v1::CreateRecordRequest* req,
                            registry::v1::CreateRecordResponse* resp) override;
  grpc::Status GetRecord(grpc::ServerContext* ctx, const registry::v1::GetRecordRequest* req,
                         registry::v1::GetRecordResponse* resp) override;
  grpc::Status SearchRecords(grpc::ServerContext* ctx,
                             const registry::v1::SearchRecordsRequest* req,
                             registry::v1::SearchRecordsResponse* resp) override;
  grpc::Status AmendRecord(grpc::ServerContext* ctx, const registry::v1::AmendRecordRequest* req,
                           registry::v1::AmendRecordResponse* resp) override;
  grpc::Status GetRecordHistory(grpc::ServerContext* ctx,
                                const registry::v1::GetRecordHistoryRequest* req,
                                registry::v1::GetRecordHistoryResponse* resp) override;
  grpc::Status DisputeRecord(grpc::ServerContext* ctx,
                             const registry::v1::DisputeRecordRequest* req,
                             registry::v1::RecordStatusResponse* resp) override;
  grpc::Status ResolveDispute(grpc::ServerContext* ctx,
                              const registry::v1::ResolveDisputeRequest* req,
                              registry::v1::RecordStatusResponse* resp) override;
  grpc::Status ExpungeRecord(grpc::ServerContext* ctx,
                             const registry::v1::ExpungeRecordRequest* req,
                             registry::v1::ExpungeRecordResponse* resp) override;
  grpc::Status ImportRecords(grpc::ServerContext* ctx,
                             const registry::v1::ImportRecordsRequest* req,
                             registry::v1::ImportRecordsResponse* resp) override;

  // Expunges one record as the retention scheduler (actor "system:retention"), audited. Used by
  // RegistryServer's scheduler, which then compacts once for the whole run
  // (storage::RecordStore::CompactAfterErasure) so the bytes leave the files.
  absl::Status ExpungeAsSystem(absl::string_view record_id, absl::string_view legal_basis);

  // When the retention rules (retention.json, the offences' minimums) differ from those the
  // stored dates were computed with, recomputes every record's own dates from its conviction and
  // the dates in force of every person, in batches, each committed with a system event (actor
  // "system:retention-rules", the records it re-dated); the last batch records the rules'
  // fingerprint. Start-up runs it before serving. Returns how many records changed.
  absl::StatusOr<int> RecomputeDatesIfRulesChanged();

 private:
  // Sets the output-only names from the reference tables: each offence's title, the court's
  // name.
  void AddReferenceNames(registry::v1::Record* record) const;
  // Metadata for a new version of `conviction`, from the retention rules.
  absl::StatusOr<storage::VersionMeta> MetaFor(const Call& call,
                                               const registry::v1::Conviction& conviction) const;
  absl::StatusOr<storage::VersionMeta> MetaFor(absl::string_view actor, absl::Time now,
                                               const registry::v1::Conviction& conviction) const;
  // Prepares a new version of `record_id` (at `expected_version`; 0: whichever is current):
  // `change` edits the record, or refuses with the status the call answers; the version then
  // takes its dates from the record's conviction and `reason` as its reason.
  // `existing_id` as RecordStore::PrepareChange.
  absl::StatusOr<storage::PendingWrite> PrepareVersion(
      const Call& call, absl::string_view record_id, uint32_t expected_version,
      absl::string_view reason, const std::function<absl::Status(registry::v1::Record*)>& change,
      std::string* existing_id = nullptr) const;
  // After an expunge: erases, as the retention run would, each other record of the person
  // (`personal_number_token`) that the erased conviction kept and that is now past its
  // delete_after, each with its own system event, before the clerk's answer. Not while the clock
  // is not trusted for erasure: the retention run holds them then too. Returns the ids it erased,
  // for the answer (the clerk must learn that they went too). With `only` (the set the clerk
  // confirmed), none outside it: those are left to the retention run.
  std::vector<std::string> EraseRecordsLeftDue(absl::string_view personal_number_token,
                                               absl::Time now,
                                               const std::set<std::string>* only = nullptr);
  // The person's other records that the prepared `expunge` would erase with it (those it leaves
  // due), as the dry run names them and as a confirmed expunge compares them: none while the
  // clock is not trusted for erasure.
  absl::StatusOr<std::vector<std::string>> ErasedWith(absl::string_view personal_number_token,
                                                      absl::Time now,
                                                      const storage::PendingWrite& expunge) const;
  // Names `ids` in the answer as erased with the expunged record (its retention had kept them).
  static void AddErasedWith(const std::vector<std::string>& ids,
                            registry::v1::ExpungeRecordResponse* resp);
  absl::Status SetStatus(Call& call, absl::string_view record_id, absl::string_view reason,
                         registry::v1::RecordStatus from, registry::v1::RecordStatus to,
                         registry::v1::RecordStatusResponse* resp);

  struct Deps {
    CallGate* gate;
    storage::RecordStore* records;
    Eraser* eraser;
    const ReferenceData* reference;
    const RecordValidator* validator;
    const Clock* clock;
    std::function<absl::Status()> trust_clock_for_erasure;
  };
  const Deps d_;
};

}  // namespace registry::server

#endif  // REGISTRY_SERVER_RECORD_SERVICE_H_
