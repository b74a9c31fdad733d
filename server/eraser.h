// Eraser: the one way a record is erased — by a clerk (ExpungeRecord), by the retention scheduler,
// or again after a restore, from the erasure ledger.
//
// An erasure, in one serialized step:
//   1. the record's data key, versions, index and expiry entries are staged for deletion
//      (RecordStore::PrepareExpunge: crypto-shredding);
//   2. every stored check whose result the record decided has its result withheld
//      (CheckStore::StageWithhold): who asked and when stay, what the record caused does not;
//   3. an entry goes into the erasure ledger outside the data directory, durably, with the
//      database's "applied" marker staged (ErasureLedger::Append);
//   4. the caller commits it all with its audit event.
// Afterwards the caller runs RecordStore::CompactAfterErasure, once per run, so the old bytes
// leave the files.
//
// CatchUp() applies ledger entries the database has not applied: after a restore from a backup
// made before them, or after an erasure whose commit failed after its ledger entry was written.
// It also erases again the record of every entry the database claims to have applied but still
// stores: the "applied" marker is in the data directory, so a backup made before an erasure can
// be put back with a copy of the current marker, and only a look at the record itself (one point
// read per entry) tells. Start-up, `registryd --restore_backup` and backup verification run it
// before anything is served or checked; Erase runs the cheap part (entries past the marker)
// first whenever the database is behind the ledger.
//
//   RETURN_IF_ERROR(eraser->Erase(id, [&](storage::PendingWrite* w) { return call.Commit(w); }));
#ifndef REGISTRY_SERVER_ERASER_H_
#define REGISTRY_SERVER_ERASER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "storage/audit_log.h"
#include "storage/check_store.h"
#include "storage/erasure_ledger.h"
#include "storage/record_store.h"

namespace registry::server {

// Thread-safe. Erasures run one at a time.
class Eraser {
 public:
  // None owned; all must outlive the eraser.
  Eraser(storage::RecordStore* records, const storage::CheckStore* checks,
         storage::ErasureLedger* ledger, storage::AuditLog* audit, const Clock* clock)
      : records_(records), checks_(checks), ledger_(ledger), audit_(audit), clock_(clock) {}

  // Erases `record_id`; `commit` commits the staged write with the call's audit event.
  // NotFound for unknown or already erased ids (nothing written); Unavailable when the ledger
  // cannot be written (nothing erased) or the commit fails (then the ledger entry is applied by
  // the next erasure or start-up: an erasure once asked for and recorded is never lost).
  // Once committed, *personal_number_token (may be null) receives the token of the record's
  // personal number, whose other records the erasure re-dated.
  // `check` (may be empty) is called with that token and the prepared write, under the person's
  // lock, before the ledger entry is written: a refusal there erases nothing, now or later
  // (refusing in `commit` is too late: the ledger entry is applied by the next catch-up).
  using CheckFn =
      std::function<absl::Status(absl::string_view token, const storage::PendingWrite& w)>;
  absl::Status Erase(absl::string_view record_id,
                     const std::function<absl::Status(storage::PendingWrite*)>& commit,
                     std::string* personal_number_token = nullptr, const CheckFn& check = {});

  // Walks every ledger entry: applies those the database has not applied, and erases again the
  // record of any applied one that is still stored (data put back from before its erasure),
  // each as an audited system change ("system:erasure-ledger"), then compacts. Returns how many
  // entries were applied or erased again; *stored_again (may be null) receives how many of them
  // were applied by the marker's word but had their record stored: a sign the data directory
  // was put back, which the caller reports. It also puts back the erased-conviction row of
  // every erased record whose row is missing (the ledger names it; without it the conviction
  // could be entered again), each with its audit event, and counts them in *rows_put_back (may
  // be null); those are not counted in the result.
  absl::StatusOr<int> CatchUp(int* stored_again = nullptr, int* rows_put_back = nullptr);

 private:
  // With `every_entry` false, only the entries past the marker (what Erase needs: the marker
  // it commits must not claim an entry that was not applied).
  absl::StatusOr<int> CatchUpLocked(bool every_entry, int* stored_again, int* rows_put_back)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  storage::RecordStore* const records_;
  const storage::CheckStore* const checks_;
  storage::ErasureLedger* const ledger_;
  storage::AuditLog* const audit_;
  const Clock* const clock_;
  absl::Mutex mu_;
};

}  // namespace registry::server

#endif  // REGISTRY_SERVER_ERASER_H_
