#include "server/data_check.h"

#include <cstring>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "registry/v1/audit.pb.h"
#include "registry/v1/records.pb.h"
#include "server/method_table.h"

namespace registry::server {
namespace {

// The values of the rows KeepPrunedFacts writes for records.
constexpr char kCreatedFact[] = "created";
constexpr char kErasedFact[] = "erased";
// A pruned event that wrote an entry of a person's history keeps the row
// kCheckFactPrefix + check id, with this value.
constexpr char kCheckFactPrefix[] = "vetting-check/";
constexpr char kCheckFact[] = "written";
// A pruned event that wrote a version of a record keeps the row kVersionFactPrefix + record id,
// with the version as its value (the newest pruned one stays).
constexpr char kVersionFactPrefix[] = "record-version/";

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

// The record a successful amendment, dispute or resolution wrote a version of (it names exactly
// one, with record_version set); nullptr for any other event.
const std::string* ChangedRecord(const registry::v1::AuditEvent& event) {
  if (event.outcome() != 0 || event.record_version() == 0 || event.record_ids_size() != 1 ||
      FactOf(event) != RecordFact::kNone) {
    return nullptr;
  }
  return &event.record_ids(0);
}

// What the audit log says of the stored data.
struct LogFacts {
  // Records created (and not erased since), and records erased.
  absl::flat_hash_set<std::string> created;
  absl::flat_hash_set<std::string> erased;
  // The last version the log saw written of each record it saw created.
  absl::flat_hash_map<std::string, uint32_t> versions;
  // The history entries (check ids) written by the kept facts and the events before `settled`,
  // which must all be stored; and those written by later events, which may be.
  absl::flat_hash_set<std::string> checks;
  absl::flat_hash_set<std::string> later_checks;
};

// Reads what the audit log says into *facts (and its own problems into report): the facts kept
// from pruned events, then the retained events. A pruning that commits in between would leave
// out the facts of the events it deletes; every pruning moves the boundary, so an unchanged
// boundary around both reads means they saw the log at the same point. Events from `settled` on
// were written during the data check, perhaps after the rows it read.
absl::Status ReadLogFacts(const storage::AuditLog& audit, uint64_t settled,
                          storage::DataCheckReport* report, LogFacts* facts) {
  constexpr int kAttempts = 3;
  const storage::DataCheckReport before = *report;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    *report = before;
    *facts = LogFacts();
    const uint64_t boundary = audit.CurrentPruned().size;
    RETURN_IF_ERROR(audit.ScanPrunedFacts([&](absl::string_view id, absl::string_view fact) {
      uint32_t version = 0;
      if (absl::StartsWith(id, kCheckFactPrefix) && fact == kCheckFact) {
        facts->checks.insert(std::string(id.substr(strlen(kCheckFactPrefix))));
      } else if (absl::StartsWith(id, kVersionFactPrefix) && absl::SimpleAtoi(fact, &version) &&
                 version > 0) {
        facts->versions[id.substr(strlen(kVersionFactPrefix))] = version;
      } else if (fact == kCreatedFact) {
        facts->created.insert(std::string(id));
      } else if (fact == kErasedFact) {
        facts->erased.insert(std::string(id));
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
          if (!event.check_id().empty()) {
            (index < settled ? facts->checks : facts->later_checks).insert(event.check_id());
          }
          switch (FactOf(event)) {
            case RecordFact::kCreated:
              for (const std::string& id : event.record_ids()) {
                facts->created.insert(id);
                facts->erased.erase(id);
                facts->versions[id] = 1;
              }
              break;
            case RecordFact::kErased:
              for (const std::string& id : event.record_ids()) {
                facts->created.erase(id);
                facts->erased.insert(id);
                facts->versions.erase(id);
              }
              break;
            case RecordFact::kNone:
              if (const std::string* id = ChangedRecord(event)) {
                facts->versions[*id] = event.record_version();
              }
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

void KeepPrunedFacts(const registry::v1::AuditEvent& event,
                     storage::AuditLog::PrunedFacts* facts) {
  if (!event.check_id().empty()) {
    facts->Put(absl::StrCat(kCheckFactPrefix, event.check_id()), kCheckFact);
  }
  if (const std::string* id = ChangedRecord(event)) {
    facts->Put(absl::StrCat(kVersionFactPrefix, *id), absl::StrCat(event.record_version()));
  }
  const RecordFact fact = FactOf(event);
  if (fact == RecordFact::kNone) return;
  for (const std::string& id : event.record_ids()) {
    facts->Put(id, fact == RecordFact::kCreated ? kCreatedFact : kErasedFact);
    // A created record starts at version 1 again; an erased one has none.
    facts->Delete(absl::StrCat(kVersionFactPrefix, id));
  }
}

absl::StatusOr<storage::DataCheckReport> CheckData(const storage::RecordStore& records,
                                                   const storage::CheckStore& checks,
                                                   const storage::AuditLog& audit,
                                                   const storage::ErasureLedger& ledger) {
  storage::DataCheckReport report;
  // The people's histories first: an entry is written in its event's batch, so every entry read
  // here has its event in the log read next, and every event before `settled` has its entry here.
  const uint64_t settled = audit.CurrentHead().size;
  // Check ids of the stored entries, with whether each is authentic.
  std::vector<std::pair<std::string, bool>> stored_checks;
  RETURN_IF_ERROR(checks.CheckAll(
      [&](absl::string_view id, bool authentic) { stored_checks.emplace_back(id, authentic); },
      &report));
  LogFacts facts;
  RETURN_IF_ERROR(ReadLogFacts(audit, settled, &report, &facts));
  const absl::flat_hash_set<std::string>& created = facts.created;
  const absl::flat_hash_set<std::string>& erased = facts.erased;
  for (const auto& [id, authentic] : stored_checks) {
    // A deleted entry hides a probe from the person; an entry no event wrote is not the
    // registry's record of one. An entry that fails authentication is reported once, as that:
    // it is still paired with its event.
    if (facts.checks.erase(id) == 0 && authentic && !facts.later_checks.contains(id)) {
      report.Add(absl::StrCat("vetting check ", id, ": no event in the audit log wrote it"));
    }
  }
  for (const std::string& id : facts.checks) {
    report.Add(absl::StrCat("vetting check ", id, ": written in the audit log but not stored"));
  }

  absl::flat_hash_set<std::string> seen;
  RETURN_IF_ERROR(records.CheckAll(
      [&](absl::string_view id, uint32_t version) {
        seen.insert(std::string(id));
        if (erased.contains(id)) {
          report.Add(absl::StrCat("record ", id, ": erased in the audit log but still stored"));
        } else if (!created.contains(id)) {
          report.Add(absl::StrCat("record ", id, ": no create event in the audit log"));
        }
        // Versions only grow, and each is written with its event: a stored version below the
        // last one the log saw written is an earlier state put back. (One above it may be a
        // change committed since the log was read.)
        const auto written = facts.versions.find(id);
        if (version > 0 && written != facts.versions.end() && version < written->second) {
          report.Add(absl::StrCat("record ", id, ": version ", version,
                                  " is stored, but the audit log saw version ", written->second,
                                  " written: an earlier state was put back"));
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
