// The per-organisation token bucket, with a fake clock: the burst is the bucket, tokens come back
// at per_minute per minute, and organisations never share a bucket. End to end, a vetting
// organisation over its limit gets RESOURCE_EXHAUSTED (audited) until time passes.
#include <chrono>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "common/clock.h"
#include "gtest/gtest.h"
#include "registry/v1/policy.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "server/rate_limiter.h"
#include "tests/testing/methods.h"
#include "tests/testing/outcome.h"
#include "tests/testing/principals.h"
#include "tests/testing/test_server.h"

namespace registry {
namespace {

namespace v1 = registry::v1;
using server::RateLimiter;

v1::RateLimit Limit(uint32_t per_minute, uint32_t burst) {
  v1::RateLimit l;
  l.set_per_minute(per_minute);
  l.set_burst(burst);
  return l;
}

// How many calls in a row are allowed right now (stops at 1000).
int Drain(RateLimiter& limiter, const std::string& org, const v1::RateLimit& limit) {
  int n = 0;
  while (n < 1000 && limiter.Allow(org, limit)) ++n;
  return n;
}

class RateLimiterTest : public ::testing::Test {
 protected:
  // From an empty bucket of `limit`: no token a tenth of a second before `interval` has passed,
  // one token when it has, and none right after.
  void ExpectOneTokenAfter(const v1::RateLimit& limit, absl::Duration interval) {
    ASSERT_EQ(Drain(limiter_, "school-7", limit), static_cast<int>(limit.burst()));
    clock_.Advance(interval - absl::Milliseconds(100));
    EXPECT_FALSE(limiter_.Allow("school-7", limit));
    clock_.Advance(absl::Milliseconds(100));
    EXPECT_TRUE(limiter_.Allow("school-7", limit));
    EXPECT_FALSE(limiter_.Allow("school-7", limit));
  }

  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  RateLimiter limiter_{&clock_};
};

TEST_F(RateLimiterTest, BurstIsAllowedThenRefused) {
  const v1::RateLimit limit = Limit(60, 3);
  EXPECT_TRUE(limiter_.Allow("school-7", limit));
  EXPECT_TRUE(limiter_.Allow("school-7", limit));
  EXPECT_TRUE(limiter_.Allow("school-7", limit));
  EXPECT_FALSE(limiter_.Allow("school-7", limit));
  EXPECT_FALSE(limiter_.Allow("school-7", limit));
}

TEST_F(RateLimiterTest, ZeroBurstMeansPerMinute) {
  EXPECT_EQ(Drain(limiter_, "school-7", Limit(5, 0)), 5);
}

TEST_F(RateLimiterTest, ZeroLimitAllowsNothing) {
  EXPECT_FALSE(limiter_.Allow("school-7", Limit(0, 10)));
  EXPECT_FALSE(limiter_.Allow("school-7", v1::RateLimit()));
}

TEST_F(RateLimiterTest, TokensReturnAtTheConfiguredRate) {
  // 120 per minute: one token every 0.5 s.
  const v1::RateLimit limit = Limit(120, 2);
  ExpectOneTokenAfter(limit, absl::Milliseconds(500));
  // 1.5 s: three tokens earned, but the bucket holds two.
  clock_.Advance(absl::Milliseconds(1500));
  EXPECT_EQ(Drain(limiter_, "school-7", limit), 2);
}

TEST_F(RateLimiterTest, LongIdleRefillsOnlyToTheBurst) {
  const v1::RateLimit limit = Limit(60, 4);
  ASSERT_EQ(Drain(limiter_, "school-7", limit), 4);
  clock_.Advance(absl::Hours(24));
  EXPECT_EQ(Drain(limiter_, "school-7", limit), 4);
}

TEST_F(RateLimiterTest, SlowRateRecoversOneTokenPerInterval) {
  // 2 per minute: one token every 30 s.
  ExpectOneTokenAfter(Limit(2, 2), absl::Seconds(30));
}

TEST_F(RateLimiterTest, OrganisationsHaveSeparateBuckets) {
  const v1::RateLimit limit = Limit(60, 2);
  ASSERT_EQ(Drain(limiter_, "school-7", limit), 2);
  EXPECT_FALSE(limiter_.Allow("school-7", limit));
  EXPECT_EQ(Drain(limiter_, "care-home-3", limit), 2);
  EXPECT_FALSE(limiter_.Allow("school-7", limit));
}

TEST_F(RateLimiterTest, ClockGoingBackwardsGivesNoTokens) {
  const v1::RateLimit limit = Limit(60, 1);
  ASSERT_TRUE(limiter_.Allow("school-7", limit));
  clock_.Advance(-absl::Minutes(10));
  EXPECT_FALSE(limiter_.Allow("school-7", limit));
}

// ---- End to end ----

v1::VettingCheckRequest Candidate(const std::string& category) {
  v1::VettingCheckRequest req;
  req.set_personal_number("1098765432");
  req.set_surname("Berisha");
  req.set_given_name("Driton");
  req.set_birth_date("1990-02-03");
  req.set_position_category(category);
  req.set_consent_reference("CONSENT-2026-0042");
  return req;
}

grpc::StatusCode Check(testing::TestServer& server, const std::string& identity,
                       const std::string& category) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::VettingCheckResponse resp;
  grpc::Status s = v1::VettingService::NewStub(server.Channel(identity))
                       ->VettingCheck(&ctx, Candidate(category), &resp);
  if (!s.ok()) {
    EXPECT_FALSE(resp.has_certificate());
  }
  return s.error_code();
}

TEST(RateLimitEndToEndTest, VettingOrganisationOverItsLimitIsRefusedUntilTimePasses) {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  testing::TestServerOptions options;
  options.clock = &clock;
  options.policy = std::make_unique<v1::AccessPolicy>(testing::DevPolicy());
  for (v1::Organisation& org : *options.policy->mutable_organisations()) {
    if (org.id() == "dev-school") *org.mutable_rate_limit() = Limit(2, 2);
  }
  auto server = testing::TestServer::Start(std::move(options));
  storage::AuditLog* log = server->server()->audit_log();

  EXPECT_EQ(Check(*server, "vetting", "teacher"), grpc::StatusCode::OK);
  EXPECT_EQ(Check(*server, "vetting", "teacher"), grpc::StatusCode::OK);

  const uint64_t before = log->CurrentHead().size;
  EXPECT_EQ(Check(*server, "vetting", "teacher"), grpc::StatusCode::RESOURCE_EXHAUSTED);
  ASSERT_EQ(log->CurrentHead().size, before + 1);
  auto bytes = log->ReadEvent(before);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  v1::AuditEvent event;
  ASSERT_TRUE(event.ParseFromString(*bytes));
  EXPECT_EQ(testing::OutcomeName(event), "RESOURCE_EXHAUSTED");
  EXPECT_EQ(event.actor(), testing::kVettingId);
  EXPECT_EQ(event.organisation(), "dev-school");
  EXPECT_EQ(event.action(), testing::kVettingCheckMethod);
  EXPECT_TRUE(event.recipient().empty());

  // Another organisation has its own bucket.
  EXPECT_EQ(Check(*server, "vetting2", "care_worker"), grpc::StatusCode::OK);

  // 2 per minute: 30 s brings back exactly one token.
  clock.Advance(absl::Seconds(30));
  EXPECT_EQ(Check(*server, "vetting", "teacher"), grpc::StatusCode::OK);
  EXPECT_EQ(Check(*server, "vetting", "teacher"), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

}  // namespace
}  // namespace registry
