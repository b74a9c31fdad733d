#include "storage/backups.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "rocksdb/utilities/backup_engine.h"
#include "storage/database.h"
#include "storage/rocksdb_status.h"

namespace registry::storage {
namespace {

absl::StatusOr<std::unique_ptr<rocksdb::BackupEngine>> OpenEngine(const std::string& dir) {
  rocksdb::BackupEngineOptions options(dir);
  options.sync = true;
  options.share_table_files = true;
  rocksdb::BackupEngine* raw = nullptr;
  rocksdb::IOStatus s = rocksdb::BackupEngine::Open(options, rocksdb::Env::Default(), &raw);
  if (!s.ok()) return FromRocksDb(s);
  return std::unique_ptr<rocksdb::BackupEngine>(raw);
}

Backups::Info InfoOf(const rocksdb::BackupInfo& info) {
  return {info.backup_id, absl::FromUnixSeconds(info.timestamp), info.size};
}

}  // namespace

Backups::Backups(std::unique_ptr<rocksdb::BackupEngine> engine, std::string dir)
    : engine_(std::move(engine)), dir_(std::move(dir)) {}
Backups::~Backups() = default;

absl::StatusOr<std::unique_ptr<Backups>> Backups::Open(const std::string& dir) {
  ASSIGN_OR_RETURN(std::unique_ptr<rocksdb::BackupEngine> engine, OpenEngine(dir));
  return std::unique_ptr<Backups>(new Backups(std::move(engine), dir));
}

absl::StatusOr<Backups::Info> Backups::Create(Database* db) {
  // Before anything is written: a flush or a copy that met a full disk inside RocksDB's backup
  // engine aborted registryd.
  RETURN_IF_ERROR(db->RoomForBackupIn(dir_));
  // A table file with a damaged block would be copied as it is (the backup's own checksums are
  // taken of the damaged bytes), and the backup later called sound: none is taken of it.
  absl::Status sound = db->VerifyTableChecksums();
  if (!sound.ok()) {
    return absl::DataLossError(
        absl::StrCat("no backup taken: the database has a damaged table file (", sound.message(),
                     ")"));
  }
  rocksdb::CreateBackupOptions options;
  options.flush_before_backup = true;
  uint32_t id = 0;
  rocksdb::IOStatus s = engine_->CreateNewBackup(options, db->raw(), &id);
  if (!s.ok()) return absl::UnavailableError("backup failed");
  rocksdb::BackupInfo info;
  if (!engine_->GetBackupInfo(id, &info).ok()) return absl::UnavailableError("backup failed");
  return InfoOf(info);
}

std::vector<Backups::Info> Backups::List() {
  std::vector<rocksdb::BackupInfo> infos;
  engine_->GetBackupInfo(&infos);
  std::vector<Info> out;
  for (const auto& info : infos) out.push_back(InfoOf(info));
  std::sort(out.begin(), out.end(), [](const Info& a, const Info& b) { return a.id < b.id; });
  return out;
}

std::vector<uint32_t> Backups::Expired(uint32_t keep_count, absl::Duration keep_age,
                                       absl::Time now) {
  const std::vector<Info> all = List();
  std::vector<uint32_t> expired;
  for (size_t i = 0; i + 1 < all.size(); ++i) {  // never the newest
    const bool beyond_count = all.size() - i > keep_count;
    const bool too_old = all[i].created_at < now - keep_age;
    if (beyond_count || too_old) expired.push_back(all[i].id);
  }
  return expired;
}

absl::Status Backups::Delete(const std::vector<uint32_t>& ids) {
  for (uint32_t id : ids) {
    rocksdb::IOStatus s = engine_->DeleteBackup(id);
    if (!s.ok()) return FromRocksDb(s);
  }
  if (ids.empty()) return absl::OkStatus();
  return FromRocksDb(engine_->GarbageCollect());
}

absl::Status Backups::Verify(uint32_t id) {
  rocksdb::BackupInfo info;
  if (!engine_->GetBackupInfo(id, &info).ok()) {
    return absl::NotFoundError(absl::StrCat("no backup ", id));
  }
  rocksdb::IOStatus s = engine_->VerifyBackup(id, /*verify_with_checksum=*/true);
  if (s.ok()) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat("backup ", id, ": ", s.ToString()));
}


absl::Status Backups::Restore(const std::string& backup_dir, const std::string& data_dir,
                              uint32_t id, std::string* moved_aside) {
  if (moved_aside != nullptr) moved_aside->clear();
  ASSIGN_OR_RETURN(std::unique_ptr<rocksdb::BackupEngine> engine, OpenEngine(backup_dir));
  rocksdb::BackupInfo info;
  if (id != 0 && !engine->GetBackupInfo(id, &info).ok()) {
    return absl::NotFoundError(absl::StrCat("no backup ", id));
  }
  RETURN_IF_ERROR(Database::RefuseWhileOpen(data_dir));
  std::error_code error;
  if (std::filesystem::exists(data_dir, error) && !std::filesystem::is_empty(data_dir, error)) {
    // A name no earlier restore took: a retry within the same second (after one that failed
    // half-way) found the first one's folder there, and the rename failed.
    const std::string stem =
        absl::StrCat(data_dir, ".before-restore-", absl::ToUnixSeconds(absl::Now()));
    std::string aside = stem;
    for (int n = 2; std::filesystem::exists(aside, error); ++n) aside = absl::StrCat(stem, "-", n);
    std::filesystem::rename(data_dir, aside, error);
    if (error) {
      return absl::UnavailableError(absl::StrCat("cannot move ", data_dir, " aside to ", aside,
                                                 ": ", error.message(), "; nothing was changed"));
    }
    if (moved_aside != nullptr) *moved_aside = aside;
  }
  // The folder anew, the registry's user's only (as registryd makes its folders).
  if (::mkdir(data_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::UnavailableError(absl::StrCat("cannot create ", data_dir, ": ",
                                               std::strerror(errno)));
  }
  rocksdb::IOStatus s = id == 0 ? engine->RestoreDBFromLatestBackup(data_dir, data_dir)
                                : engine->RestoreDBFromBackup(id, data_dir, data_dir);
  return FromRocksDb(s);
}

}  // namespace registry::storage
