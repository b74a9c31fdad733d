// AdminService: the security officer rotates keys and takes backups. Never reads record contents.
//
// Backups (storage/backups.h) go into the configured backup folder: they hold exactly what the
// data directory holds — ciphertext, blind tokens and the audit log — and no key material (the
// key file and the erasure ledger are backed up separately, by the officer, offline). Each new
// backup prunes the older ones beyond the configured retention. VerifyBackup restores one into a
// scratch folder and checks it (server/backup_check.h).
#ifndef REGISTRY_SERVER_ADMIN_SERVICE_H_
#define REGISTRY_SERVER_ADMIN_SERVICE_H_

#include <string>

#include "registry/v1/admin.grpc.pb.h"
#include "registry/v1/config.pb.h"
#include "server/bytes_served.h"
#include "server/call_gate.h"
#include "server/key_rotator.h"
#include "server/metrics.h"
#include "storage/audit_log.h"
#include "storage/audit_watermark.h"
#include "storage/backups.h"
#include "storage/check_store.h"
#include "storage/database.h"
#include "storage/erasure_ledger.h"
#include "storage/record_store.h"

namespace registry::server {

class AdminService final : public BytesServed<registry::v1::AdminService> {
 public:
  // What the data check reads (the records, the vetting histories, the audit log, the erasure
  // ledger) and the database that backups copy; none owned, each must outlive the service.
  // Backups go into `backup_dir` and are pruned as `keep` says.
  struct Deps {
    CallGate* gate;
    KeyRotator* rotator;
    storage::Database* db;
    const storage::RecordStore* records;
    const storage::CheckStore* checks;
    const storage::AuditLog* audit;
    const storage::ErasureLedger* ledger;
    std::string backup_dir;
    registry::v1::BackupConfig keep;
    // For VerifyBackup, which restores a copy the way registryd would (server/backup_check.h).
    const registry::v1::ServerConfig* config;
    // For the scheduled backup's time; counts for the metrics listener (may be null).
    const Clock* clock;
    Metrics* metrics;
    // Keeps a finding of VerifyData that could change a vetting answer (IndexSeal::KeepBroken)
    // before the reply, as the scheduled data check keeps its own; null: not kept (tests).
    storage::AuditWatermark* watermark = nullptr;
  };
  explicit AdminService(Deps deps) : BytesServed(deps.gate), d_(std::move(deps)) {
    ServeAsBytes(&AdminService::RotateKeys);
    ServeAsBytes(&AdminService::CreateBackup);
    ServeAsBytes(&AdminService::ListBackups);
    ServeAsBytes(&AdminService::VerifyData);
    ServeAsBytes(&AdminService::VerifyBackup);
  }

  grpc::Status RotateKeys(grpc::ServerContext* ctx, const registry::v1::RotateKeysRequest* req,
                          registry::v1::RotateKeysResponse* resp) override;
  grpc::Status CreateBackup(grpc::ServerContext* ctx, const registry::v1::CreateBackupRequest* req,
                            registry::v1::BackupInfo* resp) override;
  grpc::Status ListBackups(grpc::ServerContext* ctx, const registry::v1::ListBackupsRequest* req,
                           registry::v1::ListBackupsResponse* resp) override;
  grpc::Status VerifyData(grpc::ServerContext* ctx, const registry::v1::VerifyDataRequest* req,
                          registry::v1::VerifyDataResponse* resp) override;
  grpc::Status VerifyBackup(grpc::ServerContext* ctx, const registry::v1::VerifyBackupRequest* req,
                            registry::v1::VerifyBackupResponse* resp) override;

  // The backup schedule's run: a backup and its pruning, exactly as CreateBackup, recorded as
  // actor "system:backup", action "scheduled-backup".
  absl::StatusOr<registry::v1::BackupInfo> ScheduledBackup();

  // Reads the backup folder and tells the metrics how many backups there are and when the newest
  // was made. Returns the newest's time (absl::InfinitePast() when none). Warns, one line each,
  // of backups whose recorded date is later than it can be (storage::Backups::List clamps it).
  absl::StatusOr<absl::Time> RefreshBackupMetrics();

 private:
  // Makes a backup, commits its event with `commit` (the call's, or a system event), then
  // deletes the backups retention no longer keeps. Holds backup_mu_.
  absl::Status MakeBackup(absl::Time now, registry::v1::AuditEvent* event,
                          const std::function<absl::Status()>& commit,
                          registry::v1::BackupInfo* out);
  void NoteBackups(storage::Backups* backups);

  const Deps d_;
  absl::Mutex backup_mu_;
};

}  // namespace registry::server

#endif  // REGISTRY_SERVER_ADMIN_SERVICE_H_
