#include "server/data_check.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "registry/v1/audit.pb.h"
#include "registry/v1/records.pb.h"
#include "server/method_table.h"

namespace registry::server {
namespace {

// The values of the rows KeepRecordFacts writes.
constexpr char kCreatedFact[] = "created";
constexpr char kErasedFact[] = "erased";

// What one event says of the records it names: created, erased, or nothing.
enum class RecordFact { kNone, kCreated, kErased };

RecordFact FactOf(const registry::v1::AuditEvent& event) {
  if (event.outcome() != 0) return RecordFact::kNone;
  namespace v1 = registry::v1;
  if (event.action() == ActionOf(v1::CreateRecordRequest::descriptor()) ||
      event.action() == ActionOf(v1::ImportRecordsRequest::descriptor())) {
    return RecordFact::kCreated;
  }
  if (event.action() == ActionOf(v1::ExpungeRecordRequest::descriptor())) return RecordFact::kErased;
  return RecordFact::kNone;
}

// Reads what the audit log says of records into created/erased (and its own problems into
// report): the facts kept from pruned events, then the retained events. A pruning that commits in
// between would leave out the facts of the events it deletes; every pruning moves the boundary,
// so an unchanged boundary around both reads means they saw the log at the same point.
absl::Status ReadRecordFacts(const storage::AuditLog& audit, storage::DataCheckReport* report,
                             absl::flat_hash_set<std::string>* created,
                             absl::flat_hash_set<std::string>* erased) {
  constexpr int kAttempts = 3;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    *report = storage::DataCheckReport();
    created->clear();
    erased->clear();
    const uint64_t boundary = audit.CurrentPruned().size;
    RETURN_IF_ERROR(audit.ScanPrunedFacts([&](absl::string_view id, absl::string_view fact) {
      if (fact == kCreatedFact) {
        created->insert(std::string(id));
      } else if (fact == kErasedFact) {
        erased->insert(std::string(id));
      } else {
        report->Add(absl::StrCat("audit retention's record of ", id, ": damaged"));
      }
    }));
    // The events are believed only as far as they hash, from the left edge at the boundary, to
    // the root of the tree state the log authenticated when it opened (audit_log.h): a create
    // or expunge event edited, dropped or forged in the folder is a problem, not a fact.
    const storage::AuditLog::Head head = audit.CurrentHead();
    const uint64_t size = head.size;
    absl::StatusOr<crypto::merkle::CompactRange> range = audit.FrontierAt(boundary);
    if (!range.ok()) {
      report->Add(absl::StrCat("audit log: left edge at ", boundary, " unreadable"));
    }
    const absl::Status scanned =
        audit.ScanRetained(size, [&](uint64_t index, absl::string_view bytes) {
          ++report->audit_events;
          if (range.ok()) range->Append(crypto::merkle::HashLeaf(bytes), {});
          registry::v1::AuditEvent event;
          if (!event.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
            report->Add(absl::StrCat("audit event ", index, ": does not decode"));
            return true;
          }
          switch (FactOf(event)) {
            case RecordFact::kCreated:
              for (const std::string& id : event.record_ids()) {
                created->insert(id);
                erased->erase(id);
              }
              break;
            case RecordFact::kErased:
              for (const std::string& id : event.record_ids()) {
                created->erase(id);
                erased->insert(id);
              }
              break;
            case RecordFact::kNone:
              break;
          }
          return true;
        }, storage::BlockCache::kBypass);
    if (audit.CurrentPruned().size != boundary) continue;
    if (scanned.ok() && range.ok() && range->Root() != head.root) {
      report->Add(absl::StrCat("audit log: events ", boundary, "..", size,
                               " do not hash to the authenticated root"));
    }
    return scanned;
  }
  return absl::UnavailableError("audit retention kept pruning during the data check; run it again");
}

}  // namespace

void KeepRecordFacts(const registry::v1::AuditEvent& event,
                     storage::AuditLog::PrunedFacts* facts) {
  const RecordFact fact = FactOf(event);
  if (fact == RecordFact::kNone) return;
  for (const std::string& id : event.record_ids()) {
    facts->Put(id, fact == RecordFact::kCreated ? kCreatedFact : kErasedFact);
  }
}

absl::StatusOr<storage::DataCheckReport> CheckData(const storage::RecordStore& records,
                                                   const storage::AuditLog& audit,
                                                   const storage::ErasureLedger& ledger) {
  storage::DataCheckReport report;
  // What the log says: records created (and not erased since), and records erased.
  absl::flat_hash_set<std::string> created;
  absl::flat_hash_set<std::string> erased;
  RETURN_IF_ERROR(ReadRecordFacts(audit, &report, &created, &erased));

  absl::flat_hash_set<std::string> seen;
  RETURN_IF_ERROR(records.CheckAll(
      [&](absl::string_view id) {
        seen.insert(std::string(id));
        if (erased.contains(id)) {
          report.Add(absl::StrCat("record ", id, ": erased in the audit log but still stored"));
        } else if (!created.contains(id)) {
          report.Add(absl::StrCat("record ", id, ": no create event in the audit log"));
        }
      },
      &report));
  for (const std::string& id : created) {
    if (!seen.contains(id)) {
      report.Add(absl::StrCat("record ", id, ": created in the audit log but not stored"));
    }
  }

  ASSIGN_OR_RETURN(std::vector<storage::ErasureLedger::Entry> unapplied, ledger.Unapplied());
  for (const auto& e : unapplied) {
    report.Add(absl::StrCat("erasure ledger entry ", e.index, " (record ", e.record_id,
                            "): not applied to this database"));
  }
  return report;
}

}  // namespace registry::server
