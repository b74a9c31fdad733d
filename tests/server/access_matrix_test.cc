// Deny by default, for every RPC of the v1 API: the method rules (read from the protos' access
// options) name every method the protos define (and nothing else), and a real mTLS server lets
// exactly docs/domain.md's roles call each method. Every refusal is PERMISSION_DENIED and leaves exactly one audit event.
//
// The expected matrix below is written out from docs/domain.md's role table and the proto comments,
// independently of the access options in proto/registry/v1, so that a wrong option fails here.
#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "registry/v1/admin.grpc.pb.h"
#include "registry/v1/audit.grpc.pb.h"
#include "registry/v1/common.pb.h"
#include "registry/v1/info.grpc.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "server/method_table.h"
#include "tests/testing/api_protos.h"
#include "tests/testing/audit_events.h"
#include "tests/testing/clients.h"
#include "tests/testing/methods.h"
#include "tests/testing/outcome.h"
#include "tests/testing/principals.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

namespace pb = google::protobuf;


// docs/domain.md's role table, one line per RPC.
const std::map<std::string, std::set<std::string>>& ExpectedRoles() {
  static const auto* const kRoles = new std::map<std::string, std::set<std::string>>{
      {"/registry.v1.RecordService/CreateRecord", {"clerk"}},
      {"/registry.v1.RecordService/GetRecord", {"clerk", "court"}},
      {"/registry.v1.RecordService/SearchRecords", {"clerk", "court"}},
      {"/registry.v1.RecordService/AmendRecord", {"clerk"}},
      {"/registry.v1.RecordService/GetRecordHistory", {"clerk", "court"}},
      {"/registry.v1.RecordService/DisputeRecord", {"clerk"}},
      {"/registry.v1.RecordService/ResolveDispute", {"clerk"}},
      {"/registry.v1.RecordService/ExpungeRecord", {"clerk"}},
      {"/registry.v1.RecordService/ImportRecords", {"clerk"}},
      {"/registry.v1.VettingService/VettingCheck", {"vetting"}},
      {"/registry.v1.VettingService/GetVettingPublicKey",
       {"clerk", "court", "vetting", "auditor", "admin"}},
      {"/registry.v1.VettingService/ListChecksAboutPerson", {"clerk"}},
      {"/registry.v1.AuditService/ListAuditEvents", {"auditor"}},
      {"/registry.v1.AuditService/StreamAuditEvents", {"auditor"}},
      {"/registry.v1.AuditService/StreamAuditBatches", {"auditor"}},
      {"/registry.v1.AuditService/ExportAuditEvents", {"auditor"}},
      {"/registry.v1.AuditService/GetSignedTreeHead", {"auditor"}},
      {"/registry.v1.AuditService/GetInclusionProof", {"auditor"}},
      {"/registry.v1.AuditService/GetConsistencyProof", {"auditor"}},
      {"/registry.v1.AuditService/GetAuditPublicKey", {"auditor"}},
      {"/registry.v1.AuditService/GetPrunedPrefix", {"auditor"}},
      {"/registry.v1.AdminService/RotateKeys", {"admin"}},
      {"/registry.v1.AdminService/CreateBackup", {"admin"}},
      {"/registry.v1.AdminService/ListBackups", {"admin"}},
      {"/registry.v1.AdminService/VerifyData", {"admin"}},
      {"/registry.v1.AdminService/VerifyBackup", {"admin"}},
      {"/registry.v1.InfoService/WhoAmI", {"clerk", "court", "vetting", "auditor", "admin"}},
      {"/registry.v1.InfoService/GetReferenceData", {"clerk", "court"}},
  };
  return *kRoles;
}

std::string FullName(const pb::MethodDescriptor* m) {
  return absl::StrCat("/", m->service()->full_name(), "/", m->name());
}

// Every service of every .proto under proto/registry/v1, so a new file or service cannot be
// missed.
std::vector<const pb::ServiceDescriptor*> ApiServices() {
  const testing::ApiProtos api = testing::ListApiProtos();
  for (const std::string& problem : api.missing) ADD_FAILURE() << problem;
  return api.Services();
}

std::vector<const pb::MethodDescriptor*> ApiMethods() {
  return testing::ListApiProtos().Methods();
}

TEST(MethodTableTest, ApiHasTheFiveServices) {
  std::set<std::string> names;
  for (const pb::ServiceDescriptor* s : ApiServices()) names.insert(s->full_name());
  EXPECT_EQ(names, (std::set<std::string>{"registry.v1.RecordService", "registry.v1.VettingService",
                                          "registry.v1.AuditService", "registry.v1.AdminService",
                                          "registry.v1.InfoService"}));
}

TEST(MethodTableTest, EveryApiMethodHasARule) {
  const std::vector<const pb::MethodDescriptor*> methods = ApiMethods();
  ASSERT_GE(methods.size(), 22u);
  for (const pb::MethodDescriptor* m : methods) {
    const server::MethodRule* rule = server::FindMethodRule(FullName(m));
    ASSERT_NE(rule, nullptr) << FullName(m) << " has no rule: its (registry.v1.access) option is missing or incomplete";
    EXPECT_FALSE(rule->roles.empty()) << FullName(m);
  }
}

TEST(MethodTableTest, EveryRuleNamesAnApiMethod) {
  std::set<std::string> api;
  for (const pb::MethodDescriptor* m : ApiMethods()) api.insert(FullName(m));
  std::set<std::string> seen;
  for (const server::MethodRule& rule : server::AllMethodRules()) {
    EXPECT_TRUE(api.count(rule.method)) << rule.method << " is not an RPC of the v1 API";
    EXPECT_TRUE(seen.insert(rule.method).second) << rule.method << " is listed twice";
    // The form gRPC uses on the wire: "/package.Service/Method".
    std::vector<std::string> parts = absl::StrSplit(rule.method, '/');
    ASSERT_EQ(parts.size(), 3u) << rule.method;
    EXPECT_TRUE(parts[0].empty()) << rule.method;
    const pb::ServiceDescriptor* service =
        pb::DescriptorPool::generated_pool()->FindServiceByName(parts[1]);
    ASSERT_NE(service, nullptr) << rule.method;
    EXPECT_NE(service->FindMethodByName(parts[2]), nullptr) << rule.method;
  }
}

TEST(MethodTableTest, UnknownMethodHasNoRule) {
  EXPECT_EQ(server::FindMethodRule("/registry.v1.RecordService/DeleteEverything"), nullptr);
  EXPECT_EQ(server::FindMethodRule("registry.v1.RecordService/GetRecord"), nullptr);
  EXPECT_EQ(server::FindMethodRule(""), nullptr);
}

TEST(MethodTableTest, ExpectedMatrixCoversEveryApiMethod) {
  std::set<std::string> api;
  for (const pb::MethodDescriptor* m : ApiMethods()) api.insert(FullName(m));
  std::set<std::string> expected;
  for (const auto& [method, roles] : ExpectedRoles()) expected.insert(method);
  EXPECT_EQ(api, expected) << "a new RPC needs a line in this test's role table";
}

TEST(MethodTableTest, TableRolesMatchDomainRoleTable) {
  for (const auto& [method, roles] : ExpectedRoles()) {
    const server::MethodRule* rule = server::FindMethodRule(method);
    ASSERT_NE(rule, nullptr) << method;
    std::set<std::string> got;
    for (v1::Role r : rule->roles) got.insert(DevIdentityOf(r));
    EXPECT_EQ(got, roles) << method;
  }
}

TEST(MethodTableTest, PurposeAndConsentRules) {
  for (const char* m : {"/registry.v1.RecordService/GetRecord",
                        "/registry.v1.RecordService/SearchRecords",
                        "/registry.v1.RecordService/GetRecordHistory"}) {
    const server::MethodRule* rule = server::FindMethodRule(m);
    ASSERT_NE(rule, nullptr) << m;
    EXPECT_TRUE(rule->court_needs_purpose) << m;
    EXPECT_TRUE(rule->discloses) << m;
  }
  const server::MethodRule* check =
      server::FindMethodRule("/registry.v1.VettingService/VettingCheck");
  ASSERT_NE(check, nullptr);
  EXPECT_TRUE(check->needs_consent);
}

// ---- The matrix through a real server ----

struct Identity {
  const char* pki_name;  // folder of the dev PKI
  const char* actor;     // the actor its events name
  const char* role;      // its role in the dev policy; "" when the policy does not name it
};

const Identity kIdentities[] = {
    {"clerk", kClerkId, "clerk"},
    {"court", kCourtId, "court"},
    {"vetting", kVettingId, "vetting"},
    {"auditor", kAuditorId, "auditor"},
    {"admin", kAdminId, "admin"},
    // Trusted CA, but no principal in the policy: its identity is not recorded.
    {"unlisted", "unlisted certificate", ""},
};

void PrintTo(const Identity& identity, std::ostream* os) { *os << identity.pki_name; }

grpc::Status CallWithEmptyRequest(const std::shared_ptr<grpc::Channel>& channel,
                                  const std::string& method) {
  return CallWithRequest(channel, method, "");
}

// Every refusal of an unknown certificate is audited up to a per-certificate burst
// (server/refusal_limiter.h); the matrix makes more calls than the default burst from one
// certificate and checks each one's event, so it raises the burst.
std::unique_ptr<TestServer> StartWithRoomyRefusalBurst() {
  testing::TestServerOptions options;
  options.unknown_callers.set_audited_burst(1000);
  return TestServer::Start(std::move(options));
}

class AccessMatrixTest : public ::testing::TestWithParam<Identity> {
 protected:
  void SetUp() override { server_ = StartWithRoomyRefusalBurst(); }
  std::unique_ptr<TestServer> server_;
};

TEST_P(AccessMatrixTest, EveryMethodAllowsExactlyItsRoles) {
  const Identity& who = GetParam();
  std::shared_ptr<grpc::Channel> channel = server_->Channel(who.pki_name);
  storage::AuditLog* log = server_->server()->audit_log();
  const std::vector<const pb::MethodDescriptor*> methods = ApiMethods();
  ASSERT_GE(methods.size(), 22u);
  int allowed_calls = 0;
  for (const pb::MethodDescriptor* m : methods) {
    const std::string method = FullName(m);
    SCOPED_TRACE(absl::StrCat(who.pki_name, " calls ", method));
    auto expected = ExpectedRoles().find(method);
    ASSERT_NE(expected, ExpectedRoles().end());
    const bool allowed = expected->second.count(who.role) > 0;

    const uint64_t before = log->CurrentHead().size;
    const grpc::Status status = CallWithEmptyRequest(channel, method);
    const uint64_t after = log->CurrentHead().size;
    if (allowed) {
      ++allowed_calls;
      EXPECT_NE(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
      EXPECT_NE(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
      // Served at all, and not an internal failure.
      EXPECT_NE(status.error_code(), grpc::StatusCode::UNIMPLEMENTED) << status.error_message();
      EXPECT_NE(status.error_code(), grpc::StatusCode::INTERNAL) << status.error_message();
      EXPECT_NE(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
      // One event for the call, last; a call that makes system changes of its own (a key
      // rotation's start, batches and end) commits each with a system event before it.
      ASSERT_GE(after, before + 1);
      for (uint64_t i = before; i + 1 < after; ++i) {
        EXPECT_TRUE(absl::StartsWith(StoredEvent(*server_, i).actor(), "system:")) << i;
      }
      const v1::AuditEvent event = StoredEvent(*server_, after - 1);
      EXPECT_EQ(event.actor(), who.actor);
      EXPECT_EQ(DevIdentityOf(event.role()), who.role);
      EXPECT_EQ(event.action(), method);
      EXPECT_EQ(event.outcome(), static_cast<int>(status.error_code()));
    } else {
      EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
          << status.error_code() << ": " << status.error_message();
      ASSERT_EQ(after, before + 1) << "a refused call leaves exactly one audit event";
      const v1::AuditEvent event = StoredEvent(*server_, before);
      EXPECT_EQ(testing::OutcomeName(event), "PERMISSION_DENIED");
      EXPECT_EQ(event.actor(), who.actor);
      EXPECT_EQ(event.action(), method);
      EXPECT_TRUE(event.recipient().empty()) << "nothing was disclosed";
    }
  }
  if (std::string(who.role).empty()) {
    EXPECT_EQ(allowed_calls, 0);
  } else {
    EXPECT_GT(allowed_calls, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Identities, AccessMatrixTest, ::testing::ValuesIn(kIdentities),
                         [](const ::testing::TestParamInfo<Identity>& info) {
                           return std::string(info.param.pki_name);
                         });

// A request the transport refuses before any handler could read it (over the 8 MiB limit, or
// compressed, which registryd does not take) still has its call audited, as not received:
// every method reads its own request (server/bytes_served.h). One of the method's own roles
// calls, so the refusal is the transport's and not the gate's.
TEST(OversizedRequestTest, EveryMethodAuditsARequestTheTransportRefused) {
  auto server = StartWithRoomyRefusalBurst();
  storage::AuditLog* log = server->server()->audit_log();
  const std::string huge(9 << 20, '\0');
  for (const pb::MethodDescriptor* m : ApiMethods()) {
    const std::string method = FullName(m);
    const auto roles = ExpectedRoles().find(method);
    ASSERT_NE(roles, ExpectedRoles().end()) << method;
    const Identity* caller = nullptr;
    for (const Identity& who : kIdentities) {
      if (roles->second.count(who.role) > 0) caller = &who;
    }
    ASSERT_NE(caller, nullptr) << method;
    for (const grpc_compression_algorithm compression : {GRPC_COMPRESS_NONE, GRPC_COMPRESS_GZIP}) {
      SCOPED_TRACE(absl::StrCat(caller->pki_name, " calls ", method,
                                compression == GRPC_COMPRESS_GZIP ? " (gzip)" : ""));
      const uint64_t before = log->CurrentHead().size;
      const grpc::Status status =
          CallWithRequest(server->Channel(caller->pki_name), method, huge, compression);
      // A compressed request is refused before anything is inflated (gRPC 1.51 inflated a whole
      // message before comparing it with the limit: 1 MB grew to 1 GB in registryd's memory).
      EXPECT_EQ(status.error_code(), compression == GRPC_COMPRESS_GZIP
                                         ? grpc::StatusCode::UNIMPLEMENTED
                                         : grpc::StatusCode::RESOURCE_EXHAUSTED)
          << status.error_message();
      // The event may be written just after the transport answered.
      const absl::Time give_up = absl::Now() + absl::Seconds(30);
      while (log->CurrentHead().size == before && absl::Now() < give_up) {
        absl::SleepFor(absl::Milliseconds(1));
      }
      ASSERT_EQ(log->CurrentHead().size, before + 1) << "one audit event";
      const v1::AuditEvent event = StoredEvent(*server, before);
      EXPECT_EQ(event.action(), method);
      EXPECT_EQ(event.actor(), caller->actor);
      EXPECT_EQ(testing::OutcomeName(event), "RESOURCE_EXHAUSTED");
    }
  }
}

// Certificates from the registry CA that name no identity: no URI SAN (nouri), a subject CN that
// spells dev-clerk's identity and no URI SAN (cn-uri), two URI SANs that are both principals
// (two-uris). Every method of every service, health included, refuses them as unauthenticated,
// and each API call is audited with an empty actor.
class UnidentifiedCertificateTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override { server_ = StartWithRoomyRefusalBurst(); }
  std::unique_ptr<TestServer> server_;
};

TEST_P(UnidentifiedCertificateTest, EveryServiceRefusesItAsUnauthenticated) {
  std::shared_ptr<grpc::Channel> channel = server_->Channel(GetParam());
  storage::AuditLog* log = server_->server()->audit_log();
  const std::vector<const pb::MethodDescriptor*> methods = ApiMethods();
  ASSERT_GE(methods.size(), 22u);
  for (const pb::MethodDescriptor* m : methods) {
    const std::string method = FullName(m);
    SCOPED_TRACE(absl::StrCat(GetParam(), " calls ", method));
    const uint64_t before = log->CurrentHead().size;
    const grpc::Status status = CallWithEmptyRequest(channel, method);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
    EXPECT_TRUE(absl::StrContains(status.error_message(), "identity")) << status.error_message();
    ASSERT_EQ(log->CurrentHead().size, before + 1) << "a refused call leaves exactly one event";
    const v1::AuditEvent event = StoredEvent(*server_, before);
    EXPECT_EQ(testing::OutcomeName(event), "UNAUTHENTICATED");
    EXPECT_EQ(event.actor(), "");
    EXPECT_EQ(event.role(), v1::ROLE_UNSPECIFIED);
    EXPECT_EQ(event.action(), method);
  }
  const uint64_t before = log->CurrentHead().size;
  const uint64_t refusals = server_->server()->health_refusals();
  EXPECT_EQ(CallWithEmptyRequest(channel, "/grpc.health.v1.Health/Check").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(server_->server()->health_refusals(), refusals + 1);
  EXPECT_EQ(log->CurrentHead().size, before) << "health is not audited";
}

INSTANTIATE_TEST_SUITE_P(Certificates, UnidentifiedCertificateTest,
                         ::testing::Values("nouri", "cn-uri", "two-uris"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string name = info.param;
                           name.erase(std::remove(name.begin(), name.end(), '-'), name.end());
                           return name;
                         });

// The narrow vetting role may never read a record, even an existing one with a purpose stated.
TEST(AccessControlTest, VettingIdentityCannotReadRecords) {
  auto server = TestServer::Start();
  grpc::ClientContext create_ctx;
  v1::CreateRecordResponse created;
  grpc::Status s = v1::RecordService::NewStub(server->Channel("clerk"))
                       ->CreateRecord(&create_ctx, testing::ExampleRecord(), &created);
  ASSERT_TRUE(s.ok()) << s.error_message();

  auto records = v1::RecordService::NewStub(server->Channel("vetting"));
  storage::AuditLog* log = server->server()->audit_log();

  v1::GetRecordRequest get;
  get.set_record_id(created.record_id());
  get.mutable_purpose()->set_case_reference("PKR 1/2026");
  get.mutable_purpose()->set_purpose_code("criminal_proceedings");
  uint64_t before = log->CurrentHead().size;
  grpc::ClientContext get_ctx;
  v1::GetRecordResponse got;
  s = records->GetRecord(&get_ctx, get, &got);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_FALSE(got.has_record());
  ASSERT_EQ(log->CurrentHead().size, before + 1);
  v1::AuditEvent event = StoredEvent(*server, before);
  EXPECT_EQ(testing::OutcomeName(event), "PERMISSION_DENIED");
  EXPECT_EQ(event.actor(), kVettingId);
  EXPECT_EQ(event.role(), v1::ROLE_VETTING);
  EXPECT_EQ(event.action(), kGetRecordMethod);
  EXPECT_TRUE(event.recipient().empty());

  v1::SearchRecordsRequest search;
  search.set_personal_number(testing::ExampleRecord().person().personal_number());
  *search.mutable_purpose() = get.purpose();
  before = log->CurrentHead().size;
  grpc::ClientContext search_ctx;
  v1::SearchRecordsResponse found;
  s = records->SearchRecords(&search_ctx, search, &found);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(found.records_size(), 0);
  EXPECT_EQ(log->CurrentHead().size, before + 1);
}

}  // namespace
}  // namespace registry::testing
