#include "client/console/registry_api.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/time/clock.h"
#include "absl/time/time.h"

#include "client/grpc_audit_log_source.h"
#include "client/tls_probe.h"
#include "registry/v1/admin.grpc.pb.h"
#include "registry/v1/audit.grpc.pb.h"
#include "registry/v1/info.grpc.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"

namespace registry::console {
namespace {

using client::CallUnary;
using client::ConnectionSettings;

class GrpcRegistry final : public Registry {
 public:
  GrpcRegistry(std::shared_ptr<grpc::Channel> channel, ConnectionSettings settings)
      : channel_(std::move(channel)),
        settings_(std::move(settings)),
        info_(v1::InfoService::NewStub(channel_)),
        records_(v1::RecordService::NewStub(channel_)),
        vetting_(v1::VettingService::NewStub(channel_)),
        audit_(v1::AuditService::NewStub(channel_)),
        admin_(v1::AdminService::NewStub(channel_)) {}

  absl::StatusOr<v1::WhoAmIResponse> WhoAmI() override {
    return Unary(*info_, &v1::InfoService::Stub::WhoAmI, v1::WhoAmIRequest());
  }
  absl::StatusOr<v1::GetReferenceDataResponse> GetReferenceData() override {
    return Unary(*info_, &v1::InfoService::Stub::GetReferenceData, v1::GetReferenceDataRequest());
  }
  absl::StatusOr<v1::CreateRecordResponse> CreateRecord(
      const v1::CreateRecordRequest& request) override {
    return Unary(*records_, &v1::RecordService::Stub::CreateRecord, request);
  }
  absl::StatusOr<v1::GetRecordResponse> GetRecord(const v1::GetRecordRequest& request) override {
    return Unary(*records_, &v1::RecordService::Stub::GetRecord, request);
  }
  absl::StatusOr<v1::SearchRecordsResponse> SearchRecords(
      const v1::SearchRecordsRequest& request) override {
    return Unary(*records_, &v1::RecordService::Stub::SearchRecords, request);
  }
  absl::StatusOr<v1::AmendRecordResponse> AmendRecord(
      const v1::AmendRecordRequest& request) override {
    return Unary(*records_, &v1::RecordService::Stub::AmendRecord, request);
  }
  absl::StatusOr<v1::GetRecordHistoryResponse> GetRecordHistory(
      const v1::GetRecordHistoryRequest& request) override {
    return Unary(*records_, &v1::RecordService::Stub::GetRecordHistory, request);
  }
  absl::StatusOr<v1::RecordStatusResponse> DisputeRecord(
      const v1::DisputeRecordRequest& request) override {
    return Unary(*records_, &v1::RecordService::Stub::DisputeRecord, request);
  }
  absl::StatusOr<v1::RecordStatusResponse> ResolveDispute(
      const v1::ResolveDisputeRequest& request) override {
    return Unary(*records_, &v1::RecordService::Stub::ResolveDispute, request);
  }
  absl::StatusOr<v1::ExpungeRecordResponse> ExpungeRecord(
      const v1::ExpungeRecordRequest& request) override {
    return Unary(*records_, &v1::RecordService::Stub::ExpungeRecord, request);
  }
  absl::StatusOr<v1::ImportRecordsResponse> ImportRecords(
      const v1::ImportRecordsRequest& request) override {
    return Unary(*records_, &v1::RecordService::Stub::ImportRecords, request);
  }
  absl::StatusOr<v1::VettingCheckResponse> VettingCheck(
      const v1::VettingCheckRequest& request) override {
    return Unary(*vetting_, &v1::VettingService::Stub::VettingCheck, request);
  }
  absl::StatusOr<v1::PublicKey> GetVettingPublicKey() override {
    return Unary(*vetting_, &v1::VettingService::Stub::GetVettingPublicKey,
                 v1::GetVettingPublicKeyRequest());
  }
  absl::StatusOr<v1::ListChecksAboutPersonResponse> ListChecksAboutPerson(
      const v1::ListChecksAboutPersonRequest& request) override {
    return Unary(*vetting_, &v1::VettingService::Stub::ListChecksAboutPerson, request);
  }
  absl::StatusOr<v1::ListAuditEventsResponse> ListAuditEvents(
      const v1::ListAuditEventsRequest& request) override {
    return Unary(*audit_, &v1::AuditService::Stub::ListAuditEvents, request);
  }
  absl::Status StreamAuditEvents(
      const v1::StreamAuditEventsRequest& request,
      const std::function<absl::Status(const v1::AuditEntry&)>& on_entry) override {
    grpc::ClientContext context;
    client::PrepareContext(CallSettings(), &context);
    return Probed(Drain(audit_->StreamAuditEvents(&context, request), context, on_entry));
  }
  absl::Status ExportAuditEvents(
      const v1::ExportAuditEventsRequest& request,
      const std::function<absl::Status(const v1::AuditEntry&)>& on_entry) override {
    grpc::ClientContext context;
    client::PrepareContext(CallSettings(), &context);
    return Probed(Drain(audit_->ExportAuditEvents(&context, request), context, on_entry));
  }
  std::unique_ptr<client::AuditLogSource> AuditLog() override {
    return std::make_unique<client::GrpcAuditLogSource>(channel_, CallSettings());
  }
  absl::StatusOr<v1::ListBackupsResponse> ListBackups() override {
    return Unary(*admin_, &v1::AdminService::Stub::ListBackups, v1::ListBackupsRequest());
  }
  absl::StatusOr<v1::BackupInfo> CreateBackup() override {
    return Unary(*admin_, &v1::AdminService::Stub::CreateBackup, v1::CreateBackupRequest());
  }
  absl::StatusOr<v1::VerifyBackupResponse> VerifyBackup(uint32_t backup_id) override {
    v1::VerifyBackupRequest request;
    request.set_backup_id(backup_id);
    return Unary(*admin_, &v1::AdminService::Stub::VerifyBackup, request);
  }
  absl::StatusOr<v1::VerifyDataResponse> VerifyData() override {
    return Unary(*admin_, &v1::AdminService::Stub::VerifyData, v1::VerifyDataRequest());
  }
  absl::StatusOr<v1::RotateKeysResponse> RotateKeys() override {
    return Unary(*admin_, &v1::AdminService::Stub::RotateKeys, v1::RotateKeysRequest());
  }

 private:
  // The settings of one call: a request id of its own. First, a channel that is not connected
  // (the registry was down, or restarted) is given up to two seconds to connect: without a call
  // under way only gRPC's backup poller, every 5 s, drives its handshake, so the console came
  // back many seconds after the registry did; waiting here drives it at once. The wait is no
  // longer than a call's own timeout, so a page of a registry that is down does not take it twice.
  ConnectionSettings CallSettings() const {
    if (channel_->GetState(/*try_to_connect=*/true) != GRPC_CHANNEL_READY) {
      channel_->WaitForConnected(
          absl::ToChronoTime(absl::Now() + std::min(settings_.timeout, absl::Seconds(2))));
    }
    ConnectionSettings settings = settings_;
    settings.request_id = client::GenerateRequestId();
    return settings;
  }

  // Calls one unary RPC, `method` of `stub`, with `request`, under the settings of one call (the
  // deadline, a request id of its own); a failed call's status is converted by ToAbslStatus.
  template <typename Stub, typename Request, typename Response>
  absl::StatusOr<Response> Unary(Stub& stub,
                                 grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                              Response*),
                                 const Request& request) {
    absl::StatusOr<Response> answer =
        CallUnary<Response>(CallSettings(), [&](grpc::ClientContext* c, Response* r) {
          return (stub.*method)(c, request, r);
        });
    if (!answer.ok()) return Probed(answer.status());
    return answer;
  }

  // A call that failed UNAVAILABLE with why the registry was not reached, read as registry-cli
  // reads it (client::WithProbedOutcome): the pages say it in the console's words.
  absl::Status Probed(absl::Status status) const {
    return client::WithProbedOutcome(settings_, std::move(status));
  }

  static absl::Status Drain(std::unique_ptr<grpc::ClientReader<v1::AuditEntry>> reader,
                            grpc::ClientContext& context,
                            const std::function<absl::Status(const v1::AuditEntry&)>& on_entry) {
    v1::AuditEntry entry;
    absl::Status handled;
    while (handled.ok() && reader->Read(&entry)) handled = on_entry(entry);
    if (!handled.ok()) {
      context.TryCancel();
      reader->Finish();
      return handled;
    }
    return client::ToAbslStatus(reader->Finish());
  }

  const std::shared_ptr<grpc::Channel> channel_;
  const ConnectionSettings settings_;
  const std::unique_ptr<v1::InfoService::Stub> info_;
  const std::unique_ptr<v1::RecordService::Stub> records_;
  const std::unique_ptr<v1::VettingService::Stub> vetting_;
  const std::unique_ptr<v1::AuditService::Stub> audit_;
  const std::unique_ptr<v1::AdminService::Stub> admin_;
};

}  // namespace

std::unique_ptr<Registry> NewGrpcRegistry(std::shared_ptr<grpc::Channel> channel,
                                          client::ConnectionSettings settings) {
  return std::make_unique<GrpcRegistry>(std::move(channel), std::move(settings));
}

}  // namespace registry::console
