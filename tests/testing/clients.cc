#include "tests/testing/clients.h"

#include <chrono>

#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/impl/rpc_method.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/sync_stream.h"

#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/grpc_security_constants.h"
#include "gtest/gtest.h"
#include "registry/v1/admin.grpc.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "server/identity.h"

namespace registry::testing {

namespace v1 = registry::v1;

std::chrono::system_clock::time_point CallDeadline() {
  return std::chrono::system_clock::now() + std::chrono::seconds(60);
}

std::unique_ptr<grpc::ClientContext> NewCallContext(absl::string_view request_id) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(CallDeadline());
  if (!request_id.empty()) ctx->AddMetadata("x-request-id", std::string(request_id));
  return ctx;
}

grpc::Status GetVettingPublicKeyOn(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::ClientContext ctx;
  ctx.set_deadline(CallDeadline());
  v1::PublicKey key;
  return v1::VettingService::NewStub(channel)->GetVettingPublicKey(
      &ctx, v1::GetVettingPublicKeyRequest(), &key);
}

grpc::Status CallWithoutRequest(const TestServer& server, absl::string_view identity,
                                const std::string& method) {
  grpc::ClientContext ctx;
  ctx.set_deadline(CallDeadline());
  grpc::ByteBuffer out;
  std::unique_ptr<grpc::ClientWriter<grpc::ByteBuffer>> writer(
      grpc::internal::ClientWriterFactory<grpc::ByteBuffer>::Create(
          server.Channel(identity).get(),
          grpc::internal::RpcMethod(method.c_str(), grpc::internal::RpcMethod::CLIENT_STREAMING),
          &ctx, &out));
  writer->WritesDone();
  return writer->Finish();
}

grpc::Status CreateRecordAs(const TestServer& server, absl::string_view identity,
                            const v1::CreateRecordRequest& request, std::string* record_id) {
  grpc::ClientContext ctx;
  ctx.set_deadline(CallDeadline());
  v1::CreateRecordResponse resp;
  const grpc::Status s =
      v1::RecordService::NewStub(server.Channel(identity))->CreateRecord(&ctx, request, &resp);
  if (record_id != nullptr) *record_id = resp.record_id();
  return s;
}

std::string CreatedRecordId(const TestServer& server, absl::string_view identity,
                            const v1::CreateRecordRequest& request) {
  std::string id;
  const grpc::Status s = CreateRecordAs(server, identity, request, &id);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return id;
}

v1::BackupInfo CreatedBackup(const TestServer& server) {
  grpc::ClientContext ctx;
  ctx.set_deadline(CallDeadline());
  v1::BackupInfo info;
  const grpc::Status s = v1::AdminService::NewStub(server.Channel("admin"))
                             ->CreateBackup(&ctx, v1::CreateBackupRequest(), &info);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return info;
}

grpc::Status GetRecordAs(const TestServer& server, absl::string_view identity,
                         const std::string& record_id, v1::Record* record,
                         const v1::Purpose* purpose) {
  grpc::ClientContext ctx;
  ctx.set_deadline(CallDeadline());
  v1::GetRecordRequest req;
  req.set_record_id(record_id);
  if (purpose != nullptr) *req.mutable_purpose() = *purpose;
  v1::GetRecordResponse resp;
  const grpc::Status s =
      v1::RecordService::NewStub(server.Channel(identity))->GetRecord(&ctx, req, &resp);
  if (record != nullptr) *record = resp.record();
  return s;
}

v1::Purpose CourtPurpose() {
  v1::Purpose purpose;
  purpose.set_case_reference("PKR 77/2026");
  purpose.set_purpose_code("criminal_proceedings");
  return purpose;
}

grpc::Status SearchRecordsAs(const TestServer& server, absl::string_view identity,
                             v1::SearchRecordsRequest request,
                             v1::SearchRecordsResponse* response) {
  grpc::ClientContext ctx;
  ctx.set_deadline(CallDeadline());
  if (!request.has_purpose()) *request.mutable_purpose() = CourtPurpose();
  v1::SearchRecordsResponse resp;
  const grpc::Status s =
      v1::RecordService::NewStub(server.Channel(identity))->SearchRecords(&ctx, request, &resp);
  if (response != nullptr) *response = std::move(resp);
  return s;
}

grpc::Status ExpungeRecordAs(const TestServer& server, absl::string_view identity,
                             const std::string& record_id, absl::string_view legal_basis) {
  grpc::ClientContext ctx;
  ctx.set_deadline(CallDeadline());
  v1::ExpungeRecordRequest req;
  req.set_record_id(record_id);
  req.set_legal_basis(std::string(legal_basis));
  v1::ExpungeRecordResponse resp;
  return v1::RecordService::NewStub(server.Channel(identity))->ExpungeRecord(&ctx, req, &resp);
}

v1::VettingResult VetAs(const TestServer& server, absl::string_view identity,
                        const v1::Person& person) {
  grpc::ClientContext ctx;
  ctx.set_deadline(CallDeadline());
  v1::VettingCheckResponse resp;
  const grpc::Status s = v1::VettingService::NewStub(server.Channel(identity))
                             ->VettingCheck(&ctx, CandidateOf(person), &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp.result();
}

grpc::Status CallWithRequest(const std::shared_ptr<grpc::Channel>& channel,
                             const std::string& method, const std::string& request_bytes,
                             grpc_compression_algorithm compression) {
  return CallWithRequests(channel, method, {request_bytes}, compression);
}

grpc::Status CallWithRequests(const std::shared_ptr<grpc::Channel>& channel,
                              const std::string& method, const std::vector<std::string>& requests,
                              grpc_compression_algorithm compression) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  if (compression != GRPC_COMPRESS_NONE) ctx.set_compression_algorithm(compression);
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call = stub.PrepareCall(&ctx, method, &cq);
  auto wait = [&cq]() {
    void* tag = nullptr;
    bool ok = false;
    if (!cq.Next(&tag, &ok)) return false;
    return ok;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  bool written = wait();
  for (const std::string& one : requests) {
    if (!written) break;
    grpc::Slice bytes(one);
    grpc::ByteBuffer request(&bytes, 1);
    call->Write(request, reinterpret_cast<void*>(2));
    written = wait();
  }
  if (written) {
    call->WritesDone(reinterpret_cast<void*>(3));
    if (wait()) {
      grpc::ByteBuffer reply;
      do {
        call->Read(&reply, reinterpret_cast<void*>(4));
      } while (wait());
    }
  }
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  wait();
  cq.Shutdown();
  void* tag;
  bool ok;
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

std::string ServerCertificateSeenBy(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::health::v1::HealthCheckResponse resp;
  if (!grpc::health::v1::Health::NewStub(channel)->Check(&ctx, {}, &resp).ok()) return "";
  const std::shared_ptr<const grpc::AuthContext> auth = ctx.auth_context();
  if (auth == nullptr) return "";
  for (const grpc::string_ref& pem : auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME)) {
    auto fp = server::CertificateFingerprint(absl::string_view(pem.data(), pem.size()));
    if (fp.ok()) return *fp;
  }
  return "";
}

}  // namespace registry::testing
