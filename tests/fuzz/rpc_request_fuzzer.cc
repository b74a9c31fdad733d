// Fuzzes every RPC's request handling end to end: a real registry (RegistryServer, in this
// process, with mTLS on 127.0.0.1:0 and its database in memory so that a call costs no fsync)
// receives the input's bytes as the request of a method the input picks, from a caller the input
// picks (clerk, court, vetting, auditor, admin, or a certificate the policy does not know). The
// bytes go out as they are, so requests that do not decode reach the server too.
//
// Oracles, exact for each call:
//  - registryd never crashes (under ASan/UBSan: no memory error, no undefined behaviour);
//  - every call, whether its request decodes as the method's message or not, gets exactly one
//    audit event from a known caller (at most one from a stranger, whose refusals are
//    rate-limited), committed before the reply, and never the status INTERNAL, UNKNOWN or
//    UNAVAILABLE (nothing here fails the disk);
//  - a request that does not decode is never answered: it is refused as the caller's role would
//    be, or INVALID_ARGUMENT with exactly one of the two messages server/decode_guard.h gives
//    ("<field>: not valid UTF-8", "request: does not decode as <type>"), which hold no input.
// The registry is started afresh every few thousand calls, so that its log does not grow without
// bound over a long run.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/client_unary_call.h"
#include "grpcpp/impl/rpc_method.h"
#include "grpcpp/support/sync_stream.h"
#include "registry/v1/admin.pb.h"
#include "registry/v1/audit.pb.h"
#include "registry/v1/info.pb.h"
#include "registry/v1/records.pb.h"
#include "registry/v1/vetting.pb.h"
#include "rocksdb/env.h"
#include "tests/testing/test_server.h"

namespace {

namespace v1 = registry::v1;

struct Method {
  const char* name;
  const google::protobuf::Message* request;
  bool streaming;
};

// Every RPC but two: RotateKeys and CreateBackup take empty requests (nothing to validate) and
// each call would add a key version or a backup, growing the files without bound.
const std::vector<Method>& Methods() {
  static const auto* methods = new std::vector<Method>{
      {"/registry.v1.RecordService/CreateRecord", &v1::CreateRecordRequest::default_instance(), false},
      {"/registry.v1.RecordService/GetRecord", &v1::GetRecordRequest::default_instance(), false},
      {"/registry.v1.RecordService/SearchRecords", &v1::SearchRecordsRequest::default_instance(), false},
      {"/registry.v1.RecordService/AmendRecord", &v1::AmendRecordRequest::default_instance(), false},
      {"/registry.v1.RecordService/GetRecordHistory", &v1::GetRecordHistoryRequest::default_instance(), false},
      {"/registry.v1.RecordService/DisputeRecord", &v1::DisputeRecordRequest::default_instance(), false},
      {"/registry.v1.RecordService/ResolveDispute", &v1::ResolveDisputeRequest::default_instance(), false},
      {"/registry.v1.RecordService/ExpungeRecord", &v1::ExpungeRecordRequest::default_instance(), false},
      {"/registry.v1.RecordService/ImportRecords", &v1::ImportRecordsRequest::default_instance(), false},
      {"/registry.v1.VettingService/VettingCheck", &v1::VettingCheckRequest::default_instance(), false},
      {"/registry.v1.VettingService/GetVettingPublicKey", &v1::GetVettingPublicKeyRequest::default_instance(), false},
      {"/registry.v1.VettingService/ListChecksAboutPerson", &v1::ListChecksAboutPersonRequest::default_instance(), false},
      {"/registry.v1.AuditService/ListAuditEvents", &v1::ListAuditEventsRequest::default_instance(), false},
      {"/registry.v1.AuditService/StreamAuditEvents", &v1::StreamAuditEventsRequest::default_instance(), true},
      {"/registry.v1.AuditService/ExportAuditEvents", &v1::ExportAuditEventsRequest::default_instance(), true},
      {"/registry.v1.AuditService/GetSignedTreeHead", &v1::GetSignedTreeHeadRequest::default_instance(), false},
      {"/registry.v1.AuditService/GetInclusionProof", &v1::GetInclusionProofRequest::default_instance(), false},
      {"/registry.v1.AuditService/GetConsistencyProof", &v1::GetConsistencyProofRequest::default_instance(), false},
      {"/registry.v1.AuditService/GetAuditPublicKey", &v1::GetAuditPublicKeyRequest::default_instance(), false},
      {"/registry.v1.AuditService/GetPrunedPrefix", &v1::GetPrunedPrefixRequest::default_instance(), false},
      {"/registry.v1.AdminService/ListBackups", &v1::ListBackupsRequest::default_instance(), false},
      {"/registry.v1.AdminService/VerifyData", &v1::VerifyDataRequest::default_instance(), false},
      {"/registry.v1.InfoService/WhoAmI", &v1::WhoAmIRequest::default_instance(), false},
      {"/registry.v1.InfoService/GetReferenceData", &v1::GetReferenceDataRequest::default_instance(), false},
  };
  return *methods;
}

constexpr const char* kCallers[] = {"clerk", "court", "vetting", "auditor", "admin", "unlisted"};
constexpr int kKnownCallers = 5;
constexpr int kCallsPerServer = 5000;

struct Registry {
  std::unique_ptr<rocksdb::Env> env;
  std::unique_ptr<registry::testing::TestServer> server;
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  int calls = 0;
};

Registry* Fresh(Registry* old) {
  delete old;  // stops the server before its memory file system goes
  auto* r = new Registry();
  r->env.reset(rocksdb::NewMemEnv(rocksdb::Env::Default()));
  registry::testing::TestServerOptions options;
  options.storage_env = r->env.get();
  auto policy = registry::testing::DevPolicy();
  // The fuzzer checks answers, not the throttle.
  for (auto& org : *policy.mutable_organisations()) {
    if (!org.has_rate_limit()) continue;
    org.mutable_rate_limit()->set_per_minute(100000);
    org.mutable_rate_limit()->set_burst(100000);
  }
  options.policy = std::make_unique<v1::AccessPolicy>(policy);
  r->server = registry::testing::TestServer::Start(std::move(options));
  for (const char* caller : kCallers) r->channels.push_back(r->server->Channel(caller));
  return r;
}

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "rpc_request_fuzzer: %s\n", what.c_str());
  std::abort();
}

uint64_t Events(Registry* r) { return r->server->server()->audit_log()->CurrentHead().size; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Registry* registry = Fresh(nullptr);
  if (++registry->calls > kCallsPerServer) registry = Fresh(registry);
  if (size < 2) return 0;
  const Method& method = Methods()[data[0] % Methods().size()];
  const int caller = data[1] % (sizeof(kCallers) / sizeof(kCallers[0]));
  const std::string bytes(reinterpret_cast<const char*>(data + 2), size - 2);
  std::unique_ptr<google::protobuf::Message> decoded(method.request->New());
  const bool decodes = decoded->ParseFromString(bytes);

  const uint64_t before = Events(registry);
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  grpc::Channel* channel = registry->channels[caller].get();
  grpc::Status status;
  if (method.streaming) {
    const grpc::internal::RpcMethod rpc(method.name, grpc::internal::RpcMethod::SERVER_STREAMING);
    std::unique_ptr<grpc::ClientReader<grpc::ByteBuffer>> reader(
        grpc::internal::ClientReaderFactory<grpc::ByteBuffer>::Create(channel, rpc, &ctx,
                                                                      request));
    grpc::ByteBuffer message;
    while (reader->Read(&message)) {
    }
    status = reader->Finish();
  } else {
    const grpc::internal::RpcMethod rpc(method.name, grpc::internal::RpcMethod::NORMAL_RPC);
    grpc::ByteBuffer response;
    status = grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
        channel, rpc, &ctx, request, &response);
  }
  const uint64_t events = Events(registry) - before;

  if (!decodes) {
    if (status.ok()) Fail(absl::StrCat(method.name, ": a request that does not decode was answered"));
    const std::string& text = status.error_message();
    const std::string whole =
        absl::StrCat("request: does not decode as ", method.request->GetDescriptor()->full_name());
    if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT && text != whole &&
        !(absl::EndsWith(text, ": not valid UTF-8") &&
          text.find(' ') == text.size() - std::string(" not valid UTF-8").size())) {
      Fail(absl::StrCat(method.name, ": an undecodable request was answered \"", text, "\""));
    }
  }
  const bool known = caller < kKnownCallers;
  if (known ? events != 1 : events > 1) {
    Fail(absl::StrCat(method.name, " as ", kCallers[caller], ": ", events,
                      " audit events for one call (status ", status.error_code(), " ",
                      status.error_message(), ")"));
  }
  switch (status.error_code()) {
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::UNAVAILABLE:
      Fail(absl::StrCat(method.name, " as ", kCallers[caller], ": status ", status.error_code(),
                        " ", status.error_message()));
    default:
      break;
  }
  return 0;
}
