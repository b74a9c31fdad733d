#include "server/admin_service.h"

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/json_log.h"
#include "common/status_macros.h"
#include "common/time_format.h"
#include "crypto/blind_index.h"
#include "server/backup_check.h"
#include "server/check_config.h"
#include "server/data_check.h"
#include "server/key_file.h"
#include "storage/backups.h"

namespace registry::server {
namespace {

namespace v1 = registry::v1;

void Fill(const storage::Backups::Info& info, v1::BackupInfo* out) {
  out->set_backup_id(info.id);
  out->set_created_at(FormatInstant(info.created_at));
  out->set_size_bytes(info.size_bytes);
}

}  // namespace

grpc::Status AdminService::RotateKeys(grpc::ServerContext* ctx, const v1::RotateKeysRequest* req,
                                      v1::RotateKeysResponse* resp) {
  return d_.gate->Unary(ctx, *req, resp, [&](Call& call) -> absl::Status {
    ASSIGN_OR_RETURN(KeyRotator::Result result, d_.rotator->Rotate(call.event().actor()));
    call.event().set_reference(absl::StrCat("kek-v", result.current_kek_version));
    resp->set_current_kek_version(result.current_kek_version);
    resp->set_rewrapped(result.rewrapped);
    return absl::OkStatus();
  });
}

void AdminService::NoteBackups(storage::Backups* backups) {
  if (d_.metrics == nullptr) return;
  const std::vector<storage::Backups::Info> all = backups->List();
  d_.metrics->RecordBackups(all.size(), all.empty() ? absl::InfinitePast() : all.back().created_at,
                            backups->ListDamaged().size());
}

absl::StatusOr<absl::Time> AdminService::RefreshBackupMetrics() {
  absl::MutexLock lock(&backup_mu_);
  ASSIGN_OR_RETURN(auto backups, storage::Backups::Open(d_.backup_dir));
  NoteBackups(backups.get());
  const std::vector<storage::Backups::Info> all = backups->List();
  // Backups goes by a clamped date (see Dates in storage/backups.h); the operator is told once
  // per start, since a date nothing could have written means someone wrote in the backup folder.
  for (const storage::Backups::Info& info : all) {
    if (!info.date_not_believed()) continue;
    LogLine("warning",
            "a backup's recorded date is later than it can be (after now, or after a newer "
            "backup's): the backup folder may have been edited, or the clock set back; the "
            "backup is dated as made no later than the newer backup, or now")
        .Int("backup_id", info.id)
        .Str("recorded_at", FormatInstant(info.stored_created_at))
        .Str("dated_at", FormatInstant(info.created_at))
        .Write();
  }
  // A damaged backup cannot be restored: said at every start, until it is seen to.
  for (const storage::Backups::Damaged& damaged : backups->ListDamaged()) {
    LogLine("warning",
            "a backup is damaged: its record of its files cannot be read, so it can be neither "
            "verified nor restored (registry-cli admin backups lists it; see "
            "docs/operations.md, Backups)")
        .Int("backup_id", damaged.id)
        .Str("detail", damaged.reason)
        .Write();
  }
  return all.empty() ? absl::InfinitePast() : all.back().created_at;
}

namespace {

// The key that authenticates backups (storage/backups.h), derived from the key file's root.
absl::StatusOr<crypto::SecretBytes> BackupAuthKey(const v1::ServerConfig& config) {
  ASSIGN_OR_RETURN(const KeyMaterial keys, LoadKeyFile(config.key_file()));
  return crypto::DeriveKey(keys.derivation_root, storage::kBackupAuthKeyPurpose);
}

}  // namespace

absl::Status AdminService::MakeBackup(absl::Time now, v1::AuditEvent* event,
                                      const std::function<absl::Status()>& commit,
                                      v1::BackupInfo* out) {
  absl::MutexLock lock(&backup_mu_);
  ASSIGN_OR_RETURN(auto backups, storage::Backups::Open(d_.backup_dir));
  // A backup never copies the files of an erased record: an erasure whose compaction has not run
  // gets it first.
  RETURN_IF_ERROR(d_.records->CompactIfErasuresDue().status());
  // The key before the copy: a key file that cannot be read leaves no backup behind.
  ASSIGN_OR_RETURN(const crypto::SecretBytes auth_key, BackupAuthKey(*d_.config));
  // With its record that registryd made it, without which a restore and a verification refuse
  // it (storage/backups.h, Authentication).
  ASSIGN_OR_RETURN(storage::Backups::Info made, backups->Create(d_.db, &auth_key));
  Fill(made, out);
  const v1::BackupConfig& keep = d_.keep;
  const std::vector<uint32_t> expired =
      backups->Expired(keep.keep_count(), absl::Hours(24) * keep.keep_days(), now);
  for (uint32_t id : expired) out->add_pruned_backup_ids(id);
  // The new backup and the deletions it brings are on the record before either stands: if the
  // event cannot be written, the backup is taken back and nothing is deleted.
  event->set_reference(absl::StrCat("backup-", made.id, " prunes ", expired.size()));
  absl::Status committed = commit();
  if (!committed.ok()) {
    backups->Delete({made.id}).IgnoreError();
    NoteBackups(backups.get());
    return committed;
  }
  absl::Status pruned = backups->Delete(expired);
  if (!pruned.ok()) {
    // Recorded as planned; the next backup computes and deletes them again.
    LogLine("error", "pruning backups failed").Str("detail", pruned.message()).Write();
    out->clear_pruned_backup_ids();
  }
  NoteBackups(backups.get());
  return absl::OkStatus();
}

grpc::Status AdminService::CreateBackup(grpc::ServerContext* ctx,
                                        const v1::CreateBackupRequest* req, v1::BackupInfo* resp) {
  return d_.gate->Unary(ctx, *req, resp, [&](Call& call) -> absl::Status {
    return MakeBackup(call.now(), &call.event(), [&] { return call.Commit(nullptr); }, resp);
  });
}

absl::StatusOr<v1::BackupInfo> AdminService::ScheduledBackup() {
  v1::BackupInfo info;
  v1::AuditEvent event;
  RETURN_IF_ERROR(MakeBackup(d_.clock->Now(), &event, [&]() -> absl::Status {
    return d_.gate->CommitSystemEvent("backup", "scheduled-backup", event, nullptr).status();
  }, &info));
  return info;
}

grpc::Status AdminService::VerifyBackup(grpc::ServerContext* ctx,
                                        const v1::VerifyBackupRequest* req,
                                        v1::VerifyBackupResponse* resp) {
  return d_.gate->Unary(ctx, *req, resp, [&](Call& call) -> absl::Status {
    absl::StatusOr<v1::VerifyBackupResponse> result;
    {
      absl::MutexLock lock(&backup_mu_);
      // With whether registryd made it, held to the copy it checks (storage/backups.h).
      result = CheckBackup(*d_.config, req->backup_id(), *d_.audit, *d_.db);
      // The backup gauges as the folder is now: a backup damaged since the last backup or start
      // (the only other refreshes) kept registryd_backups_damaged at 0 while this found it.
      if (absl::StatusOr<std::unique_ptr<storage::Backups>> backups =
              storage::Backups::Open(d_.backup_dir);
          backups.ok()) {
        NoteBackups(backups->get());
      }
    }
    if (!result.ok()) {
      // A backup id that names none, or that is malformed, is a mistyped command, and a check
      // that could not be made (VerificationCouldNotRun) found nothing wrong with the backup:
      // neither is a verification that failed, and the gauge the runbook treats as an incident
      // stays as it was.
      const absl::StatusCode code = result.status().code();
      if (d_.metrics != nullptr && code != absl::StatusCode::kNotFound &&
          code != absl::StatusCode::kInvalidArgument && !VerificationCouldNotRun(code)) {
        d_.metrics->RecordBackupVerification(absl::Now(), false);
      }
      return result.status();
    }
    *resp = *std::move(result);
    if (d_.metrics != nullptr) d_.metrics->RecordBackupVerification(absl::Now(), resp->ok());
    call.event().set_reference(absl::StrCat("backup-", resp->backup_id(),
                                            resp->ok() ? " sound" : " failed", " problems ",
                                            resp->problem_count()));
    return absl::OkStatus();
  });
}

grpc::Status AdminService::ListBackups(grpc::ServerContext* ctx, const v1::ListBackupsRequest* req,
                                       v1::ListBackupsResponse* resp) {
  return d_.gate->Unary(ctx, *req, resp, [&](Call&) -> absl::Status {
    absl::MutexLock lock(&backup_mu_);
    ASSIGN_OR_RETURN(auto backups, storage::Backups::Open(d_.backup_dir));
    // What this lists, the gauges say: they were refreshed only by a backup and at start, and
    // missed a backup damaged (or removed) while registryd ran.
    NoteBackups(backups.get());
    // A backup whose recorded erasures the ledger does not hold and whose record of
    // authentication does not fit it is not one this registry made: listed as damaged, with
    // why, not as one to restore. Only such a backup is hashed (LedgerHoldsEveryBackup checks
    // the record where the ledger fails the count alone): a list of sound backups hashes none.
    std::vector<storage::Backups::Damaged> not_made_here;
    // A sound backup the ledger does not meet was refused at the start; it is listed as it is,
    // and so is every backup when the key file cannot be read now.
    if (absl::StatusOr<KeyMaterial> keys = LoadKeyFile(d_.config->key_file()); keys.ok()) {
      LedgerHoldsEveryBackup(*d_.config, keys->derivation_root, nullptr, &not_made_here)
          .IgnoreError();
    }
    for (const auto& info : backups->List()) {
      if (std::none_of(not_made_here.begin(), not_made_here.end(),
                       [&](const storage::Backups::Damaged& d) { return d.id == info.id; })) {
        Fill(info, resp->add_backups());
      }
    }
    std::vector<storage::Backups::Damaged> damaged_ones = backups->ListDamaged();
    damaged_ones.insert(damaged_ones.end(), not_made_here.begin(), not_made_here.end());
    // A damaged backup is listed too, in its place by id: left out, it was simply gone.
    for (const storage::Backups::Damaged& damaged : damaged_ones) {
      v1::BackupInfo* out = resp->add_backups();
      out->set_backup_id(damaged.id);
      out->set_damaged(damaged.reason);
    }
    std::sort(resp->mutable_backups()->begin(), resp->mutable_backups()->end(),
              [](const v1::BackupInfo& a, const v1::BackupInfo& b) {
                return a.backup_id() < b.backup_id();
              });
    return absl::OkStatus();
  });
}

grpc::Status AdminService::VerifyData(grpc::ServerContext* ctx, const v1::VerifyDataRequest* req,
                                      v1::VerifyDataResponse* resp) {
  return d_.gate->Unary(ctx, *req, resp, [&](Call& call) -> absl::Status {
    ASSIGN_OR_RETURN(
        storage::DataCheckReport report,
        CheckDataAndTableFiles(*d_.db, *d_.records, *d_.checks, *d_.audit, *d_.ledger));
    // A finding that could change a vetting answer is kept beside the key file before the reply,
    // so that no restart, however soon, lifts the refusal of vetting checks it set; and said in
    // the call's event (first: an event of a call that failed after it says it too), so that no
    // watermark file put back from before it lifts it either (a start reads it back from the
    // log: "problems N; index broken", as the scheduled check's event says it).
    const storage::IndexSeal* seal = d_.db->index_seal();
    const bool index_broken = seal != nullptr && seal->KeepBroken();
    call.event().set_reference(
        absl::StrCat("problems ", report.problem_count, index_broken ? "; index broken" : ""));
    if (d_.watermark != nullptr && index_broken) {
      RETURN_IF_ERROR(d_.watermark->SetIndexBroken(true));
    }
    resp->set_records(report.records);
    resp->set_versions(report.versions);
    resp->set_index_rows(report.index_rows);
    resp->set_audit_events(report.audit_events);
    resp->set_vetting_checks(report.vetting_checks);
    resp->set_problem_count(report.problem_count);
    for (std::string& p : report.problems) resp->add_problems(std::move(p));
    return absl::OkStatus();
  });
}

}  // namespace registry::server
