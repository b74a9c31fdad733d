// CheckData: the whole-data cross-check behind `registryd --verify_data` (offline) and
// AdminService.VerifyData. It catches what a single lookup cannot: a deleted index row (which
// would turn NOT_CLEAR into CLEAR without any authentication failing), an orphaned or moved row,
// a missing version, a record the audit log never saw created or saw erased, a record put back
// to an earlier state (its own saved rows, which authenticate), a record at a version the audit
// log never saw written (a log put back behind the records), an entry of a
// person's vetting history that is gone (which hides a probe from that person) or that no event
// wrote, erasures the ledger holds that the database has not applied, records the ledger
// erased that are stored again (data put back from before the erasure, whatever the database's
// marker claims), a KEK version that data keys are under without its check value (deleted,
// which a start refuses rather than record anew), and the vetting rows deleted while registryd
// was stopped: the daily limits' rows of the last 24 hours' checks, and the consent row of
// every answered check (missing, failing authentication, or binding the reference to another
// candidate than the first retained check under it).
//
//   ASSIGN_OR_RETURN(storage::DataCheckReport report,
//                    CheckData(*records, *checks, *audit, *ledger));
//   if (report.problem_count > 0) ... report.problems ...
#ifndef REGISTRY_SERVER_DATA_CHECK_H_
#define REGISTRY_SERVER_DATA_CHECK_H_

#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/audit_log.h"
#include "storage/check_store.h"
#include "storage/database.h"
#include "storage/erasure_ledger.h"
#include "storage/record_store.h"

namespace registry::server {

// Reads every entry of the vetting histories (CheckStore::CheckAll) and every record
// (RecordStore::CheckAll), then what the audit log says of records and entries (the facts kept
// from pruned events, then every retained event), then every ledger entry, looking up its record
// (one point read each). Stored rows before the log, because each is written in its event's
// batch: every stored entry and record version must have its event, and every event written
// before the check began must have its rows; events appended while the check runs may have rows
// it did not read. Memory: the ids of the stored records and checks and of those the audit log
// names (tens of bytes each). An error only when the data cannot be read at all; everything
// found is in the report. An audit event that is missing, fails authentication or lies in
// damaged files is a problem, not the end of the check: every one is counted, the first and the
// last 50 are named (bounded memory), and the rest of the log and the data are checked.
absl::StatusOr<storage::DataCheckReport> CheckData(const storage::RecordStore& records,
                                                   const storage::CheckStore& checks,
                                                   const storage::AuditLog& audit,
                                                   const storage::ErasureLedger& ledger);

// How many of `report`'s listed problems could change a vetting answer: of a record's head or
// versions (missing, extra, or an earlier state put back), of an erasure the database does not
// hold, or of index rows (missing, extra, under another record, failing authentication). The
// data check holds the index seal broken for them (vetting refused, kept across restarts) and a
// restore refuses a backup that has them.
uint64_t ProblemsThatCanChangeAVettingAnswer(const storage::DataCheckReport& report);

// The records the audit events [from, to) wrote, each checked as CheckData checks one: one the
// last of them created, imported, amended, disputed or resolved (as CheckData reads the events)
// has its head, sealed dates, data key, versions and index rows, authentic and current
// (RecordStore::CheckRecord), at no earlier version than an event wrote; one the last of them
// expunged or deleted by retention is not stored. For a start whose audit watermark is behind
// the log (a crash, or a mark put back with rows from its time): the index writes made after the
// mark cannot be undone unseen while the log holds their events. The report counts the events
// read (audit_events) and the records checked (records); every problem is one that
// ProblemsThatCanChangeAVettingAnswer counts, naming the record id only. An error when an event
// cannot be read or parsed, or the data cannot be read.
absl::StatusOr<storage::DataCheckReport> CheckRecordsWritten(const storage::RecordStore& records,
                                                             const storage::AuditLog& audit,
                                                             uint64_t from, uint64_t to);

// CheckData, then every block of every table file (Database::VerifyTableChecksums): a block
// that fails its checksum is one more problem in the report, since damage in a block no call
// reads is otherwise found only when something reads it (a compaction, which then stops every
// write). The whole check behind AdminService.VerifyData, `registryd --verify_data` and the
// scheduled run (RegistryServer::RunDataCheckOnce); it reads the whole database once more, past
// the block cache. When CheckData itself stops at damage (a block it must read fails its
// checksum: DataLoss), the table files are still checked, and the DataLoss returned names the
// damaged file.
absl::StatusOr<storage::DataCheckReport> CheckDataAndTableFiles(
    const storage::Database& db, const storage::RecordStore& records,
    const storage::CheckStore& checks, const storage::AuditLog& audit,
    const storage::ErasureLedger& ledger);

// How long after a start registryd's own data check first runs: at `last` + `interval`, where
// `last` is the time of the last "system:data-check" event (none when the retained log holds
// none), or `soon` after the start when that time is past or there is no such event: a registry
// restarted more often than the interval still checks its data, and so finds what was changed
// in the data folder while it was stopped. Never later than `interval` (a clock set back).
absl::Duration FirstDataCheckDelay(std::optional<absl::Time> last, absl::Time now,
                                   absl::Duration interval, absl::Duration soon);

// Audit retention deletes old events, among them the create, expunge and vetting events this
// check reads. A record created years ago whose create event was pruned is no record without a
// create event, and one erased before the boundary is still one the log saw erased; a vetting
// history entry outlives its event. So for every event it deletes, the retention job calls this,
// which keeps, in the pruning's own batch, per record id a successful create, import or expunge
// event names, one row saying which came last ("created" or "erased"); per record a successful
// amendment, dispute or resolution changed, one row with the last version written
// (AuditEvent.record_version); and per history entry an event wrote, one row naming its check
// id. CheckData starts from those rows and goes on with
// the retained events, which gives exactly what reading the whole log would have. A record or
// entry without either is still a problem, as before pruning; the number of kept rows is
// authenticated, so deleting an entry together with its kept row is caught too.
void KeepPrunedFacts(const registry::v1::AuditEvent& event,
                     storage::AuditLog::PrunedFacts* facts);

}  // namespace registry::server

#endif  // REGISTRY_SERVER_DATA_CHECK_H_
