// What the console asks registryd, as an interface: GrpcRegistry makes each call over the mTLS
// channel of registry-cli (client/connection.h) with the official's identity; tests put a fake
// in its place (a registry that sends hostile strings, or counts the calls a refused page made).
//
// Every call goes to the server as the same RPC registry-cli makes, so it passes the server's one
// choke point and is audited there; the console decides nothing the server would decide.
#ifndef REGISTRY_CLIENT_CONSOLE_REGISTRY_API_H_
#define REGISTRY_CLIENT_CONSOLE_REGISTRY_API_H_

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/audit_verifier.h"
#include "client/connection.h"
#include "grpcpp/channel.h"
#include "registry/v1/admin.pb.h"
#include "registry/v1/audit.pb.h"
#include "registry/v1/info.pb.h"
#include "registry/v1/records.pb.h"
#include "registry/v1/vetting.pb.h"

namespace registry::console {

namespace v1 = ::registry::v1;

// Thread-safe: pages are served by several threads at once.
class Registry {
 public:
  virtual ~Registry() = default;

  virtual absl::StatusOr<v1::WhoAmIResponse> WhoAmI() = 0;
  virtual absl::StatusOr<v1::GetReferenceDataResponse> GetReferenceData() = 0;

  virtual absl::StatusOr<v1::CreateRecordResponse> CreateRecord(
      const v1::CreateRecordRequest& request) = 0;
  virtual absl::StatusOr<v1::GetRecordResponse> GetRecord(const v1::GetRecordRequest& request) = 0;
  virtual absl::StatusOr<v1::SearchRecordsResponse> SearchRecords(
      const v1::SearchRecordsRequest& request) = 0;
  virtual absl::StatusOr<v1::AmendRecordResponse> AmendRecord(
      const v1::AmendRecordRequest& request) = 0;
  virtual absl::StatusOr<v1::GetRecordHistoryResponse> GetRecordHistory(
      const v1::GetRecordHistoryRequest& request) = 0;
  virtual absl::StatusOr<v1::RecordStatusResponse> DisputeRecord(
      const v1::DisputeRecordRequest& request) = 0;
  virtual absl::StatusOr<v1::RecordStatusResponse> ResolveDispute(
      const v1::ResolveDisputeRequest& request) = 0;
  virtual absl::StatusOr<v1::ExpungeRecordResponse> ExpungeRecord(
      const v1::ExpungeRecordRequest& request) = 0;
  virtual absl::StatusOr<v1::ImportRecordsResponse> ImportRecords(
      const v1::ImportRecordsRequest& request) = 0;

  virtual absl::StatusOr<v1::VettingCheckResponse> VettingCheck(
      const v1::VettingCheckRequest& request) = 0;
  virtual absl::StatusOr<v1::PublicKey> GetVettingPublicKey() = 0;
  virtual absl::StatusOr<v1::ListChecksAboutPersonResponse> ListChecksAboutPerson(
      const v1::ListChecksAboutPersonRequest& request) = 0;

  virtual absl::StatusOr<v1::ListAuditEventsResponse> ListAuditEvents(
      const v1::ListAuditEventsRequest& request) = 0;
  // Calls on_entry for each entry of the stream; stops with on_entry's error.
  virtual absl::Status StreamAuditEvents(
      const v1::StreamAuditEventsRequest& request,
      const std::function<absl::Status(const v1::AuditEntry&)>& on_entry) = 0;
  virtual absl::Status ExportAuditEvents(
      const v1::ExportAuditEventsRequest& request,
      const std::function<absl::Status(const v1::AuditEntry&)>& on_entry) = 0;
  // The log as the verifier (client/audit_verifier.h) reads it; one per verification.
  virtual std::unique_ptr<client::AuditLogSource> AuditLog() = 0;

  // The security officer's: backups (each verified by restoring it into a scratch folder),
  // the whole-data check, key rotation.
  virtual absl::StatusOr<v1::ListBackupsResponse> ListBackups() = 0;
  virtual absl::StatusOr<v1::BackupInfo> CreateBackup() = 0;
  virtual absl::StatusOr<v1::VerifyBackupResponse> VerifyBackup(uint32_t backup_id) = 0;
  virtual absl::StatusOr<v1::VerifyDataResponse> VerifyData() = 0;
  virtual absl::StatusOr<v1::RotateKeysResponse> RotateKeys() = 0;
};

// Calls registryd over `channel`. Each call has the settings' deadline and a request id of its
// own (a console serves many requests; each is one line of the server's log and one event).
std::unique_ptr<Registry> NewGrpcRegistry(std::shared_ptr<grpc::Channel> channel,
                                          client::ConnectionSettings settings);

}  // namespace registry::console

#endif  // REGISTRY_CLIENT_CONSOLE_REGISTRY_API_H_
