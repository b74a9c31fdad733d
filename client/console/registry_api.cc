#include "client/console/registry_api.h"

#include <utility>

#include "client/grpc_audit_log_source.h"
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
    return Unary<v1::WhoAmIResponse>([&](grpc::ClientContext* c, v1::WhoAmIResponse* r) {
      return info_->WhoAmI(c, v1::WhoAmIRequest(), r);
    });
  }
  absl::StatusOr<v1::GetReferenceDataResponse> GetReferenceData() override {
    return Unary<v1::GetReferenceDataResponse>(
        [&](grpc::ClientContext* c, v1::GetReferenceDataResponse* r) {
          return info_->GetReferenceData(c, v1::GetReferenceDataRequest(), r);
        });
  }
  absl::StatusOr<v1::CreateRecordResponse> CreateRecord(
      const v1::CreateRecordRequest& request) override {
    return Unary<v1::CreateRecordResponse>(
        [&](grpc::ClientContext* c, v1::CreateRecordResponse* r) {
          return records_->CreateRecord(c, request, r);
        });
  }
  absl::StatusOr<v1::GetRecordResponse> GetRecord(const v1::GetRecordRequest& request) override {
    return Unary<v1::GetRecordResponse>([&](grpc::ClientContext* c, v1::GetRecordResponse* r) {
      return records_->GetRecord(c, request, r);
    });
  }
  absl::StatusOr<v1::SearchRecordsResponse> SearchRecords(
      const v1::SearchRecordsRequest& request) override {
    return Unary<v1::SearchRecordsResponse>(
        [&](grpc::ClientContext* c, v1::SearchRecordsResponse* r) {
          return records_->SearchRecords(c, request, r);
        });
  }
  absl::StatusOr<v1::AmendRecordResponse> AmendRecord(
      const v1::AmendRecordRequest& request) override {
    return Unary<v1::AmendRecordResponse>([&](grpc::ClientContext* c, v1::AmendRecordResponse* r) {
      return records_->AmendRecord(c, request, r);
    });
  }
  absl::StatusOr<v1::GetRecordHistoryResponse> GetRecordHistory(
      const v1::GetRecordHistoryRequest& request) override {
    return Unary<v1::GetRecordHistoryResponse>(
        [&](grpc::ClientContext* c, v1::GetRecordHistoryResponse* r) {
          return records_->GetRecordHistory(c, request, r);
        });
  }
  absl::StatusOr<v1::RecordStatusResponse> DisputeRecord(
      const v1::DisputeRecordRequest& request) override {
    return Unary<v1::RecordStatusResponse>(
        [&](grpc::ClientContext* c, v1::RecordStatusResponse* r) {
          return records_->DisputeRecord(c, request, r);
        });
  }
  absl::StatusOr<v1::RecordStatusResponse> ResolveDispute(
      const v1::ResolveDisputeRequest& request) override {
    return Unary<v1::RecordStatusResponse>(
        [&](grpc::ClientContext* c, v1::RecordStatusResponse* r) {
          return records_->ResolveDispute(c, request, r);
        });
  }
  absl::StatusOr<v1::ExpungeRecordResponse> ExpungeRecord(
      const v1::ExpungeRecordRequest& request) override {
    return Unary<v1::ExpungeRecordResponse>(
        [&](grpc::ClientContext* c, v1::ExpungeRecordResponse* r) {
          return records_->ExpungeRecord(c, request, r);
        });
  }
  absl::StatusOr<v1::ImportRecordsResponse> ImportRecords(
      const v1::ImportRecordsRequest& request) override {
    return Unary<v1::ImportRecordsResponse>(
        [&](grpc::ClientContext* c, v1::ImportRecordsResponse* r) {
          return records_->ImportRecords(c, request, r);
        });
  }
  absl::StatusOr<v1::VettingCheckResponse> VettingCheck(
      const v1::VettingCheckRequest& request) override {
    return Unary<v1::VettingCheckResponse>(
        [&](grpc::ClientContext* c, v1::VettingCheckResponse* r) {
          return vetting_->VettingCheck(c, request, r);
        });
  }
  absl::StatusOr<v1::PublicKey> GetVettingPublicKey() override {
    return Unary<v1::PublicKey>([&](grpc::ClientContext* c, v1::PublicKey* r) {
      return vetting_->GetVettingPublicKey(c, v1::GetVettingPublicKeyRequest(), r);
    });
  }
  absl::StatusOr<v1::ListChecksAboutPersonResponse> ListChecksAboutPerson(
      const v1::ListChecksAboutPersonRequest& request) override {
    return Unary<v1::ListChecksAboutPersonResponse>(
        [&](grpc::ClientContext* c, v1::ListChecksAboutPersonResponse* r) {
          return vetting_->ListChecksAboutPerson(c, request, r);
        });
  }
  absl::StatusOr<v1::ListAuditEventsResponse> ListAuditEvents(
      const v1::ListAuditEventsRequest& request) override {
    return Unary<v1::ListAuditEventsResponse>(
        [&](grpc::ClientContext* c, v1::ListAuditEventsResponse* r) {
          return audit_->ListAuditEvents(c, request, r);
        });
  }
  absl::Status StreamAuditEvents(
      const v1::StreamAuditEventsRequest& request,
      const std::function<absl::Status(const v1::AuditEntry&)>& on_entry) override {
    grpc::ClientContext context;
    client::PrepareContext(CallSettings(), &context);
    return Drain(audit_->StreamAuditEvents(&context, request), context, on_entry);
  }
  absl::Status ExportAuditEvents(
      const v1::ExportAuditEventsRequest& request,
      const std::function<absl::Status(const v1::AuditEntry&)>& on_entry) override {
    grpc::ClientContext context;
    client::PrepareContext(CallSettings(), &context);
    return Drain(audit_->ExportAuditEvents(&context, request), context, on_entry);
  }
  std::unique_ptr<client::AuditLogSource> AuditLog() override {
    return std::make_unique<client::GrpcAuditLogSource>(channel_, CallSettings());
  }
  absl::StatusOr<v1::ListBackupsResponse> ListBackups() override {
    return Unary<v1::ListBackupsResponse>([&](grpc::ClientContext* c, v1::ListBackupsResponse* r) {
      return admin_->ListBackups(c, v1::ListBackupsRequest(), r);
    });
  }
  absl::StatusOr<v1::BackupInfo> CreateBackup() override {
    return Unary<v1::BackupInfo>([&](grpc::ClientContext* c, v1::BackupInfo* r) {
      return admin_->CreateBackup(c, v1::CreateBackupRequest(), r);
    });
  }
  absl::StatusOr<v1::VerifyDataResponse> VerifyData() override {
    return Unary<v1::VerifyDataResponse>([&](grpc::ClientContext* c, v1::VerifyDataResponse* r) {
      return admin_->VerifyData(c, v1::VerifyDataRequest(), r);
    });
  }
  absl::StatusOr<v1::RotateKeysResponse> RotateKeys() override {
    return Unary<v1::RotateKeysResponse>([&](grpc::ClientContext* c, v1::RotateKeysResponse* r) {
      return admin_->RotateKeys(c, v1::RotateKeysRequest(), r);
    });
  }

 private:
  // The settings of one call: a request id of its own.
  ConnectionSettings CallSettings() const {
    ConnectionSettings settings = settings_;
    settings.request_id = client::GenerateRequestId();
    return settings;
  }

  template <typename Response, typename Call>
  absl::StatusOr<Response> Unary(Call call) {
    return CallUnary<Response>(CallSettings(), call);
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
