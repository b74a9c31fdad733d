// CheckData: the whole-data cross-check behind `registryd --verify_data` (offline) and
// AdminService.VerifyData. It catches what a single lookup cannot: a deleted index row (which
// would turn NOT_CLEAR into CLEAR without any authentication failing), an orphaned or moved row,
// a missing version, a record the audit log never saw created or saw erased, and erasures the
// ledger holds that the database has not applied.
//
//   ASSIGN_OR_RETURN(storage::DataCheckReport report, CheckData(*records, *audit, *ledger));
//   if (report.problem_count > 0) ... report.problems ...
#ifndef REGISTRY_SERVER_DATA_CHECK_H_
#define REGISTRY_SERVER_DATA_CHECK_H_

#include "absl/status/statusor.h"
#include "storage/audit_log.h"
#include "storage/erasure_ledger.h"
#include "storage/record_store.h"

namespace registry::server {

// Reads the whole audit log, then every record (RecordStore::CheckAll), then the ledger. Memory:
// the ids of the records the audit log says exist (tens of bytes each). An error only when the
// data cannot be read at all; everything found is in the report.
absl::StatusOr<storage::DataCheckReport> CheckData(const storage::RecordStore& records,
                                                   const storage::AuditLog& audit,
                                                   const storage::ErasureLedger& ledger);

}  // namespace registry::server

#endif  // REGISTRY_SERVER_DATA_CHECK_H_
