#include "server/eraser.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "registry/v1/records.pb.h"
#include "server/method_table.h"

namespace registry::server {
namespace {

constexpr char kLedgerActor[] = "system:erasure-ledger";

}  // namespace

absl::Status Eraser::Erase(absl::string_view record_id,
                           const std::function<absl::Status(storage::PendingWrite*)>& commit,
                           std::string* personal_number_token, const CheckFn& check) {
  absl::MutexLock lock(&mu_);
  // An earlier erasure whose commit failed is finished first, so the marker this one commits
  // never claims an entry that was not applied.
  ASSIGN_OR_RETURN(bool all_applied, ledger_->AllApplied());
  if (!all_applied) {
    RETURN_IF_ERROR(
        CatchUpLocked(/*every_entry=*/false, /*stored_again=*/nullptr, /*rows_put_back=*/nullptr)
            .status());
  }

  std::string token;
  std::vector<std::string> dedup_tokens;
  ASSIGN_OR_RETURN(storage::PendingWrite write,
                   records_->PrepareExpunge(record_id, &token, &dedup_tokens));
  if (check) RETURN_IF_ERROR(check(token, write));
  RETURN_IF_ERROR(checks_->StageWithhold(token, record_id, &write).status());
  RETURN_IF_ERROR(
      ledger_->Append(record_id, token, dedup_tokens, clock_->Now(), &write).status());
  RETURN_IF_ERROR(commit(&write));
  if (personal_number_token != nullptr) *personal_number_token = std::move(token);
  return absl::OkStatus();
}

absl::StatusOr<int> Eraser::CatchUp(int* stored_again, int* rows_put_back) {
  absl::MutexLock lock(&mu_);
  return CatchUpLocked(/*every_entry=*/true, stored_again, rows_put_back);
}

absl::StatusOr<int> Eraser::CatchUpLocked(bool every_entry, int* stored_again,
                                          int* rows_put_back) {
  ASSIGN_OR_RETURN(storage::ErasureLedger::Progress progress, ledger_->ReadProgress());
  int erased = 0;
  int again = 0;
  int rows = 0;
  for (const storage::ErasureLedger::Entry& e : progress.entries) {
    // The marker's word only decides whether the marker moves; whether the record is gone, and
    // its conviction barred, is read from the records themselves.
    const bool applied = e.index < progress.applied;
    if (applied && !every_entry) continue;
    // The erased-conviction rows keep the conviction from being entered again under any
    // identity it had; the ledger says which rows those are (entries written before it did
    // cannot be checked).
    bool row_missing = false;
    for (const std::string& dedup_token : e.dedup_tokens) {
      ASSIGN_OR_RETURN(const bool has_row, records_->HasErasedRow(dedup_token, e.record_id));
      row_missing = row_missing || !has_row;
    }
    storage::PendingWrite write;
    bool row_only = false;
    bool leftover = false;
    absl::StatusOr<storage::PendingWrite> expunge = records_->PrepareExpunge(e.record_id);
    if (expunge.ok()) {
      write = *std::move(expunge);
    } else if (!absl::IsNotFound(expunge.status())) {
      return expunge.status();
    } else {
      // The record is gone. Its personal-number index row, put back with data from before the
      // erasure (the entry names the token: one point read), finds nothing and is deleted; its
      // other index rows cannot be found without reading the whole index: lookups pass over
      // them, and the data check names them.
      ASSIGN_OR_RETURN(leftover,
                       records_->StageLeftoverNumberRow(e.token, e.record_id, &write));
      if (applied) {
        // Erased, still gone, barred and without a leftover: nothing to write.
        if (!row_missing && !leftover) continue;
        row_only = true;
      }
    }
    for (const std::string& dedup_token : e.dedup_tokens) {
      RETURN_IF_ERROR(records_->StageErasedRow(dedup_token, e.record_id, &write));
    }
    if (!row_only) RETURN_IF_ERROR(checks_->StageWithhold(e.token, e.record_id, &write).status());
    // An applied entry's marker is already past it; staging it again would move the marker back.
    if (!applied) ledger_->StageApplied(e, &write);
    registry::v1::AuditEvent event;
    event.set_actor(kLedgerActor);
    event.set_action(ActionOf(registry::v1::ExpungeRecordRequest::descriptor()));
    event.add_record_ids(e.record_id);
    event.set_reference(
        row_only  ? absl::StrCat("erasure ledger entry ", e.index,
                                 row_missing ? ": erased-conviction row put back" : "",
                                 leftover ? ": leftover personal-number row deleted" : "")
        : applied ? absl::StrCat("erasure ledger entry ", e.index,
                                 ": erased before, stored again")
                  : absl::StrCat("erasure ledger entry ", e.index));
    RETURN_IF_ERROR(audit_->Append(std::move(event), &write).status());
    if (row_only) {
      if (row_missing) ++rows;
      continue;
    }
    ++erased;
    if (applied) ++again;
  }
  // The erasures above, and any committed earlier whose compaction never ran (the process
  // stopped, or it failed): their bytes leave the files before anything is served or backed up.
  RETURN_IF_ERROR(records_->CompactIfErasuresDue().status());
  if (stored_again != nullptr) *stored_again = again;
  if (rows_put_back != nullptr) *rows_put_back = rows;
  return erased;
}

}  // namespace registry::server
