// CheckBackup: a backup known to work. Behind AdminService.VerifyBackup and
// `registry-cli admin verify-backup ID`.
//
// The backup is restored, exactly as `registryd --restore_backup` would, into a scratch folder
// inside the backup folder (so it needs no other writable path and stays on the backup's disk),
// then checked, and the scratch folder is deleted whatever happened:
//   1. its files against the sizes and checksums recorded when it was made; then, on the copy
//      (hashed as it was restored, before it is opened), that registryd made it: its record of
//      authentication (storage/backups.h, Authentication), held to the bytes copied, not to the
//      backup folder, which may change while the check runs;
//   2. its audit log: the retained events hash, onto the stored left edge, to the stored root;
//   3. against the live log: the live tree of the same size has the same root (the backup is a
//      prefix of what auditors have seen signed, not a fork);
//   4. the erasure ledger (a copy) applied, as a restore does, then the whole-data check
//      (server/data_check.h): records, versions, index rows against the audit log's create and
//      expunge events and the ledger; and the index seal against the rows.
// Steps 2 and 4 are CheckRestoredBackup, which a restore runs on its staged copy too.
// Nothing of the live data changes. Problems name files, sequence numbers and ids, never values.
#ifndef REGISTRY_SERVER_BACKUP_CHECK_H_
#define REGISTRY_SERVER_BACKUP_CHECK_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "registry/v1/admin.pb.h"
#include "registry/v1/config.pb.h"
#include "server/registry_server.h"
#include "storage/audit_log.h"
#include "storage/database.h"

namespace registry::server {

// Restores backup `backup_id` (0: the newest) of `config`'s backup folder into a scratch folder
// and checks it against `live` (the running server's audit log). An error only when the check
// could not run at all: no such backup (NotFound); no room for the restored copy, before the
// restore (`live_db`'s view of the backup folder's free space: the backup's size plus the space
// kept for audit events) or during it (ResourceExhausted); a scratch folder that cannot be made
// or written (FailedPrecondition). Everything it found is in the response, with ok false.
// Tests only: `after_staging`, when set, runs once the backup is copied into the scratch folder,
// before the copy is checked.
absl::StatusOr<registry::v1::VerifyBackupResponse> CheckBackup(
    const registry::v1::ServerConfig& config, uint32_t backup_id, const storage::AuditLog& live,
    const storage::Database& live_db, const std::function<void()>& after_staging = nullptr);

// The checks of a backup restored into a folder and opened there (`st`), which a restore
// (`registryd --restore_backup`, on the copy it stages beside the data folder, before the copy
// replaces anything) and CheckBackup both run, so that the two cannot drift apart: every block
// of every table file; the audit log's retained events against its root; against `live` (the
// running server's log; null for a restore, which holds the copy's log to the audit watermark
// instead); with `catch_up`, the erasure ledger applied (a restore applies it once the copy is
// swapped in, and leaves the ledger's entries the copy lacks to that); the whole-data check
// (CheckData: records, versions and index rows against the audit log and the ledger); the index
// seal against the rows. Findings go into `r` (its problem count and problems); an error only
// when the check could not run (out of room).
absl::Status CheckRestoredBackup(const StorageStack& st, const storage::AuditLog* live,
                                 bool catch_up, registry::v1::VerifyBackupResponse* r);

// Whether CheckBackup's error `code` is of a check that could not be made (no room for the
// restored copy, a scratch or backup folder that cannot be written or read): it found nothing
// wrong with the backup, and the backup metrics count it as no verification, live and when read
// back from the audit log after a restart. A backup found damaged is a response with ok false.
bool VerificationCouldNotRun(absl::StatusCode code);

// Deletes every scratch folder a check left in `backup_dir` (one that was stopped by a kill or a
// power loss before it could delete its own). Such a folder is an unpruned copy of a backup,
// perhaps from before the erasure ledger was applied to it, so it would keep erased records past
// the backups' own lifetime. registryd calls it at start-up, before serving, and CheckBackup
// before each check (one runs at a time). Returns how many it deleted.
absl::StatusOr<int> RemoveLeftoverScratch(const std::string& backup_dir);

}  // namespace registry::server

#endif  // REGISTRY_SERVER_BACKUP_CHECK_H_
