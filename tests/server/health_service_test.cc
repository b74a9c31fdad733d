// grpc.health.v1.Health answers known callers only (server/health_service.h): every principal of
// the policy gets SERVING; an unlisted, deny-listed, revoked or unidentified certificate is
// refused with the gate's status and learns nothing. Health is not audited; answers and refusals
// are counted, on the metrics page too.
#include "server/health_service.h"

#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"

#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "registry/v1/info.grpc.pb.h"
#include "storage/database.h"
#include "tests/testing/clients.h"
#include "tests/testing/data_files.h"
#include "tests/testing/principals.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

using ::testing::HasSubstr;
using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

grpc::Status Check(const std::shared_ptr<grpc::Channel>& channel, HealthCheckResponse* resp,
                   const std::string& service = "") {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  HealthCheckRequest req;
  req.set_service(service);
  return Health::NewStub(channel)->Check(&ctx, req, resp);
}

TEST(HealthServiceTest, KnownCallersAreAnsweredAndNotAudited) {
  auto server = TestServer::Start();
  storage::AuditLog* log = server->server()->audit_log();
  const uint64_t before = log->CurrentHead().size;
  for (const char* identity : {"clerk", "court", "vetting", "vetting2", "auditor", "admin"}) {
    HealthCheckResponse resp;
    const grpc::Status s = Check(server->Channel(identity), &resp);
    ASSERT_TRUE(s.ok()) << identity << ": " << s.error_message();
    EXPECT_EQ(resp.status(), HealthCheckResponse::SERVING) << identity;
  }
  EXPECT_EQ(server->server()->health_answers(), 6u);
  EXPECT_EQ(server->server()->health_refusals(), 0u);
  EXPECT_EQ(log->CurrentHead().size, before);
}

TEST(HealthServiceTest, UnknownCertificatesAreRefusedCountedAndNotAudited) {
  TestServerOptions options;
  options.policy = std::make_unique<v1::AccessPolicy>(testing::DevPolicy());
  // The court's certificate is on the deny list, though the court is a principal.
  options.policy->add_denied_certificate_sha256(TestPki::Get().LoadIdentity("court").fingerprint);
  auto server = TestServer::Start(std::move(options));
  storage::AuditLog* log = server->server()->audit_log();
  const uint64_t before = log->CurrentHead().size;
  const struct {
    const char* identity;
    grpc::StatusCode code;
  } kCases[] = {
      {"unlisted", grpc::StatusCode::PERMISSION_DENIED},
      {"court", grpc::StatusCode::UNAUTHENTICATED},     // deny-listed
      {"revoked", grpc::StatusCode::UNAUTHENTICATED},   // in the CRL
      {"nouri", grpc::StatusCode::UNAUTHENTICATED},     // no URI SAN
      {"cn-uri", grpc::StatusCode::UNAUTHENTICATED},    // a CN is no identity
      {"two-uris", grpc::StatusCode::UNAUTHENTICATED},  // ambiguous
  };
  uint64_t refusals = 0;
  for (const auto& c : kCases) {
    // A service name too: a stranger must not learn which services exist.
    for (const std::string& service : {std::string(""), std::string("no.such.Service")}) {
      HealthCheckResponse resp;
      const grpc::Status s = Check(server->Channel(c.identity), &resp, service);
      EXPECT_EQ(s.error_code(), c.code) << c.identity << " " << service << ": "
                                        << s.error_message();
      EXPECT_EQ(resp.status(), HealthCheckResponse::UNKNOWN) << c.identity;
      EXPECT_EQ(server->server()->health_refusals(), ++refusals);
    }
  }
  EXPECT_EQ(server->server()->health_answers(), 0u);
  EXPECT_EQ(log->CurrentHead().size, before);
  HealthCheckResponse resp;
  EXPECT_TRUE(Check(server->Channel("clerk"), &resp).ok());
  EXPECT_EQ(server->server()->health_answers(), 1u);
}

// Health is not audited, and its counts were read only by tests: refused checks left every
// registryd_refused_certificates_total at 0 and nothing on the metrics page mentioned health, so
// a stranger probing the registry, or a revoked load balancer certificate, showed nowhere.
TEST(HealthServiceTest, AnswersAndRefusalsAreOnTheMetricsPageWithTheCertificatesReason) {
  TestServerOptions options;
  options.policy = std::make_unique<v1::AccessPolicy>(testing::DevPolicy());
  options.policy->add_denied_certificate_sha256(TestPki::Get().LoadIdentity("court").fingerprint);
  auto server = TestServer::Start(std::move(options));
  for (const char* identity : {"unlisted", "revoked", "revoked", "court", "nouri"}) {
    HealthCheckResponse resp;
    EXPECT_FALSE(Check(server->Channel(identity), &resp).ok()) << identity;
  }
  HealthCheckResponse resp;
  ASSERT_TRUE(Check(server->Channel("clerk"), &resp).ok());
  const std::string page = server->server()->metrics().Render();
  EXPECT_THAT(page, HasSubstr("\n# TYPE registryd_health_checks_total counter\n"));
  EXPECT_THAT(page, HasSubstr("\nregistryd_health_checks_total{outcome=\"answered\"} 1\n"));
  EXPECT_THAT(page, HasSubstr("\nregistryd_health_checks_total{outcome=\"refused\"} 5\n"));
  for (const char* line : {"{reason=\"not_in_policy\"} 1", "{reason=\"revoked\"} 2",
                           "{reason=\"deny_listed\"} 1", "{reason=\"not_one_identity\"} 1"}) {
    EXPECT_THAT(page, HasSubstr(absl::StrCat("\nregistryd_refused_certificates_total", line,
                                             "\n")));
  }
}

TEST(HealthServiceTest, AnswersForRegistrydsServicesOnly) {
  auto server = TestServer::Start();
  auto auditor = server->Channel("auditor");
  for (const char* service : {"registry.v1.RecordService", "registry.v1.VettingService",
                              "registry.v1.AuditService", "registry.v1.AdminService"}) {
    HealthCheckResponse resp;
    ASSERT_TRUE(Check(auditor, &resp, service).ok()) << service;
    EXPECT_EQ(resp.status(), HealthCheckResponse::SERVING) << service;
  }
  HealthCheckResponse resp;
  EXPECT_EQ(Check(auditor, &resp, "no.such.Service").error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(server->server()->health_answers(), 5u);
}

// A request that does not decode (a service name that is not UTF-8, a message cut short) was
// answered INTERNAL with no message, to any certificate, before the caller was checked. The
// caller comes first now: a stranger gets the gate's refusal, a known caller INVALID_ARGUMENT
// naming the field. Nothing is audited.
TEST(HealthServiceTest, ARequestThatDoesNotDecodeIsRefusedAfterTheCallerCheckNamingTheField) {
  auto server = TestServer::Start();
  const uint64_t before = server->server()->audit_log()->CurrentHead().size;
  const std::string not_utf8 = std::string("\x0a\x02\xff\x00", 4);  // service: "\xff\0"
  const std::string cut_short = std::string("\x0a\x05" "ab", 4);  // 5 bytes said, 2 sent
  const std::string method = "/grpc.health.v1.Health/Check";
  grpc::Status s = testing::CallWithRequest(server->Channel("clerk"), method, not_utf8);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_EQ(s.error_message(), "service: not valid UTF-8");
  s = testing::CallWithRequest(server->Channel("clerk"), method, cut_short);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("does not decode"));
  for (const std::string& bytes : {not_utf8, cut_short}) {
    s = testing::CallWithRequest(server->Channel("unlisted"), method, bytes);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
    s = testing::CallWithRequest(server->Channel("revoked"), method, bytes);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  }
  EXPECT_EQ(server->server()->health_refusals(), 4u);
  // A request that decodes is answered as before, through the same bytes.
  s = testing::CallWithRequest(server->Channel("clerk"), method, "");
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(server->server()->audit_log()->CurrentHead().size, before);
}

TEST(HealthServiceTest, PrincipalRemovedFromThePolicyIsRefused) {
  auto server = TestServer::Start();
  auto clerk = server->Channel("clerk");
  HealthCheckResponse resp;
  ASSERT_TRUE(Check(clerk, &resp).ok());
  const v1::AccessPolicy dev = testing::DevPolicy();
  v1::AccessPolicy policy = dev;
  policy.clear_principals();
  for (const v1::Principal& p : dev.principals()) {
    if (p.id() != kClerkId) *policy.add_principals() = p;
  }
  server->WritePolicy(policy);
  ASSERT_TRUE(server->server()->ReloadPolicy().ok());
  EXPECT_EQ(Check(clerk, &resp).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(server->server()->health_refusals(), 1u);
}

TEST(HealthServiceTest, ARegistryWhoseDatabaseStoppedForDamageIsNotServingAndAnswersDataLoss) {
  auto server = TestServer::Start();
  {
    // Rows enough for a table file with data blocks that start-up never reads.
    storage::Batch filler;
    for (int i = 0; i < 2000; ++i) {
      filler.Put(storage::Cf::kMeta, absl::StrCat("zz-filler-", 100000 + i), std::string(200, 'f'));
    }
    ASSERT_TRUE(server->server()->database()->Write(filler).ok());
    ASSERT_TRUE(server->server()->database()->Flush().ok());
  }
  server->Stop();
  const uint64_t size = DamageLargestTableFile(server->config().data_dir(), 200000);
  ASSERT_GT(size, 300000u);
  ASSERT_TRUE(server->Restart().ok()) << "start-up reads none of the damaged blocks";
  HealthCheckResponse resp;
  ASSERT_TRUE(Check(server->Channel("clerk"), &resp).ok());
  EXPECT_EQ(resp.status(), HealthCheckResponse::SERVING);
  // A compaction meets the damage, and RocksDB stops all writes for good.
  EXPECT_FALSE(server->server()->database()->CompactRange(storage::Cf::kMeta, "", "").ok());
  ASSERT_TRUE(Check(server->Channel("clerk"), &resp).ok());
  EXPECT_EQ(resp.status(), HealthCheckResponse::NOT_SERVING)
      << "no call can have its audit event: a load balancer must not send it calls";
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::WhoAmIResponse who;
  const grpc::Status call =
      v1::InfoService::NewStub(server->Channel("clerk"))->WhoAmI(&ctx, {}, &who);
  EXPECT_EQ(call.error_code(), grpc::StatusCode::DATA_LOSS)
      << "not UNAVAILABLE, which a client retries: " << call.error_message();
  EXPECT_NE(call.error_message().find("damaged"), std::string::npos) << call.error_message();
  EXPECT_TRUE(who.identity().empty());
}

}  // namespace
}  // namespace registry::testing
