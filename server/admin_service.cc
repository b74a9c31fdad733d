#include "server/admin_service.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/time_format.h"
#include "rocksdb/utilities/backup_engine.h"
#include "storage/rocksdb_status.h"

namespace registry::server {
namespace {

namespace v1 = registry::v1;

constexpr char kRotate[] = "/registry.v1.AdminService/RotateKeys";
constexpr char kBackup[] = "/registry.v1.AdminService/CreateBackup";
constexpr char kList[] = "/registry.v1.AdminService/ListBackups";

absl::StatusOr<std::unique_ptr<rocksdb::BackupEngine>> OpenEngine(const std::string& dir) {
  rocksdb::BackupEngineOptions options(dir);
  options.sync = true;
  options.share_table_files = true;
  rocksdb::BackupEngine* raw = nullptr;
  rocksdb::IOStatus s =
      rocksdb::BackupEngine::Open(options, rocksdb::Env::Default(), &raw);
  if (!s.ok()) return storage::FromRocksDb(s);
  return std::unique_ptr<rocksdb::BackupEngine>(raw);
}

void Fill(const rocksdb::BackupInfo& info, v1::BackupInfo* out) {
  out->set_backup_id(info.backup_id);
  out->set_created_at(FormatInstant(absl::FromUnixSeconds(info.timestamp)));
  out->set_size_bytes(info.size);
}

}  // namespace

grpc::Status AdminService::RotateKeys(grpc::ServerContext* ctx, const v1::RotateKeysRequest* req,
                                      v1::RotateKeysResponse* resp) {
  return d_.gate->Unary(ctx, kRotate, *req, resp, [&](Call& call) -> absl::Status {
    ASSIGN_OR_RETURN(KeyRotator::Result result, d_.rotator->Rotate());
    call.event().set_reference(absl::StrCat("kek-v", result.current_kek_version));
    resp->set_current_kek_version(result.current_kek_version);
    resp->set_rewrapped(result.rewrapped);
    return absl::OkStatus();
  });
}

grpc::Status AdminService::CreateBackup(grpc::ServerContext* ctx,
                                        const v1::CreateBackupRequest* req, v1::BackupInfo* resp) {
  return d_.gate->Unary(ctx, kBackup, *req, resp, [&](Call& call) -> absl::Status {
    absl::MutexLock lock(&backup_mu_);
    ASSIGN_OR_RETURN(auto engine, OpenEngine(d_.config->backup_dir()));
    rocksdb::CreateBackupOptions options;
    options.flush_before_backup = true;
    uint32_t id = 0;
    rocksdb::IOStatus s = engine->CreateNewBackup(options, d_.db->raw(), &id);
    if (!s.ok()) return absl::UnavailableError("backup failed");
    rocksdb::BackupInfo info;
    if (!engine->GetBackupInfo(id, &info).ok()) return absl::UnavailableError("backup failed");
    Fill(info, resp);
    call.event().set_reference(absl::StrCat("backup-", id));
    return absl::OkStatus();
  });
}

grpc::Status AdminService::ListBackups(grpc::ServerContext* ctx, const v1::ListBackupsRequest* req,
                                       v1::ListBackupsResponse* resp) {
  return d_.gate->Unary(ctx, kList, *req, resp, [&](Call&) -> absl::Status {
    absl::MutexLock lock(&backup_mu_);
    ASSIGN_OR_RETURN(auto engine, OpenEngine(d_.config->backup_dir()));
    std::vector<rocksdb::BackupInfo> infos;
    engine->GetBackupInfo(&infos);
    for (const auto& info : infos) Fill(info, resp->add_backups());
    return absl::OkStatus();
  });
}

absl::Status RestoreBackup(const std::string& backup_dir, const std::string& data_dir,
                           uint32_t backup_id) {
  ASSIGN_OR_RETURN(auto engine, OpenEngine(backup_dir));
  rocksdb::IOStatus s = backup_id == 0
                            ? engine->RestoreDBFromLatestBackup(data_dir, data_dir)
                            : engine->RestoreDBFromBackup(backup_id, data_dir, data_dir);
  return storage::FromRocksDb(s);
}

}  // namespace registry::server
