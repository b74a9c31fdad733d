// Backups: RocksDB BackupEngine backups of the database into one folder, with retention.
//
// A backup holds exactly what the data directory holds: ciphertext, blind tokens, the audit log,
// and the database's erasure-ledger marker. No key material, and not the erasure ledger (both
// live next to the key file). Table files are shared between backups, so each new one costs
// what changed.
//
// Retention: after each new backup, those beyond keep_count newest and those older than keep_days
// are deleted, and files no remaining backup uses are removed (BackupEngine::GarbageCollect).
// The newest backup is never deleted. This is what bounds how long a backup made before an
// erasure can exist (see docs/security.md).
//
//   ASSIGN_OR_RETURN(auto backups, Backups::Open("/var/lib/registryd/backups"));
//   ASSIGN_OR_RETURN(Backups::Info made, backups->Create(db));
//   RETURN_IF_ERROR(backups->Delete(backups->Expired(14, absl::Hours(24 * 35), now)));
#ifndef REGISTRY_STORAGE_BACKUPS_H_
#define REGISTRY_STORAGE_BACKUPS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/database.h"

namespace rocksdb {
class BackupEngine;
}  // namespace rocksdb

namespace registry::storage {

// Not thread-safe: callers serialize.
class Backups {
 public:
  struct Info {
    uint32_t id = 0;
    absl::Time created_at;
    uint64_t size_bytes = 0;
  };

  // Opens (creating) the backup folder. Unavailable on I/O errors.
  static absl::StatusOr<std::unique_ptr<Backups>> Open(const std::string& dir);
  ~Backups();

  // Flushes the database and backs it up. Unavailable on failure.
  absl::StatusOr<Info> Create(Database* db);

  // Every backup, oldest first.
  std::vector<Info> List();

  // The backups retention deletes: those beyond the `keep_count` newest and those created
  // before now - keep_age, never the newest one. Oldest first.
  std::vector<uint32_t> Expired(uint32_t keep_count, absl::Duration keep_age, absl::Time now);

  // Deletes these backups, then the files no remaining backup uses.
  absl::Status Delete(const std::vector<uint32_t>& ids);

  // Checks backup `id` against the file sizes and checksums recorded when it was made. NotFound
  // when there is no such backup; DataLoss (RocksDB's message: which file) when a file is
  // missing, of another size or another checksum.
  absl::Status Verify(uint32_t id);

  // Restores backup `id` (0: the newest) into `data_dir`. FailedPrecondition, changing nothing,
  // while a process holds the database open there (RocksDB's lock on data_dir/LOCK: a running
  // registryd). What the folder held is not deleted but moved aside, to
  // "<data_dir>.before-restore-<unix seconds>" (named in `*moved_aside` when not null; "" when
  // there was nothing): a restore follows damage, and the damaged files are evidence.
  static absl::Status Restore(const std::string& backup_dir, const std::string& data_dir,
                              uint32_t id, std::string* moved_aside = nullptr);

 private:
  Backups(std::unique_ptr<rocksdb::BackupEngine> engine, std::string dir);

  std::unique_ptr<rocksdb::BackupEngine> engine_;
  const std::string dir_;
};

}  // namespace registry::storage

#endif  // REGISTRY_STORAGE_BACKUPS_H_
