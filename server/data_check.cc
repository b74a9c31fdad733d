#include "server/data_check.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "registry/v1/audit.pb.h"

namespace registry::server {
namespace {

constexpr char kCreate[] = "/registry.v1.RecordService/CreateRecord";
constexpr char kImport[] = "/registry.v1.RecordService/ImportRecords";
constexpr char kExpunge[] = "/registry.v1.RecordService/ExpungeRecord";

}  // namespace

absl::StatusOr<storage::DataCheckReport> CheckData(const storage::RecordStore& records,
                                                   const storage::AuditLog& audit,
                                                   const storage::ErasureLedger& ledger) {
  storage::DataCheckReport report;
  // What the log says: records created (and not erased since), and records erased.
  absl::flat_hash_set<std::string> created;
  absl::flat_hash_set<std::string> erased;
  const uint64_t size = audit.CurrentHead().size;
  RETURN_IF_ERROR(audit.Scan(0, size, [&](uint64_t index, absl::string_view bytes) {
    ++report.audit_events;
    registry::v1::AuditEvent event;
    if (!event.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      report.Add(absl::StrCat("audit event ", index, ": does not decode"));
      return true;
    }
    if (event.outcome() != 0) return true;
    if (event.action() == kCreate || event.action() == kImport) {
      for (const std::string& id : event.record_ids()) {
        created.insert(id);
        erased.erase(id);
      }
    } else if (event.action() == kExpunge) {
      for (const std::string& id : event.record_ids()) {
        created.erase(id);
        erased.insert(id);
      }
    }
    return true;
  }));

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
