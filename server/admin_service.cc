#include "server/admin_service.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "common/time_format.h"
#include "server/data_check.h"
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
    ASSIGN_OR_RETURN(KeyRotator::Result result, d_.rotator->Rotate());
    call.event().set_reference(absl::StrCat("kek-v", result.current_kek_version));
    resp->set_current_kek_version(result.current_kek_version);
    resp->set_rewrapped(result.rewrapped);
    return absl::OkStatus();
  });
}

grpc::Status AdminService::CreateBackup(grpc::ServerContext* ctx,
                                        const v1::CreateBackupRequest* req, v1::BackupInfo* resp) {
  return d_.gate->Unary(ctx, *req, resp, [&](Call& call) -> absl::Status {
    absl::MutexLock lock(&backup_mu_);
    ASSIGN_OR_RETURN(auto backups, storage::Backups::Open(d_.backup_dir));
    ASSIGN_OR_RETURN(storage::Backups::Info made, backups->Create(d_.db));
    Fill(made, resp);
    const v1::BackupConfig& keep = d_.keep;
    const std::vector<uint32_t> expired =
        backups->Expired(keep.keep_count(), absl::Hours(24) * keep.keep_days(), call.now());
    for (uint32_t id : expired) resp->add_pruned_backup_ids(id);
    // The new backup and the deletions it brings are on the record before either stands: if the
    // event cannot be written, the backup is taken back and nothing is deleted.
    call.event().set_reference(absl::StrCat("backup-", made.id, " prunes ", expired.size()));
    absl::Status committed = call.Commit(nullptr);
    if (!committed.ok()) {
      backups->Delete({made.id}).IgnoreError();
      return committed;
    }
    absl::Status pruned = backups->Delete(expired);
    if (!pruned.ok()) {
      // Recorded as planned; the next backup computes and deletes them again.
      absl::FPrintF(stderr, "level=error msg=\"pruning backups failed\" err=\"%s\"\n",
                    pruned.message());
      resp->clear_pruned_backup_ids();
    }
    return absl::OkStatus();
  });
}

grpc::Status AdminService::ListBackups(grpc::ServerContext* ctx, const v1::ListBackupsRequest* req,
                                       v1::ListBackupsResponse* resp) {
  return d_.gate->Unary(ctx, *req, resp, [&](Call&) -> absl::Status {
    absl::MutexLock lock(&backup_mu_);
    ASSIGN_OR_RETURN(auto backups, storage::Backups::Open(d_.backup_dir));
    for (const auto& info : backups->List()) Fill(info, resp->add_backups());
    return absl::OkStatus();
  });
}

grpc::Status AdminService::VerifyData(grpc::ServerContext* ctx, const v1::VerifyDataRequest* req,
                                      v1::VerifyDataResponse* resp) {
  return d_.gate->Unary(ctx, *req, resp, [&](Call& call) -> absl::Status {
    ASSIGN_OR_RETURN(storage::DataCheckReport report, CheckData(*d_.records, *d_.audit, *d_.ledger));
    call.event().set_reference(absl::StrCat("problems ", report.problem_count));
    resp->set_records(report.records);
    resp->set_versions(report.versions);
    resp->set_index_rows(report.index_rows);
    resp->set_audit_events(report.audit_events);
    resp->set_problem_count(report.problem_count);
    for (std::string& p : report.problems) resp->add_problems(std::move(p));
    return absl::OkStatus();
  });
}

}  // namespace registry::server
