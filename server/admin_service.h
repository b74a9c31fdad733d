// AdminService: the security officer rotates keys and takes backups. Never reads record contents.
//
// Backups use RocksDB's BackupEngine into the configured backup folder: they hold exactly what the
// data directory holds — ciphertext, blind tokens and the audit log — and no key material (the
// key file is backed up separately, by the officer, offline).
#ifndef REGISTRY_SERVER_ADMIN_SERVICE_H_
#define REGISTRY_SERVER_ADMIN_SERVICE_H_

#include "registry/v1/admin.grpc.pb.h"
#include "server/key_rotator.h"
#include "server/service_deps.h"

namespace registry::server {

class AdminService final : public registry::v1::AdminService::Service {
 public:
  explicit AdminService(const ServiceDeps& deps) : d_(deps) {}

  grpc::Status RotateKeys(grpc::ServerContext* ctx, const registry::v1::RotateKeysRequest* req,
                          registry::v1::RotateKeysResponse* resp) override;
  grpc::Status CreateBackup(grpc::ServerContext* ctx, const registry::v1::CreateBackupRequest* req,
                            registry::v1::BackupInfo* resp) override;
  grpc::Status ListBackups(grpc::ServerContext* ctx, const registry::v1::ListBackupsRequest* req,
                           registry::v1::ListBackupsResponse* resp) override;

 private:
  ServiceDeps d_;
  absl::Mutex backup_mu_;
};

// Restores backup `backup_id` (0: the latest) from backup_dir into data_dir, which must not
// exist or be empty. For `registryd --restore-backup`.
absl::Status RestoreBackup(const std::string& backup_dir, const std::string& data_dir,
                           uint32_t backup_id);

}  // namespace registry::server

#endif  // REGISTRY_SERVER_ADMIN_SERVICE_H_
