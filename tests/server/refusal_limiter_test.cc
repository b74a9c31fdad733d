// Strangers cannot grow the audit log without bound (server/refusal_limiter.h): a certificate
// that is not a known caller has its refusals audited up to a per-certificate rate (default 10 a
// minute, burst 20); past it the same refusal is returned without an event, and a
// "refused-unaudited" summary event counts them. Known callers' refusals are always audited.
#include "server/refusal_limiter.h"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "registry/v1/audit.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "tests/testing/audit_events.h"
#include "tests/testing/clients.h"
#include "tests/testing/outcome.h"
#include "tests/testing/principals.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

using server::RefusalLimiter;

constexpr absl::StatusCode kDenied = absl::StatusCode::kPermissionDenied;
constexpr absl::StatusCode kUnauthenticated = absl::StatusCode::kUnauthenticated;

int AuditedOf(RefusalLimiter& limiter, absl::string_view fingerprint, int calls,
              absl::StatusCode code = kDenied) {
  int audited = 0;
  for (int i = 0; i < calls; ++i) audited += limiter.ShouldAudit(fingerprint, code) ? 1 : 0;
  return audited;
}

// ---- RefusalLimiter, the class ----

TEST(RefusalLimiterTest, BurstThenTheSustainedRate) {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  RefusalLimiter limiter(&clock, {});
  EXPECT_EQ(AuditedOf(limiter, "a", 50), 20);
  clock.Advance(absl::Seconds(6));  // 10 a minute: one more
  EXPECT_EQ(AuditedOf(limiter, "a", 5), 1);
  clock.Advance(absl::Minutes(1));
  EXPECT_EQ(AuditedOf(limiter, "a", 50), 10);
}

TEST(RefusalLimiterTest, EachCertificateHasItsOwnBucket) {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  RefusalLimiter limiter(&clock, {5, 3, 100});
  EXPECT_EQ(AuditedOf(limiter, "a", 10), 3);
  EXPECT_EQ(AuditedOf(limiter, "b", 10), 3);
  EXPECT_EQ(limiter.tracked(), 2u);
}

TEST(RefusalLimiterTest, SummaryCountsCallsAndCertificatesPerCode) {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  RefusalLimiter limiter(&clock, {});
  EXPECT_EQ(AuditedOf(limiter, "a", 25, kDenied), 20);
  EXPECT_EQ(AuditedOf(limiter, "a", 3, kUnauthenticated), 0);
  EXPECT_EQ(AuditedOf(limiter, "b", 22, kUnauthenticated), 20);
  std::vector<RefusalLimiter::Unaudited> counts = limiter.TakeUnaudited();
  ASSERT_EQ(counts.size(), 2u);
  EXPECT_EQ(counts[0].code, kDenied);
  EXPECT_EQ(counts[0].calls, 5u);
  EXPECT_EQ(counts[0].certificates, 1u);
  EXPECT_EQ(counts[1].code, kUnauthenticated);
  EXPECT_EQ(counts[1].calls, 5u);
  EXPECT_EQ(counts[1].certificates, 2u);
  EXPECT_TRUE(limiter.TakeUnaudited().empty()) << "the counts were reset";

  // Counts that could not be written come back with the next ones.
  limiter.PutBack(counts[0]);
  EXPECT_EQ(AuditedOf(limiter, "a", 1, kDenied), 0);
  counts = limiter.TakeUnaudited();
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(counts[0].calls, 6u);
  EXPECT_EQ(counts[0].certificates, 2u) << "an upper bound: a's two periods are not merged";
}

TEST(RefusalLimiterTest, IdleCertificatesAreForgotten) {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  RefusalLimiter limiter(&clock, {});
  AuditedOf(limiter, "a", 30);
  AuditedOf(limiter, "b", 1);
  limiter.TakeUnaudited();
  EXPECT_EQ(limiter.tracked(), 2u) << "neither bucket is full again yet";
  clock.Advance(absl::Minutes(2));  // 20 tokens at 10 a minute
  limiter.TakeUnaudited();
  EXPECT_EQ(limiter.tracked(), 0u);
}

TEST(RefusalLimiterTest, TheTableIsBoundedAndFullMeansUnaudited) {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  RefusalLimiter limiter(&clock, {10, 20, 3});
  for (const char* fp : {"a", "b", "c"}) EXPECT_EQ(AuditedOf(limiter, fp, 1), 1);
  EXPECT_EQ(AuditedOf(limiter, "d", 5), 0) << "no room, none idle: not audited";
  EXPECT_EQ(limiter.tracked(), 3u);
  std::vector<RefusalLimiter::Unaudited> counts = limiter.TakeUnaudited();
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(counts[0].calls, 5u);
  clock.Advance(absl::Seconds(6));  // a, b and c are full again: idle, so d finds room
  EXPECT_EQ(AuditedOf(limiter, "d", 1), 1);
  EXPECT_EQ(limiter.tracked(), 1u);
}

// ---- Through a running server ----

grpc::StatusCode PublicKeyAs(const std::shared_ptr<grpc::Channel>& channel) {
  return testing::GetVettingPublicKeyOn(channel).error_code();
}

// A fake clock, so that no token comes back while the test runs.
class UnknownCallerAuditTest : public ::testing::Test {
 protected:
  std::unique_ptr<TestServer> Start(TestServerOptions options = {}) {
    options.clock = &clock_;
    return TestServer::Start(std::move(options));
  }
  FakeClock clock_{absl::Now()};
};

TEST_F(UnknownCallerAuditTest, UnlistedFloodGrowsTheLogByTheBurstAndOneSummary) {
  auto server = Start();
  auto unlisted = server->Channel("unlisted");
  const uint64_t before = AuditLogSize(*server);
  for (int i = 0; i < 60; ++i) {
    ASSERT_EQ(PublicKeyAs(unlisted), grpc::StatusCode::PERMISSION_DENIED) << "call " << i;
  }
  EXPECT_EQ(AuditLogSize(*server), before + 20);
  EXPECT_EQ(StoredEvent(*server, before + 19).actor(), "unlisted certificate");

  ASSERT_EQ(server->server()->FlushUnauditedRefusals().value_or(-1), 1);
  ASSERT_EQ(AuditLogSize(*server), before + 21);
  const v1::AuditEvent summary = StoredEvent(*server, before + 20);
  EXPECT_EQ(summary.actor(), "system:gate");
  EXPECT_EQ(summary.action(), "refused-unaudited");
  EXPECT_EQ(summary.reference(), "40 calls from 1 certificate");
  EXPECT_EQ(testing::OutcomeName(summary), "PERMISSION_DENIED");
  EXPECT_TRUE(summary.record_ids().empty());

  // Nothing new: no event.
  EXPECT_EQ(server->server()->FlushUnauditedRefusals().value_or(-1), 0);
  EXPECT_EQ(AuditLogSize(*server), before + 21);
}

TEST_F(UnknownCallerAuditTest, RevokedDenyListedAndUnidentifiedCertificatesAreBoundedToo) {
  TestServerOptions options;
  options.policy = std::make_unique<v1::AccessPolicy>(testing::DevPolicy());
  options.policy->add_denied_certificate_sha256(TestPki::Get().LoadIdentity("court").fingerprint);
  auto server = Start(std::move(options));
  const uint64_t before = AuditLogSize(*server);
  for (const char* identity : {"revoked", "court", "nouri", "cn-uri", "two-uris"}) {
    auto channel = server->Channel(identity);
    for (int i = 0; i < 23; ++i) {
      ASSERT_EQ(PublicKeyAs(channel), grpc::StatusCode::UNAUTHENTICATED) << identity << " " << i;
    }
  }
  EXPECT_EQ(AuditLogSize(*server), before + 5 * 20);
  ASSERT_EQ(server->server()->FlushUnauditedRefusals().value_or(-1), 1);
  const v1::AuditEvent summary = StoredEvent(*server, before + 100);
  EXPECT_EQ(summary.actor(), "system:gate");
  EXPECT_EQ(summary.reference(), "15 calls from 5 certificates");
  EXPECT_EQ(testing::OutcomeName(summary), "UNAUTHENTICATED");
}

TEST_F(UnknownCallerAuditTest, KnownCallersRefusalsAreAllAudited) {
  auto server = Start();
  auto clerk = server->Channel("clerk");
  auto audit = v1::AuditService::NewStub(clerk);
  const uint64_t before = AuditLogSize(*server);
  for (int i = 0; i < 30; ++i) {
    grpc::ClientContext ctx;
    v1::SignedTreeHead head;
    ASSERT_EQ(audit->GetSignedTreeHead(&ctx, {}, &head).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  EXPECT_EQ(AuditLogSize(*server), before + 30);
  EXPECT_EQ(server->server()->FlushUnauditedRefusals().value_or(-1), 0);
}

TEST_F(UnknownCallerAuditTest, TheRateComesBackWithTime) {
  auto server = Start();
  auto unlisted = server->Channel("unlisted");
  for (int i = 0; i < 25; ++i) PublicKeyAs(unlisted);
  const uint64_t before = AuditLogSize(*server);
  clock_.Advance(absl::Seconds(12));  // two tokens
  for (int i = 0; i < 5; ++i) EXPECT_EQ(PublicKeyAs(unlisted), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(AuditLogSize(*server), before + 2);
}

TEST_F(UnknownCallerAuditTest, ShutdownWritesThePendingSummary) {
  auto server = Start();
  auto unlisted = server->Channel("unlisted");
  for (int i = 0; i < 23; ++i) PublicKeyAs(unlisted);
  server->Stop();
  ASSERT_TRUE(server->Restart().ok());
  const v1::AuditEvent last = StoredEvent(*server, AuditLogSize(*server) - 1);
  EXPECT_EQ(last.action(), "refused-unaudited");
  EXPECT_EQ(last.reference(), "3 calls from 1 certificate");
}

TEST_F(UnknownCallerAuditTest, TheSummaryWriterRunsOnItsOwn) {
  TestServerOptions options;
  options.unaudited_summary_interval = absl::Milliseconds(100);
  auto server = Start(std::move(options));
  auto unlisted = server->Channel("unlisted");
  for (int i = 0; i < 21; ++i) PublicKeyAs(unlisted);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  bool seen = false;
  while (!seen && absl::Now() < deadline) {
    const uint64_t size = AuditLogSize(*server);
    seen = size > 0 && StoredEvent(*server, size - 1).action() == "refused-unaudited";
    if (!seen) absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(seen) << "no summary event within 10 s";
}

}  // namespace
}  // namespace registry::testing
